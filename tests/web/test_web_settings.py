"""Settings of the web server and of webhook mode: defaults, and each invalid combination."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings

TOKEN = "123456789:TEST-paperbot-fake-token"
URL = "https://bot.example.com/telegram"


def test_web_defaults_listen_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PORT", raising=False)
    settings = load_settings()
    assert settings.web_enabled is True
    assert settings.host == "127.0.0.1"
    assert settings.port == 8080
    assert settings.telegram_webhook_url is None


def test_webhook_settings_accepted() -> None:
    settings = load_settings(telegram_bot_token=TOKEN, telegram_webhook_url=URL,
                             telegram_webhook_secret="A-z_09" * 10)
    assert settings.telegram_webhook_url == URL
    assert settings.telegram_webhook_secret is not None


def test_webhook_url_without_secret_rejected() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_WEBHOOK_SECRET: missing"):
        load_settings(telegram_bot_token=TOKEN, telegram_webhook_url=URL)


@pytest.mark.parametrize("secret", ["has space", "x" * 257, "semi;colon"],
                         ids=["space", "too-long", "punctuation"])
def test_webhook_secret_shape_checked_without_echo(secret: str) -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(telegram_bot_token=TOKEN, telegram_webhook_url=URL,
                      telegram_webhook_secret=secret)
    assert "TELEGRAM_WEBHOOK_SECRET: expected 1 to 256 characters" in str(raised.value)
    assert secret not in str(raised.value)


def test_webhook_url_must_be_https() -> None:
    with pytest.raises(ConfigError) as raised:
        load_settings(telegram_bot_token=TOKEN, telegram_webhook_url="http://bot.example.com/t",
                      telegram_webhook_secret="secret")
    assert "TELEGRAM_WEBHOOK_URL='http://bot.example.com/t'" in str(raised.value)


def test_webhook_needs_web_server() -> None:
    with pytest.raises(ConfigError, match="WEB_ENABLED is false"):
        load_settings(telegram_bot_token=TOKEN, telegram_webhook_url=URL,
                      telegram_webhook_secret="secret", web_enabled=False)


def test_webhook_needs_bot_token() -> None:
    with pytest.raises(ConfigError, match="TELEGRAM_BOT_TOKEN is missing"):
        load_settings(telegram_webhook_url=URL, telegram_webhook_secret="secret")


def test_port_out_of_range_rejected() -> None:
    with pytest.raises(ConfigError, match="PORT=70000"):
        load_settings(port=70000)
