"""The contract every chat platform implements so delivery and commands stay platform-neutral."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from bot.delivery.ratelimit import RateLimiter
from bot.errors import DeliveryError, MessageRejected
from bot.i18n import Translator
from bot.parser.models import Paper
from bot.store.chats import ChatRef


@dataclass(frozen=True, slots=True)
class Target:
    """The destination of a message: a chat and, for forum topics or Slack threads, a thread."""

    chat: ChatRef
    thread_id: str | None = None


class MessageTooLong(MessageRejected):
    """The platform counted the text as longer than its limit.

    Messengers split such a message at paper or line boundaries themselves; this error
    reaches the sender only when a single line is still too long.
    """


class SendOutcomeUnknown(DeliveryError):
    """The request may have reached the platform, but its response never came.

    Sending again could show the chat a second copy, and where the platform offers no
    way to ask whether the first one arrived, the card is recorded as failed instead.
    """


class PartlySent(DeliveryError):
    """A message split in several parts failed after ``message_ids`` had arrived.

    Resending would repeat the parts that arrived, so the card is recorded as failed
    with the ids of the parts that did.
    """

    def __init__(self, message: str, *, message_ids: Sequence[str]) -> None:
        super().__init__(message)
        self.message_ids = tuple(message_ids)


class Messenger(Protocol):
    """Sends cards, digests and plain text to one platform.

    Implementations raise the ``bot.errors.DeliveryError`` subclasses, including the
    three above, and never the platform library's own errors. They return the
    platform's message id, which for a message sent in parts is the first part's. Every
    request goes through ``limiter``: ``acquire`` before it and ``settle`` after its response.
    """

    platform: str
    limiter: RateLimiter

    async def send_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Send one paper card."""
        ...

    async def send_plain_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Send one paper card without formatting, for when the formatted one was rejected."""
        ...

    async def send_text(self, target: Target, text: str) -> str:
        """Send plain text."""
        ...

    def split_digest(self, papers: Sequence[Paper], *, t: Translator,
                     date: dt.date) -> list[list[Paper]]:
        """Group ``papers``, in order, into digest messages within the platform's limits."""
        ...

    async def send_digest(self, target: Target, papers: Sequence[Paper], *, t: Translator,
                          date: dt.date, part: int = 1, parts: int = 1) -> str:
        """Send one digest message listing ``papers`` compactly, one group of ``split_digest``."""
        ...


@runtime_checkable
class ThreadMessenger(Messenger, Protocol):
    """A messenger whose platform has reply threads, for the ``thread`` delivery mode."""

    async def send_summary(self, target: Target, papers: Sequence[Paper], *, t: Translator,
                           date: dt.date) -> str:
        """Post a short summary of ``papers``; its message id is the thread for their cards."""
        ...
