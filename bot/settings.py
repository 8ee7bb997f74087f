"""Runtime settings, read once from the environment and ``.env`` by ``load_settings``."""

from __future__ import annotations

import zoneinfo
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.errors import ConfigError

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    """Every setting paperbot reads; names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    digest_dir: Path = Path("./digests")
    database_url: str = "sqlite:///./paperbot.db"
    database_auto_migrate: bool = True
    poll_interval: float = Field(default=60.0, gt=0)
    timezone: str = "Asia/Shanghai"
    bot_language: Literal["zh", "en"] = "zh"
    org_aliases_file: Path | None = None
    telegram_max_messages_per_second: float = Field(default=30.0, gt=0)
    telegram_max_per_chat_per_second: float = Field(default=1.0, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _blank_token_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("telegram_bot_token")
    @classmethod
    def _check_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        bot_id, _, secret = value.get_secret_value().partition(":")
        if not bot_id.isdigit() or not secret:
            # The token itself must not be echoed, so the message names only its shape.
            raise ValueError("expected the form <digits>:<secret> as given by @BotFather")
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("expected an http:// or https:// URL such as "
                             f"{DEFAULT_TELEGRAM_API_URL}")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        scheme = value.partition("://")[0].partition("+")[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("expected sqlite:///path/to/file.db or "
                             "postgresql://user:password@host:5432/dbname")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("expected an IANA time zone name such as Asia/Shanghai "
                             "or Europe/Berlin") from None
        return value

    @field_validator("org_aliases_file")
    @classmethod
    def _check_aliases_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError("expected the path of an existing alias file")
        return value


def load_settings(**overrides: object) -> Settings:
    """Build ``Settings`` from the environment, ``.env`` and ``overrides``.

    Raises ``ConfigError`` with one line per invalid value, each naming the variable,
    the value (never for secrets) and the expected form.
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]  # pydantic-settings kwargs
    except ValidationError as error:
        raise ConfigError(_describe(error)) from None


def _describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        name = "_".join(str(part) for part in problem["loc"]).upper()
        message = str(problem["msg"]).removeprefix("Value error, ")
        if "token" in name.lower() or "secret" in name.lower():
            lines.append(f"{name}: {message}")
        else:
            lines.append(f"{name}={problem.get('input')!r}: {message}")
    return "invalid settings:\n" + "\n".join(f"  {line}" for line in lines)
