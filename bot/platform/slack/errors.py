"""Slack Web API errors mapped once onto paperbot's delivery errors, grouped by the action taken.

Slack responds to a failed call with ``{"ok": false, "error": "<code>"}``; slack-sdk raises
that as ``SlackApiError``. The codes below come from the error lists of Slack's
``chat.postMessage`` and ``chat.postEphemeral`` references and the rate-limit guide.

chat.postMessage takes no idempotency key, so a request whose response was lost cannot
be resent without risking a second copy: that is ``SendOutcomeUnknown``. Only a request
that provably never left (no connection could be made) is a ``TemporaryFailure``. For
the same reason ``build_app`` turns off slack-sdk's automatic retry after a dropped
connection.
"""

from __future__ import annotations

from typing import Final

import aiohttp
from slack_sdk.errors import (
    SlackApiError,
    SlackClientError,
    SlackClientNotConnectedError,
    SlackObjectFormationError,
)

from bot.errors import DeliveryError, MessageRejected, RateLimited, RecipientGone, TemporaryFailure
from bot.platform.base import SendOutcomeUnknown

# The bot cannot post in the channel: pause the chat until it is invited back or the
# channel changes. ``restricted_action*`` means a workspace or channel setting forbids
# the bot's post, which only an admin or channel manager can change.
GONE_CODES: Final = frozenset({
    "not_in_channel", "channel_not_found", "is_archived", "restricted_action",
    "restricted_action_read_only_channel", "restricted_action_thread_only_channel",
    "restricted_action_non_threadable_channel", "team_access_not_granted",
    "ekm_access_denied",
})
# Of the codes above, those fixed by ``/invite @bot``: Slack returns channel_not_found
# for a private channel the bot is not in.
INVITE_CODES: Final = frozenset({"not_in_channel", "channel_not_found"})
# Slack asks us to slow down: wait ``Retry-After`` seconds and send the same message.
RATE_LIMIT_CODES: Final = frozenset({"ratelimited", "rate_limited", "message_limit_exceeded"})
# Slack rejected the message itself: resending it cannot help, a plain-text copy may.
REJECTED_CODES: Final = frozenset({
    "invalid_blocks", "invalid_blocks_format", "msg_too_long", "msg_blocks_too_long",
    "no_text", "too_many_attachments", "invalid_attachments", "invalid_arguments",
    "invalid_arg_name", "invalid_array_arg", "invalid_charset", "invalid_form_data",
    "invalid_post_type", "missing_post_type", "markdown_text_conflict",
    "invalid_metadata_format", "thread_not_found", "cannot_reply_to_message",
})
# A Slack-side outage: the same message may be sent again after a back-off.
TEMPORARY_CODES: Final = frozenset({
    "internal_error", "fatal_error", "service_unavailable", "request_timeout",
    "team_added_to_org",
})
# The bot's own setup is wrong (token, scopes, plan): no retry helps this card, so it is
# failed like a rejected message and logged as dropped, but the chat stays active.
SETUP_CODES: Final = frozenset({
    "invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
    "missing_scope", "not_allowed_token_type", "no_permission", "org_login_required",
    "two_factor_setup_required", "enterprise_is_restricted", "deprecated_endpoint",
    "accesslimited", "as_user_not_supported", "access_denied",
})

ERROR_ACTIONS: Final[dict[str, type[DeliveryError]]] = {
    **dict.fromkeys(GONE_CODES, RecipientGone),
    **dict.fromkeys(RATE_LIMIT_CODES, RateLimited),
    **dict.fromkeys(REJECTED_CODES, MessageRejected),
    **dict.fromkeys(TEMPORARY_CODES, TemporaryFailure),
    **dict.fromkeys(SETUP_CODES, MessageRejected),
}

# Errors a Web API or response_url call can raise, besides programming errors.
CLIENT_ERRORS: Final = (SlackClientError, aiohttp.ClientError, TimeoutError)

# Slack's rate-limit guide: without a Retry-After header, wait a little and try again.
DEFAULT_RETRY_AFTER_SECONDS: Final = 1.0
_MESSAGE_PREFIX = "Slack error "


def map_slack_error(error: Exception) -> DeliveryError:
    """Map ``error`` from slack-sdk or aiohttp to the delivery error naming the action to take."""
    if isinstance(error, SlackApiError):
        response = error.response
        code = str(response.get("error") or f"http_{response.status_code}")
        retry_after = _retry_after(response.headers.get("Retry-After")
                                   or response.headers.get("retry-after"))
        return map_error_code(code, status=response.status_code, retry_after=retry_after)
    if isinstance(error, SlackObjectFormationError):
        return MessageRejected(f"invalid Block Kit message: {error}")
    name = type(error).__name__
    if isinstance(error, aiohttp.ClientConnectorError | SlackClientNotConnectedError):
        return TemporaryFailure(f"Slack unreachable: {name}: {error} (the request was not sent)")
    if isinstance(error, TimeoutError | aiohttp.ServerConnectionError | aiohttp.ClientOSError
                  | aiohttp.ClientPayloadError):
        # The total timeout also covers connecting, but once it expires there is no way
        # to know whether the request had been sent, so it counts as possibly delivered.
        return SendOutcomeUnknown(f"no response from Slack: {name}: {error} (the request "
                                  "may have arrived)")
    if isinstance(error, aiohttp.ClientError):
        return TemporaryFailure(f"Slack unreachable: {name}: {error}")
    if isinstance(error, SlackClientError):
        return MessageRejected(f"Slack client error: {error}")
    raise TypeError(f"not a Slack or HTTP client error: {error!r}") from error


def map_error_code(code: str, *, status: int = 200, retry_after: float | None = None
                   ) -> DeliveryError:
    """Return the delivery error for Slack error ``code`` (HTTP ``status``).

    An unknown code is taken as a rejected message, unless the status is a 5xx, which
    is taken as an outage.
    """
    message = f"{_MESSAGE_PREFIX}{code}"
    action = ERROR_ACTIONS.get(code)
    if action is RateLimited or status == 429:
        return RateLimited(message, retry_after=retry_after or DEFAULT_RETRY_AFTER_SECONDS)
    if action is None:
        action = TemporaryFailure if status >= 500 else MessageRejected
    return action(message)


def needs_invite(reason: str | None) -> bool:
    """Tell whether a chat paused for ``reason`` (a delivery error's text) needs ``/invite``."""
    if reason is None or not reason.startswith(_MESSAGE_PREFIX):
        return False
    return reason.removeprefix(_MESSAGE_PREFIX) in INVITE_CODES


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if seconds >= 0 else None
