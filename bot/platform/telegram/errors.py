"""Bot API errors mapped once onto paperbot's delivery errors, grouped by the action taken.

| Bot API answer                                        | delivery error        |
| ----------------------------------------------------- | --------------------- |
| 429, or ``parameters.retry_after``                    | ``RateLimited``       |
| 400 with ``parameters.migrate_to_chat_id``            | ``ChatMoved``         |
| 403 (blocked, kicked, user deactivated, …)            | ``RecipientGone``     |
| 400 naming a chat the bot cannot reach                | ``RecipientGone``     |
| 400 "message is too long"                             | ``MessageTooLong``    |
| other 400 (entities, buttons, …)                      | ``MessageRejected``   |
| 5xx, no connection, connect or pool timeout           | ``TemporaryFailure``  |
| read timeout, connection lost before the response     | ``SendOutcomeUnknown``|
| 401/404 token, 409 conflict, anything else            | ``MessageRejected``   |

The Bot API has no idempotency key and no way to ask whether a message arrived, so a
request whose response was lost cannot be resent without risking a second copy: it is
``SendOutcomeUnknown``, which the sender records as failed. A request that provably
never left (refused connection, connect or pool timeout, failed write) is safe to resend.
"""

from __future__ import annotations

import datetime as dt
import re

import httpx
from telegram import error as tg

from bot.errors import (
    ChatMoved,
    DeliveryError,
    MessageRejected,
    RateLimited,
    RecipientGone,
    TemporaryFailure,
)
from bot.platform.base import MessageTooLong, SendOutcomeUnknown

# Bad Request descriptions that mean the chat itself is out of reach, not the message.
GONE_DESCRIPTIONS = ("chat not found", "user not found", "have no rights to send",
                     "not enough rights to send", "bot is not a member", "group chat was deleted",
                     "peer_id_invalid", "chat_write_forbidden", "user is deactivated",
                     "bot was blocked", "bot was kicked")
TOO_LONG_DESCRIPTIONS = ("message is too long", "text is too long", "message_too_long")
# Without ``parameters.retry_after`` python-telegram-bot raises a bare NetworkError for a
# 429; Telegram's description still reads "Too Many Requests: retry after N".
_RETRY_AFTER_TEXT = re.compile(r"too many requests(?:: retry after (\d+))?", re.IGNORECASE)
DEFAULT_RETRY_AFTER_SECONDS = 1.0

# httpx errors raised before the request was fully written: Telegram cannot have it.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.WriteError,
             httpx.WriteTimeout, httpx.UnsupportedProtocol, httpx.ProxyError)
# httpx errors raised after the request was written: it may have been processed.
_MAYBE_SENT = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)


def map_telegram_error(error: tg.TelegramError) -> DeliveryError:
    """Return the delivery error that says what to do about ``error``.

    Order matters: in python-telegram-bot, ``BadRequest`` and ``TimedOut`` are
    subclasses of ``NetworkError``.
    """
    message = str(error)
    if isinstance(error, tg.RetryAfter):
        return RateLimited(message, retry_after=_seconds(error.retry_after))
    if isinstance(error, tg.ChatMigrated):
        return ChatMoved(message, new_chat_id=str(error.new_chat_id))
    if isinstance(error, tg.Forbidden):
        return RecipientGone(message)
    if isinstance(error, tg.BadRequest):
        return _bad_request(message)
    if isinstance(error, tg.TimedOut | tg.NetworkError):
        return _network(error, message)
    # InvalidToken, EndPointNotFound, Conflict, PassportDecryptionError and the base class:
    # retrying will not help this card, but the cause is likely the bot's own setup, so
    # the card is failed, not the chat.
    return MessageRejected(message)


def _bad_request(message: str) -> DeliveryError:
    lowered = message.lower()
    if any(text in lowered for text in TOO_LONG_DESCRIPTIONS):
        return MessageTooLong(message)
    if any(text in lowered for text in GONE_DESCRIPTIONS):
        return RecipientGone(message)
    return MessageRejected(message)


def _network(error: tg.NetworkError, message: str) -> DeliveryError:
    limited = _RETRY_AFTER_TEXT.search(message)
    if limited is not None:
        seconds = float(limited.group(1)) if limited.group(1) else DEFAULT_RETRY_AFTER_SECONDS
        return RateLimited(message, retry_after=seconds)
    cause = error.__cause__
    if isinstance(cause, _NOT_SENT):
        return TemporaryFailure(f"{message} ({type(cause).__name__}; the request was not sent)")
    if isinstance(cause, _MAYBE_SENT) or isinstance(error, tg.TimedOut):
        name = type(cause).__name__ if cause is not None else "TimedOut"
        return SendOutcomeUnknown(f"{message or 'timed out'} ({name} after the request was "
                                  "sent; it may have arrived)")
    # An HTTP 5xx answer, which python-telegram-bot raises without a cause.
    return TemporaryFailure(message)


def _seconds(value: float | dt.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
