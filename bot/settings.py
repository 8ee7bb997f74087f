"""Runtime settings, read once from the environment and ``.env`` by ``load_settings``."""

from __future__ import annotations

import re
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.admin.targets import parse_admin_chat_ids
from bot.errors import ConfigError

DEFAULT_TELEGRAM_API_URL = "https://api.telegram.org/bot"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Every setting paperbot reads; names match the environment variables."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True,
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_TELEGRAM_API_URL
    # Webhook mode: the public https URL Telegram posts updates to, and the secret it sends
    # with each; unset, the bot uses long polling.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    slack_bot_token: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    # 0 lets the system pick a free port, which is useful only in tests.
    slack_port: int = Field(default=3000, ge=0, le=65535)
    # Address of the HTTP mode listener; unset or empty means every interface.
    slack_host: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    slack_max_per_channel_per_second: float = Field(default=1.0, gt=0)
    digest_dir: Path = Path("./digests")
    database_url: str = "sqlite:///./paperbot.db"
    database_auto_migrate: bool = True
    poll_interval: float = Field(default=60.0, gt=0)
    timezone: str = "Asia/Shanghai"
    bot_language: Literal["zh", "en"] = "zh"
    org_aliases_file: Path | None = None
    telegram_max_messages_per_second: float = Field(default=30.0, gt=0)
    telegram_max_per_chat_per_second: float = Field(default=1.0, gt=0)
    telegram_max_per_group_per_minute: int = Field(default=20, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    # Chats told about rejected digests and dropped deliveries, as "platform:chat_id".
    admin_chat_ids: Annotated[tuple[str, ...], NoDecode] = ()
    # The web server of health, readiness, metrics and webhooks; PORT 0 picks a free port.
    web_enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)

    @field_validator("telegram_bot_token", "slack_bot_token", "slack_app_token",
                     "slack_signing_secret", "telegram_webhook_url", "telegram_webhook_secret",
                     mode="before")
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

    @field_validator("telegram_webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("expected the public https:// URL that Telegram posts updates "
                             "to, such as https://bot.example.com/telegram")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _check_webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not _WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("expected 1 to 256 characters of A-Z, a-z, 0-9, _ and -, "
                             "as Telegram requires of secret_token")
        return value

    @model_validator(mode="after")
    def _check_webhook(self) -> Settings:
        if self.telegram_webhook_url is None:
            return self
        if self.telegram_webhook_secret is None:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET: missing, but TELEGRAM_WEBHOOK_URL is "
                             "set. Set it to 1 to 256 characters of A-Z, a-z, 0-9, _ and -, "
                             "for example the output of: openssl rand -hex 32")
        if self.telegram_bot_token is None:
            raise ValueError("TELEGRAM_WEBHOOK_URL is set, but TELEGRAM_BOT_TOKEN is missing")
        if not self.web_enabled:
            raise ValueError("TELEGRAM_WEBHOOK_URL needs the web server, but WEB_ENABLED is "
                             "false. Set WEB_ENABLED=true or unset TELEGRAM_WEBHOOK_URL")
        return self

    @field_validator("slack_bot_token")
    @classmethod
    def _check_slack_bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("expected the Bot User OAuth Token starting with xoxb- from the "
                             "OAuth & Permissions page of the Slack app")
        return value

    @field_validator("slack_app_token")
    @classmethod
    def _check_slack_app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("expected an app-level token starting with xapp- from the Basic "
                             "Information page of the Slack app (scope connections:write)")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _check_slack_api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"expected an http:// or https:// URL such as {DEFAULT_SLACK_API_URL}")
        return value

    @model_validator(mode="after")
    def _check_slack_tokens(self) -> Settings:
        # ``_describe`` prints a check across settings without its input, which holds secrets.
        receives = self.slack_app_token is not None or self.slack_signing_secret is not None
        if receives and self.slack_bot_token is None:
            raise ValueError("SLACK_BOT_TOKEN: missing, but SLACK_APP_TOKEN or "
                             "SLACK_SIGNING_SECRET is set. Set it to the Bot User OAuth Token "
                             "(xoxb-…) from the app's OAuth & Permissions page")
        if self.slack_bot_token is not None and not receives:
            raise ValueError("SLACK_BOT_TOKEN is set, but SLACK_APP_TOKEN (Socket Mode) and "
                             "SLACK_SIGNING_SECRET (HTTP mode) are both missing. Set one of them")
        return self

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        scheme = value.partition("://")[0].partition("+")[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("expected sqlite:///path/to/file.db or "
                             "postgresql://user:password@host:5432/dbname")
        return value

    @field_validator("admin_chat_ids", mode="before")
    @classmethod
    def _parse_admin_chat_ids(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            value = ",".join(str(entry) for entry in value)
        return parse_admin_chat_ids(value) if isinstance(value, str) else value

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
        message = _EXPECTED.get(problem["type"]) or str(problem["msg"]).removeprefix(
            "Value error, ")
        if not name:
            # A check across settings: its input is every setting, secrets included.
            lines.append(message)
        elif "token" in name.lower() or "secret" in name.lower():
            lines.append(f"{name}: {message}")
        else:
            lines.append(f"{name}={_shown(name, problem.get('input'))!r}: {message}")
    return "invalid settings:\n" + "\n".join(f"  {line}" for line in lines)


def _shown(name: str, value: object) -> object:
    """Return ``value`` as it may appear in an error: URLs lose their password."""
    if name.endswith("_URL") and isinstance(value, str) and "@" in value:
        scheme, _, rest = value.partition("://")
        credentials, _, host = rest.rpartition("@")
        user = credentials.partition(":")[0]
        return f"{scheme}://{user}:***@{host}" if ":" in credentials else value
    return value


# Plainer wording for pydantic's parse errors, which do not say what to write instead.
_EXPECTED = {
    "bool_parsing": "expected true or false",
    "int_parsing": "expected a whole number, such as 8080",
    "float_parsing": "expected a number, such as 60",
}
