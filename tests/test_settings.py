"""Settings: defaults, URL forms users write, and one clear line per invalid value."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings
from bot.store.database import async_url

TOKEN = "123456789:AAE-secret-part"


def test_defaults() -> None:
    settings = load_settings()
    assert settings.telegram_bot_token is None
    assert settings.telegram_api_url == "https://api.telegram.org/bot"
    assert settings.digest_dir == Path("digests")
    assert settings.database_url == "sqlite:///./paperbot.db"
    assert settings.poll_interval == 60
    assert settings.timezone == "Asia/Shanghai"
    assert settings.bot_language == "zh"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_LANGUAGE=en\nPOLL_INTERVAL=5\n", encoding="utf-8")
    settings = load_settings()
    assert settings.bot_language == "en"
    assert settings.poll_interval == 5


def test_environment_overrides_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("BOT_LANGUAGE=en\n", encoding="utf-8")
    monkeypatch.setenv("BOT_LANGUAGE", "zh")
    assert load_settings().bot_language == "zh"


def test_empty_token_means_no_telegram(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    assert load_settings().telegram_bot_token is None


def test_each_invalid_value_gets_its_own_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLL_INTERVAL", "0")
    monkeypatch.setenv("BOT_LANGUAGE", "fr")
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    monkeypatch.setenv("TELEGRAM_API_URL", "api.telegram.org")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    lines = str(caught.value).splitlines()[1:]
    assert len(lines) == 4
    assert lines[0].strip().startswith("TELEGRAM_API_URL='api.telegram.org': expected an http")
    assert lines[1].strip().startswith("DATABASE_URL='mysql://x': expected sqlite:///")
    assert lines[2].strip().startswith("POLL_INTERVAL='0'")
    assert lines[3].strip().startswith("BOT_LANGUAGE='fr'")


def test_invalid_token_error_never_shows_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "abc:secret-value-123")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "TELEGRAM_BOT_TOKEN" in str(caught.value)
    assert "secret-value-123" not in str(caught.value)


def test_token_hidden_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    settings = load_settings()
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings.model_dump())
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == TOKEN


def test_missing_alias_file_is_invalid(monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    monkeypatch.setenv("ORG_ALIASES_FILE", str(tmp_path / "aliases.txt"))
    with pytest.raises(ConfigError, match=r"ORG_ALIASES_FILE=.*existing alias file"):
        load_settings()


@pytest.mark.parametrize(("written", "expected"), [
    ("sqlite:///./paperbot.db", "sqlite+aiosqlite:///./paperbot.db"),
    ("postgresql://u:p@db:5432/bot", "postgresql+asyncpg://u:***@db:5432/bot"),
    ("postgres://u@db/bot", "postgresql+asyncpg://u@db/bot"),
    ("postgresql+asyncpg://u@db/bot", "postgresql+asyncpg://u@db/bot"),
], ids=["sqlite", "postgresql", "postgres-alias", "already-async"])
def test_database_url_gets_async_driver(written: str, expected: str) -> None:
    assert async_url(written).render_as_string(hide_password=True) == expected


def test_invalid_database_url_error_hides_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "mysql://bot:hunter2@127.0.0.1/x")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert "DATABASE_URL='mysql://bot:***@127.0.0.1/x'" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_parse_errors_say_what_to_write(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "abc")
    monkeypatch.setenv("WEB_ENABLED", "maybe")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    message = str(caught.value)
    assert "PORT='abc': expected a whole number, such as 8080" in message
    assert "WEB_ENABLED='maybe': expected true or false" in message
