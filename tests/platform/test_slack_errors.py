"""Tests of the mapping from Slack errors to paperbot's delivery errors."""

from __future__ import annotations

import socket

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError, SlackObjectFormationError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import (
    DeliveryError,
    MessageRejected,
    RateLimited,
    RecipientGone,
    TemporaryFailure,
)
from bot.platform.base import SendOutcomeUnknown
from bot.platform.slack.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    ERROR_ACTIONS,
    GONE_CODES,
    INVITE_CODES,
    RATE_LIMIT_CODES,
    REJECTED_CODES,
    SETUP_CODES,
    TEMPORARY_CODES,
    map_error_code,
    map_slack_error,
    needs_invite,
)
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack

GROUPS: dict[str, tuple[frozenset[str], type[DeliveryError]]] = {
    "gone": (GONE_CODES, RecipientGone),
    "rate-limit": (RATE_LIMIT_CODES, RateLimited),
    "rejected": (REJECTED_CODES, MessageRejected),
    "temporary": (TEMPORARY_CODES, TemporaryFailure),
    "setup": (SETUP_CODES, MessageRejected),
}
LISTED = sorted((code, action) for codes, action in GROUPS.values() for code in codes)


@pytest.mark.parametrize(("code", "action"), [
    pytest.param(code, action, id=code) for code, action in LISTED])
def test_every_listed_code_has_its_action(code: str, action: type[DeliveryError]) -> None:
    assert ERROR_ACTIONS[code] is action
    assert type(map_error_code(code)) is action


def test_error_groups_are_disjoint() -> None:
    total = sum(len(codes) for codes, _ in GROUPS.values())

    assert len(ERROR_ACTIONS) == total


def test_error_actions_cover_only_listed_groups() -> None:
    assert set(ERROR_ACTIONS) == {code for code, _ in LISTED}


def test_invite_codes_pause_the_chat() -> None:
    assert INVITE_CODES <= GONE_CODES


@pytest.mark.parametrize(("code", "status", "action"), [
    pytest.param("brand_new_error", 200, MessageRejected, id="unknown-ok-status"),
    pytest.param("brand_new_error", 503, TemporaryFailure, id="unknown-5xx"),
    pytest.param("http_502", 502, TemporaryFailure, id="bare-5xx"),
    pytest.param("brand_new_error", 429, RateLimited, id="unknown-429"),
])
def test_map_error_code_unlisted(code: str, status: int, action: type[DeliveryError]) -> None:
    assert type(map_error_code(code, status=status)) is action


def test_map_error_code_message_names_code() -> None:
    assert str(map_error_code("not_in_channel")) == "Slack error not_in_channel"


def test_rate_limit_without_retry_after_uses_default() -> None:
    error = map_error_code("ratelimited", status=429)

    assert isinstance(error, RateLimited)
    assert error.retry_after == DEFAULT_RETRY_AFTER_SECONDS


@pytest.mark.parametrize(("reason", "expected"), [
    pytest.param("Slack error not_in_channel", True, id="not-in-channel"),
    pytest.param("Slack error channel_not_found", True, id="channel-not-found"),
    pytest.param("Slack error is_archived", False, id="archived"),
    pytest.param("Forbidden: bot was blocked by the user", False, id="telegram-reason"),
    pytest.param(None, False, id="no-reason"),
])
def test_needs_invite(reason: str | None, expected: bool) -> None:
    assert needs_invite(reason) is expected


def test_needs_invite_reads_mapped_error() -> None:
    assert needs_invite(str(map_error_code("not_in_channel"))) is True


def test_object_formation_error_rejects_message() -> None:
    error = map_slack_error(SlackObjectFormationError("text attribute cannot exceed 150"))

    assert isinstance(error, MessageRejected)


@pytest.mark.parametrize("error", [
    pytest.param(TimeoutError(), id="timeout"),
    pytest.param(aiohttp.ServerDisconnectedError(), id="server-disconnected"),
    pytest.param(aiohttp.ClientOSError(104, "Connection reset by peer"), id="connection-reset"),
    pytest.param(aiohttp.ClientPayloadError("response cut short"), id="payload"),
])
def test_lost_response_outcome_unknown(error: Exception) -> None:
    assert isinstance(map_slack_error(error), SendOutcomeUnknown)


def test_other_client_error_is_temporary() -> None:
    assert isinstance(map_slack_error(aiohttp.InvalidURL("http://")), TemporaryFailure)


async def test_refused_connection_is_temporary() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AsyncWebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{port}/api/",
                            retry_handlers=[])
    with pytest.raises(aiohttp.ClientConnectorError) as caught:
        await client.chat_postMessage(channel="C0GENERAL", text="hello")

    error = map_slack_error(caught.value)

    assert isinstance(error, TemporaryFailure)
    assert "the request was not sent" in str(error)


def test_map_slack_error_refuses_other_errors() -> None:
    with pytest.raises(TypeError):
        map_slack_error(ValueError("a bug, not a Slack error"))


async def post_and_catch(fake: FakeSlack, channel: str = "C0GENERAL") -> SlackApiError:
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel=channel, text="hello")
    return caught.value


async def test_fake_not_in_channel_is_recipient_gone(fake_slack: FakeSlack) -> None:
    fake_slack.remove_bot_from("C0QUIET")

    error = map_slack_error(await post_and_catch(fake_slack, "C0QUIET"))

    assert isinstance(error, RecipientGone)
    assert needs_invite(str(error)) is True


async def test_fake_rate_limit_reads_retry_after(fake_slack: FakeSlack) -> None:
    fake_slack.rate_limit_next(1, retry_after=7)

    error = map_slack_error(await post_and_catch(fake_slack))

    assert isinstance(error, RateLimited)
    assert error.retry_after == 7.0


async def test_fake_invalid_auth_is_setup_error(fake_slack: FakeSlack) -> None:
    client = AsyncWebClient(token="xoxb-wrong", base_url=fake_slack.api_url)
    with pytest.raises(SlackApiError) as caught:
        await client.chat_postMessage(channel="C0GENERAL", text="hello")

    error = map_slack_error(caught.value)

    assert isinstance(error, MessageRejected)
    assert str(error) == "Slack error invalid_auth"
