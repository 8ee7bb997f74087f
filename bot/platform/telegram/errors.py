"""Bot API errors mapped once onto paperbot's delivery errors, grouped by the action taken."""

from __future__ import annotations

import datetime as dt

from telegram import error as tg

from bot.errors import (
    ChatMoved,
    DeliveryError,
    MessageRejected,
    RateLimited,
    RecipientGone,
    TemporaryFailure,
)

# Bad Request descriptions that mean the chat itself is out of reach, not the message.
_GONE_DESCRIPTIONS = ("chat not found", "user not found", "have no rights to send",
                      "not enough rights to send", "bot is not a member", "group chat was deleted",
                      "peer_id_invalid")


def map_telegram_error(error: tg.TelegramError) -> DeliveryError:
    """Return the delivery error that says what to do about ``error``.

    Order matters: in python-telegram-bot, ``BadRequest`` and ``TimedOut`` are
    subclasses of ``NetworkError``.
    """
    message = str(error)
    if isinstance(error, tg.RetryAfter):
        retry_after = error.retry_after
        seconds = (retry_after.total_seconds() if isinstance(retry_after, dt.timedelta)
                   else float(retry_after))
        return RateLimited(message, retry_after=seconds)
    if isinstance(error, tg.ChatMigrated):
        return ChatMoved(message, new_chat_id=str(error.new_chat_id))
    if isinstance(error, tg.Forbidden):
        return RecipientGone(message)
    if isinstance(error, tg.BadRequest):
        lowered = message.lower()
        if any(text in lowered for text in _GONE_DESCRIPTIONS):
            return RecipientGone(message)
        return MessageRejected(message)
    if isinstance(error, tg.TimedOut | tg.NetworkError):
        return TemporaryFailure(message)
    # InvalidToken, Conflict, EndPointNotFound and the base class: retrying will not help
    # this card, but it may be the bot's own setup, so the card is failed, not the chat.
    return MessageRejected(message)
