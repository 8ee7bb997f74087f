"""Send rejected digests and dropped deliveries to the admin chats, rate-limited to summaries.

Dropped work reaches the notifier through a logging handler on CRITICAL records, because
CRITICAL is the level this project reserves for work it gives up on ("card dropped …").
Whatever code drops a card is covered without calling the notifier itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from bot.errors import DigestParseError
from bot.i18n import Translator, get_translator
from bot.logs import SecretFilter
from bot.platform.base import Target
from bot.store import ChatRef, Store

logger = logging.getLogger(__name__)

# The first notice after a quiet spell goes out at once; those within the next
# MIN_INTERVAL_SECONDS are sent together as one summary when it ends.
MIN_INTERVAL_SECONDS = 300.0
# A summary lists this many notices and counts the rest.
MAX_LISTED = 10
# Longer notices are cut, so a summary stays within about one chat message.
MAX_NOTICE_LENGTH = 300


class TextSender(Protocol):
    """The part of a platform messenger the notifier uses."""

    async def send_text(self, target: Target, text: str) -> str:
        """Send plain text and return the platform's message id."""
        ...


@dataclass(frozen=True, slots=True)
class Notice:
    """One problem to report: a rejected digest file or a dropped delivery."""

    kind: Literal["rejected", "dropped"]
    details: str


class AdminNotifier:
    """Collect notices and send them to every admin chat, at most one message per interval.

    ``digest_rejected`` and ``work_dropped`` only queue a notice and never block or raise.
    A background task started by ``start`` sends the queue; ``stop`` sends what is left.
    """

    def __init__(self, *, chats: Sequence[ChatRef], messengers: Mapping[str, TextSender],
                 store: Store | None, default_language: str,
                 interval: float = MIN_INTERVAL_SECONDS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.chats = [chat for chat in chats if chat.platform in messengers]
        for chat in chats:
            if chat.platform not in messengers:
                logger.warning("admin chat skipped, its platform is not configured chat=%s",
                               chat)
        self._messengers = dict(messengers)
        self._store = store
        self._default_language = default_language
        self._interval = interval
        self._monotonic = monotonic
        self._pending: list[Notice] = []
        self._unlisted = 0
        self._next_send_at = float("-inf")
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._handler: _DroppedWorkHandler | None = None

    def digest_rejected(self, error: DigestParseError) -> None:
        """Queue the notice of a digest file that failed to parse (``FILE:LINE: …``)."""
        self._add(Notice("rejected", str(error)))

    def work_dropped(self, details: str) -> None:
        """Queue the notice of a delivery given up on; ``details`` names chat, paper and reason."""
        self._add(Notice("dropped", details))

    def start(self, *, secrets: Iterable[str] = ()) -> None:
        """Start sending, and report every CRITICAL log record as dropped work.

        ``secrets`` are masked in those records as in the log itself.
        """
        if not self.chats or self._task is not None:
            return
        self._handler = _DroppedWorkHandler(self, asyncio.get_running_loop())
        self._handler.addFilter(SecretFilter(secrets))
        logging.getLogger().addHandler(self._handler)
        self._task = asyncio.create_task(self._run(), name="admin-notices")

    async def stop(self) -> None:
        """Stop reporting and send the notices still queued, whatever the interval."""
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler = None
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.flush(force=True)

    async def flush(self, *, force: bool = False) -> bool:
        """Send the queued notices once the interval has passed (or if ``force``); True if sent."""
        if not self._pending or not self.chats:
            return False
        now = self._monotonic()
        if now < self._next_send_at and not force:
            return False
        notices, unlisted = self._pending, self._unlisted
        self._pending, self._unlisted = [], 0
        self._next_send_at = now + self._interval
        for chat in self.chats:
            t = get_translator(await self._language(chat))
            await self._send(chat, _compose(notices, unlisted, t))
        return True

    def _add(self, notice: Notice) -> None:
        if not self.chats:
            return
        if len(self._pending) < MAX_LISTED:
            self._pending.append(notice)
        else:
            self._unlisted += 1
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            delay = self._next_send_at - self._monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            await self.flush()

    async def _language(self, chat: ChatRef) -> str:
        if self._store is None:
            return self._default_language
        try:
            stored = await self._store.chats.find(chat)
        except Exception:
            # The database may be the very thing failing; the notice matters more.
            logger.warning("admin chat language unknown, using the default chat=%s", chat,
                           exc_info=True)
            return self._default_language
        if stored is None or stored.language is None:
            return self._default_language
        return stored.language

    async def _send(self, chat: ChatRef, text: str) -> None:
        try:
            await self._messengers[chat.platform].send_text(Target(chat), text)
        except Exception:
            # Never CRITICAL here: that would report itself as dropped work.
            logger.warning("admin notice not sent chat=%s", chat, exc_info=True)


class _DroppedWorkHandler(logging.Handler):
    """Turn each CRITICAL log record into a ``work_dropped`` notice."""

    def __init__(self, notifier: AdminNotifier, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(logging.CRITICAL)
        self._notifier = notifier
        self._loop = loop

    def emit(self, record: logging.LogRecord) -> None:
        details = record.getMessage()
        if self._loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._notifier.work_dropped(details)
        else:
            # Logged from another thread: the notifier's state belongs to its loop.
            self._loop.call_soon_threadsafe(self._notifier.work_dropped, details)


def _compose(notices: list[Notice], unlisted: int, t: Translator) -> str:
    lines = [_describe(notice, t) for notice in notices]
    if len(lines) == 1 and not unlisted:
        return lines[0]
    total = len(notices) + unlisted
    header = t.ngettext("{n} problem since the last notice:",
                        "{n} problems since the last notice:", total)
    text = "\n".join([header, *(f"• {line}" for line in lines)])
    if unlisted:
        text += "\n" + t.ngettext("…and {n} more; see the log for the rest.",
                                  "…and {n} more; see the log for the rest.", unlisted)
    return text


def _describe(notice: Notice, t: Translator) -> str:
    details = notice.details
    if len(details) > MAX_NOTICE_LENGTH:
        details = details[:MAX_NOTICE_LENGTH - 1] + "…"
    if notice.kind == "rejected":
        return t.gettext("Digest file rejected: {error}", error=details)
    return t.gettext("Delivery dropped: {details}", details=details)


def admin_chats(entries: Iterable[str]) -> list[ChatRef]:
    """Turn ADMIN_CHAT_IDS entries (``platform:chat_id``) into chat references."""
    refs = []
    for entry in entries:
        platform, _, chat_id = entry.partition(":")
        refs.append(ChatRef(platform, chat_id))
    return refs
