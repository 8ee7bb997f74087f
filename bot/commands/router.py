"""Command-line parsing and dispatch to the handler of each command."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Final

from bot.commands import digest, help, mode, schedule, settings, status, subscriptions
from bot.commands.context import CommandContext, Reply, Services, TextReply
from bot.i18n import get_translator
from bot.metrics import Metrics
from bot.store import ChatRef

logger = logging.getLogger(__name__)

Handler = Callable[[CommandContext, str], Awaitable[list[Reply]]]

COMMANDS: Final[dict[str, Handler]] = {
    "start": help.start,
    "help": help.help_,
    "subscribe": subscriptions.subscribe,
    "unsubscribe": subscriptions.unsubscribe,
    "list": subscriptions.list_,
    "top": digest.top,
    "today": digest.today,
    "lang": settings.lang,
    "time": schedule.time_,
    "tz": schedule.tz,
    "quiet": schedule.quiet,
    "mode": mode.mode,
    "status": status.status,
}


def parse_command_line(text: str, *, bot_username: str | None = None) -> tuple[str, str] | None:
    """Split ``/top@bot 3 org:Google`` into ``("top", "3 org:Google")``.

    The leading slash is optional, as in Slack's ``/papers top 3``. Returns None for
    empty text and for a command addressed to another bot.
    """
    stripped = text.strip()
    if not stripped:
        return None
    head, _, args = stripped.partition(" ")
    head = head.removeprefix("/")
    name, _, addressee = head.partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    return name.lower(), args.strip()


class CommandRouter:
    """Build a command's context from the chat and run its handler."""

    def __init__(self, services: Services, *, metrics: Metrics | None = None) -> None:
        self.services = services
        self._metrics = metrics or Metrics()

    async def context(self, ref: ChatRef, *, kind: str,
                      is_admin: Callable[[], Awaitable[bool]],
                      thread_id: str | None = None) -> CommandContext:
        """Return the context for a command from chat ``ref``, creating the chat if new.

        A chat that was paused because the bot could not reach it is resumed here,
        since a command from it proves the bot is back.
        """
        chats = self.services.store.chats
        chat = await chats.ensure(ref, kind=kind, now=self.services.clock())
        resumed_reason: str | None = None
        if not chat.active:
            resumed_reason = chat.inactive_reason or ""
            await chats.set_active(chat.pk, active=True)
            logger.info("chat resumed chat=%s", ref)
            chat = await chats.ensure(ref, kind=kind, now=self.services.clock())
        translator = get_translator(chat.language or self.services.default_language)
        return CommandContext(services=self.services, chat=chat, t=translator,
                              is_admin=is_admin, thread_id=thread_id,
                              resumed_reason=resumed_reason)

    async def handle(self, context: CommandContext, name: str, args: str) -> list[Reply]:
        """Run command ``name``; an unknown name gets a reply pointing to /help."""
        handler = COMMANDS.get(name)
        self._metrics.count_command(name, known=handler is not None)
        if handler is None:
            return [TextReply(context.t.gettext(
                "Unknown command /{name}. Send /help to see the commands.", name=name))]
        logger.info("command name=%s chat=%s", name, context.chat.ref)
        return await handler(context, args)
