"""A chat on the terminal: commands read from stdin, replies and cards printed to stdout.

It replaces a chat platform when no token is set, so the whole bot can be tried
locally with the same command handlers and the same delivery path.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

from bot.commands import CardsReply, CommandRouter, parse_command_line
from bot.delivery.digest import digest_text
from bot.delivery.ratelimit import UNLIMITED, RateLimiter
from bot.i18n import Translator, get_translator
from bot.parser.models import Paper
from bot.platform.base import Target
from bot.platform.plaintext import render_card_text
from bot.store import ChatRef

logger = logging.getLogger(__name__)

PLATFORM = "console"
CONSOLE_CHAT = ChatRef(PLATFORM, "local")
_RULE = "─" * 60


class ConsoleMessenger:
    """The console ``Messenger``: prints each message, numbered."""

    platform = PLATFORM

    def __init__(self, output: TextIO) -> None:
        self._output = output
        self._count = 0
        self.limiter = RateLimiter(UNLIMITED)

    async def send_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Print a card."""
        return self._print(render_card_text(paper, t=t))

    async def send_plain_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Print a card; the console has only plain text anyway."""
        return await self.send_card(target, paper, t=t)

    async def send_text(self, target: Target, text: str) -> str:
        """Print text."""
        return self._print(text)

    def split_digest(self, papers: Sequence[Paper], *, t: Translator,
                     date: dt.date) -> list[list[Paper]]:
        """Keep every paper in one message: the terminal has no length limit."""
        return [list(papers)] if papers else []

    async def send_digest(self, target: Target, papers: Sequence[Paper], *, t: Translator,
                          date: dt.date, part: int = 1, parts: int = 1) -> str:
        """Print a digest: a heading, then one entry per paper with its link."""
        return self._print(digest_text(papers, t=t, date=date, part=part, parts=parts))

    def _print(self, text: str) -> str:
        self._count += 1
        self._output.write(f"{_RULE}\n{text}\n")
        self._output.flush()
        return str(self._count)


class ConsoleChat:
    """Read command lines from an input stream and reply as in a private chat."""

    def __init__(self, router: CommandRouter, messenger: ConsoleMessenger) -> None:
        self._router = router
        self._messenger = messenger

    async def run(self, stream: asyncio.StreamReader) -> None:
        """Run each command line until the stream ends."""
        t = get_translator(self._router.services.default_language)
        intro = t.gettext("Type a command such as /subscribe Google or /top 3; "
                          "/help lists them all. Ctrl-D quits.")
        await self._messenger.send_text(Target(CONSOLE_CHAT), intro)
        while line := await stream.readline():
            await self.handle_line(line.decode("utf-8", errors="replace"))
        logger.info("console input closed")

    async def handle_line(self, line: str) -> None:
        """Run one command line and print its replies."""
        parsed = parse_command_line(line)
        if parsed is None:
            return

        async def is_admin() -> bool:
            return True

        name, args = parsed
        context = await self._router.context(CONSOLE_CHAT, kind="private", is_admin=is_admin)
        target = Target(CONSOLE_CHAT)
        for reply in await self._router.handle(context, name, args):
            if isinstance(reply, CardsReply):
                for paper in reply.papers:
                    await self._messenger.send_card(target, paper, t=context.t)
            else:
                await self._messenger.send_text(target, reply.text)


async def stdin_reader() -> asyncio.StreamReader:
    """Return an asyncio reader over standard input."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except ValueError:
        # A regular file or /dev/null (``paperbot run < commands.txt``, a service
        # manager) cannot be watched by the event loop, so a thread reads it instead.
        threading.Thread(target=_feed, args=(loop, reader), name="console-stdin",
                         daemon=True).start()
    return reader


def _feed(loop: asyncio.AbstractEventLoop, reader: asyncio.StreamReader) -> None:
    for line in iter(sys.stdin.buffer.readline, b""):
        loop.call_soon_threadsafe(reader.feed_data, line)
    loop.call_soon_threadsafe(reader.feed_eof)
