"""Tests that the Slack app manifest declares what the Slack frontend uses, and no more."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.platform.slack.replies import SLASH_COMMAND

MANIFEST = Path(__file__).resolve().parents[2] / "deploy" / "slack" / "manifest.yaml"


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def test_manifest_declares_papers_command(manifest: dict[str, Any]) -> None:
    [command] = manifest["features"]["slash_commands"]

    assert command["command"] == SLASH_COMMAND
    assert command["should_escape"] is False


def test_manifest_events_match_listeners(manifest: dict[str, Any]) -> None:
    events = manifest["settings"]["event_subscriptions"]["bot_events"]

    assert sorted(events) == ["app_mention", "member_joined_channel", "message.im"]


def test_manifest_scopes_are_the_used_ones(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]

    assert sorted(scopes) == ["app_mentions:read", "channels:read", "chat:write", "commands",
                              "groups:read", "im:history"]


def test_manifest_enables_socket_mode(manifest: dict[str, Any]) -> None:
    assert manifest["settings"]["socket_mode_enabled"] is True


def test_manifest_allows_direct_messages(manifest: dict[str, Any]) -> None:
    app_home = manifest["features"]["app_home"]

    assert app_home["messages_tab_enabled"] is True
    assert app_home["messages_tab_read_only_enabled"] is False
