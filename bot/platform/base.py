"""The contract every chat platform implements so delivery and commands stay platform-neutral."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.i18n import Translator
from bot.parser.models import Paper
from bot.store.chats import ChatRef


@dataclass(frozen=True, slots=True)
class Target:
    """Where a message goes: a chat and, for forum topics or Slack threads, a thread."""

    chat: ChatRef
    thread_id: str | None = None


class Messenger(Protocol):
    """Sends cards and plain text to one platform.

    Implementations raise the ``bot.errors.DeliveryError`` subclasses, never the
    platform library's own errors, and return the platform's message id.
    """

    platform: str

    async def send_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Send one paper card."""
        ...

    async def send_plain_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Send one paper card without formatting, for when the formatted one was rejected."""
        ...

    async def send_text(self, target: Target, text: str) -> str:
        """Send plain text."""
        ...
