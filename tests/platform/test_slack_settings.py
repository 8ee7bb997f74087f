"""Tests of the Slack settings: token shapes, the two modes, and secrets kept out of errors."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import DEFAULT_SLACK_API_URL, load_settings

BOT = "xoxb-1111-2222-settingsbottoken"
APP = "xapp-1-A0TEST-3333-settingsapptoken"
SECRET = "0123456789abcdef-settings-secret"


def test_socket_mode_settings() -> None:
    settings = load_settings(slack_bot_token=BOT, slack_app_token=APP)

    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == BOT
    assert settings.slack_app_token is not None
    assert settings.slack_signing_secret is None


def test_http_mode_settings_defaults() -> None:
    settings = load_settings(slack_bot_token=BOT, slack_signing_secret=SECRET)

    assert settings.slack_port == 3000
    assert settings.slack_host is None
    assert settings.slack_api_url == DEFAULT_SLACK_API_URL
    assert settings.slack_max_per_channel_per_second == 1.0


def test_no_slack_settings_is_no_slack() -> None:
    settings = load_settings()

    assert settings.slack_bot_token is None


@pytest.mark.parametrize("name", [
    pytest.param("slack_bot_token", id="bot-token"),
    pytest.param("slack_app_token", id="app-token"),
    pytest.param("slack_signing_secret", id="signing-secret"),
])
def test_blank_secret_is_unset(name: str) -> None:
    settings = load_settings(**{name: "  "})

    assert getattr(settings, name) is None


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SECRET)
    monkeypatch.setenv("SLACK_PORT", "8443")

    settings = load_settings()

    assert settings.slack_port == 8443
    assert settings.slack_signing_secret is not None


@pytest.mark.parametrize(("overrides", "line"), [
    pytest.param({"slack_app_token": APP},
                 "SLACK_BOT_TOKEN: missing, but SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set.",
                 id="app-token-without-bot-token"),
    pytest.param({"slack_signing_secret": SECRET},
                 "SLACK_BOT_TOKEN: missing, but SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set.",
                 id="secret-without-bot-token"),
    pytest.param({"slack_bot_token": BOT},
                 "SLACK_BOT_TOKEN is set, but SLACK_APP_TOKEN (Socket Mode) and "
                 "SLACK_SIGNING_SECRET (HTTP mode) are both missing.",
                 id="bot-token-alone"),
    pytest.param({"slack_bot_token": "xoxp-user-token-not-bot", "slack_app_token": APP},
                 "SLACK_BOT_TOKEN: expected the Bot User OAuth Token starting with xoxb-",
                 id="user-token"),
    pytest.param({"slack_bot_token": BOT, "slack_app_token": "xoxb-bot-token-as-app-token"},
                 "SLACK_APP_TOKEN: expected an app-level token starting with xapp-",
                 id="bot-token-as-app-token"),
    pytest.param({"slack_bot_token": BOT, "slack_app_token": APP, "slack_port": 70000},
                 "SLACK_PORT=70000:", id="port-too-high"),
    pytest.param({"slack_bot_token": BOT, "slack_app_token": APP,
                  "slack_api_url": "slack.com/api"},
                 "SLACK_API_URL='slack.com/api': expected an http:// or https:// URL",
                 id="api-url-without-scheme"),
    pytest.param({"slack_bot_token": BOT, "slack_app_token": APP,
                  "slack_max_per_channel_per_second": 0},
                 "SLACK_MAX_PER_CHANNEL_PER_SECOND=0:", id="zero-rate"),
])
def test_invalid_slack_setting_one_line(overrides: dict[str, object], line: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**overrides)

    lines = str(caught.value).splitlines()
    assert lines[0] == "invalid settings:"
    assert len(lines) == 2
    assert lines[1].strip().startswith(line)


@pytest.mark.parametrize("overrides", [
    pytest.param({"slack_bot_token": "xoxp-secret-user-token", "slack_app_token": APP},
                 id="bad-bot-token"),
    pytest.param({"slack_bot_token": BOT, "slack_app_token": "secret-app-token"},
                 id="bad-app-token"),
    pytest.param({"slack_app_token": APP, "slack_signing_secret": SECRET}, id="across-settings"),
])
def test_invalid_settings_never_echo_secrets(overrides: dict[str, str]) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(**overrides)

    for value in overrides.values():
        assert value not in str(caught.value)


def test_secrets_hidden_in_repr() -> None:
    settings = load_settings(slack_bot_token=BOT, slack_app_token=APP,
                             slack_signing_secret=SECRET)

    for value in (BOT, APP, SECRET):
        assert value not in repr(settings)
