"""What a command handler gets: the chat, its language, and the shared services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.clock import Clock
from bot.delivery.schedule import DEFAULT_TIMEZONE
from bot.i18n import Translator
from bot.matcher.orgs import OrgMatcher
from bot.parser.models import Paper
from bot.store import Chat, Store


@dataclass(frozen=True, slots=True)
class TextReply:
    """A plain-text reply; platforms send it without markup."""

    text: str


@dataclass(frozen=True, slots=True)
class CardsReply:
    """Paper cards sent as replies, in the given order."""

    papers: tuple[Paper, ...]


Reply = TextReply | CardsReply


@dataclass(frozen=True, slots=True)
class Services:
    """Long-lived collaborators shared by every command."""

    store: Store
    orgs: OrgMatcher
    clock: Clock
    default_language: str
    # The TIMEZONE setting: the time zone of chats that have not set one with /tz.
    default_timezone: str = DEFAULT_TIMEZONE


@dataclass(frozen=True, slots=True)
class CommandContext:
    """One command invocation: who asked where, in which language.

    ``is_admin`` is only awaited by commands that change the chat, because on
    Telegram it costs a getChatMember request. ``resumed_reason`` is set when this
    command resumed a paused chat: why it had been paused, or "" when no reason was kept.
    """

    services: Services
    chat: Chat
    t: Translator
    is_admin: Callable[[], Awaitable[bool]]
    thread_id: str | None = None
    resumed_reason: str | None = None
