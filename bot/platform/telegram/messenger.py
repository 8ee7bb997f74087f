"""Send cards, digests and text through the Bot API with python-telegram-bot."""

from __future__ import annotations

import datetime as dt
import html
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError

from bot.delivery.digest import (
    ENTRY_SEPARATOR,
    DigestEntry,
    digest_heading,
    pack,
)
from bot.delivery.ratelimit import Limits, RateLimiter, telegram_is_group
from bot.errors import DeliveryError, RateLimited
from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.base import MessageTooLong, PartlySent, Target
from bot.platform.card import CardContent, Line, Style, card_lines, fit_card, plain_text
from bot.platform.plaintext import render_card_text
from bot.platform.telegram.errors import map_telegram_error
from bot.platform.telegram.render import TelegramCard, render_card
from bot.platform.text import split_text, utf16_length

logger = logging.getLogger(__name__)

# The Bot FAQ ("My bot is hitting limits"): about 30 messages a second overall, one a
# second per chat with short bursts allowed, 20 a minute per group.
# NOTE: the FAQ gives no size for a burst; three lets a reply such as /top 3 go out at
# once, and a chat still averages one message a second.
TELEGRAM_PER_CHAT_BURST = 3
TELEGRAM_LIMITS = Limits(per_second=30, per_chat_per_second=1,
                         per_chat_burst=TELEGRAM_PER_CHAT_BURST, per_group_per_minute=20)
# Seconds to wait for sendMessage's response. A request that times out may still have
# arrived and is not resent, so this is far above Telegram's usual sub-second answer.
READ_TIMEOUT_SECONDS = 20.0
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_TAGS = {Style.BOLD: "b", Style.ITALIC: "i"}
# Each digest entry carries two entities (bold rank, title link); the heading one.
_ENTITIES_PER_ENTRY = 2
# Rendered cards kept for reuse: a fan-out sends the same few cards to many chats.
_RENDERED_CARDS = 256


@dataclass(frozen=True, slots=True)
class _Block:
    """A piece of a message that is never cut: closed HTML and the text it displays."""

    html: str
    plain: str


class TelegramMessenger:
    """The Telegram ``Messenger``: message ids are returned as strings.

    A message Telegram finds too long is split at paper or line boundaries and sent in
    parts; a single line that is still too long is sent as plain text in pieces.
    """

    platform = "telegram"

    def __init__(self, bot: Bot, *, limiter: RateLimiter | None = None,
                 read_timeout: float = READ_TIMEOUT_SECONDS) -> None:
        self._bot = bot
        self.limiter = limiter or RateLimiter(TELEGRAM_LIMITS, is_group=telegram_is_group)
        self._read_timeout = read_timeout
        self._cards: dict[tuple[int, str], tuple[Paper, TelegramCard]] = {}

    async def send_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Send a card as HTML with arXiv and PDF buttons."""
        card = self._render(paper, t)
        try:
            return await self._send(target, card.text, parse_mode=ParseMode.HTML,
                                    reply_markup=card.reply_markup)
        except MessageTooLong:
            logger.warning("card too long, sending it in parts chat=%s arxiv_id=%s",
                           target.chat, paper.key)
        content = fit_card(CardContent.from_paper(paper), t=t,
                           limit=MessageLimit.MAX_TEXT_LENGTH, measure=utf16_length)
        blocks = [_Block(_line_html(line), plain_text([line]))
                  for line in card_lines(content, t=t)]
        sent: list[str] = []
        await self._send_split(target, blocks, separator="\n", reply_markup=card.reply_markup,
                               sent=sent)
        return sent[0]

    def _render(self, paper: Paper, t: Translator) -> TelegramCard:
        # Keyed by object identity, checked on use, because a Paper is not hashable.
        key = (id(paper), t.lang)
        cached = self._cards.get(key)
        if cached is not None and cached[0] is paper:
            return cached[1]
        if len(self._cards) >= _RENDERED_CARDS:
            self._cards.clear()
        card = render_card(paper, t=t)
        self._cards[key] = (paper, card)
        return card

    async def send_plain_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Send a card as plain text, shortened to one message like the formatted card."""
        text = render_card_text(paper, t=t, max_length=MessageLimit.MAX_TEXT_LENGTH)
        return await self.send_text(target, text)

    async def send_text(self, target: Target, text: str) -> str:
        """Send plain text, split at line boundaries into messages within the length limit."""
        sent: list[str] = []
        for part in split_text(text, limit=MessageLimit.MAX_TEXT_LENGTH):
            await self._send_plain(target, part, sent=sent)
        return sent[0]

    def split_digest(self, papers: Sequence[Paper], *, t: Translator,
                     date: dt.date) -> list[list[Paper]]:
        """Group ``papers`` into messages within Telegram's length and entity limits."""
        sizes = [utf16_length(DigestEntry.from_paper(paper, t=t).plain) for paper in papers]
        # Room for the longest heading, "(99/99)" included, and the blank line after it.
        heading = utf16_length(digest_heading(t=t, date=date, part=99, parts=99))
        limit = MessageLimit.MAX_TEXT_LENGTH - heading - len(ENTRY_SEPARATOR)
        max_items = (MessageLimit.MESSAGE_ENTITIES - 1) // _ENTITIES_PER_ENTRY
        groups = pack(sizes, limit=limit, separator=len(ENTRY_SEPARATOR), max_items=max_items)
        return [[papers[index] for index in group] for group in groups]

    async def send_digest(self, target: Target, papers: Sequence[Paper], *, t: Translator,
                          date: dt.date, part: int = 1, parts: int = 1) -> str:
        """Send one digest message: a heading, then one linked entry per paper."""
        heading = digest_heading(t=t, date=date, part=part, parts=parts)
        blocks = [_Block(f"<b>{_escape(heading)}</b>", heading)]
        for paper in papers:
            entry = DigestEntry.from_paper(paper, t=t)
            blocks.append(_Block(_entry_html(entry), entry.plain))
        sent: list[str] = []
        await self._send_whole_or_split(target, blocks, separator=ENTRY_SEPARATOR,
                                        reply_markup=None, sent=sent)
        return sent[0]

    async def _send_whole_or_split(self, target: Target, blocks: list[_Block], *,
                                   separator: str, reply_markup: InlineKeyboardMarkup | None,
                                   sent: list[str]) -> None:
        text = separator.join(block.html for block in blocks)
        try:
            sent.append(await self._send(target, text, parse_mode=ParseMode.HTML,
                                         reply_markup=reply_markup))
            return
        except MessageTooLong:
            logger.warning("message too long, sending it in parts chat=%s blocks=%d",
                           target.chat, len(blocks))
        except DeliveryError as error:
            _raise_partly(error, sent)
        await self._send_split(target, blocks, separator=separator, reply_markup=reply_markup,
                               sent=sent)

    async def _send_split(self, target: Target, blocks: list[_Block], *, separator: str,
                          reply_markup: InlineKeyboardMarkup | None, sent: list[str]) -> None:
        """Send ``blocks`` in two halves, each split again if still too long.

        Blocks are never cut, so no HTML tag or entity is; a single block that is too
        long on its own goes out as plain text, cut at line and then character boundaries.
        Buttons go with the last part.
        """
        if len(blocks) == 1:
            await self._send_plain(target, blocks[0].plain, sent=sent, reply_markup=reply_markup)
            return
        half = _middle(blocks)
        await self._send_whole_or_split(target, blocks[:half], separator=separator,
                                        reply_markup=None, sent=sent)
        await self._send_whole_or_split(target, blocks[half:], separator=separator,
                                        reply_markup=reply_markup, sent=sent)

    async def _send_plain(self, target: Target, text: str, *, sent: list[str],
                          reply_markup: InlineKeyboardMarkup | None = None) -> None:
        try:
            sent.append(await self._send(target, text, parse_mode=None,
                                         reply_markup=reply_markup))
            return
        except MessageTooLong as error:
            length = utf16_length(text)
            if length <= 1:
                _raise_partly(error, sent)
            logger.warning("text too long, sending it in parts chat=%s length=%d",
                           target.chat, length)
        except DeliveryError as error:
            _raise_partly(error, sent)
        parts = split_text(text, limit=(utf16_length(text) + 1) // 2)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            await self._send_plain(target, part, sent=sent,
                                   reply_markup=reply_markup if last else None)

    async def _send(self, target: Target, text: str, *, parse_mode: str | None,
                    reply_markup: InlineKeyboardMarkup | None) -> str:
        chat = target.chat.chat_id
        thread_id = int(target.thread_id) if target.thread_id else None
        await self.limiter.acquire(chat)
        try:
            message = await self._bot.send_message(
                chat_id=int(chat), text=text, parse_mode=parse_mode,
                reply_markup=reply_markup, message_thread_id=thread_id,
                link_preview_options=_NO_PREVIEW, read_timeout=self._read_timeout)
        except TelegramError as error:
            mapped = map_telegram_error(error)
            if isinstance(mapped, RateLimited):
                self.limiter.pause(chat, mapped.retry_after)
            raise mapped from error
        finally:
            self.limiter.settle(chat)
        return str(message.message_id)


def _raise_partly(error: DeliveryError, sent: list[str]) -> None:
    """Re-raise ``error``, as ``PartlySent`` once some parts of the message arrived."""
    if sent:
        raise PartlySent(f"{len(sent)} part(s) arrived, then: {error}",
                         message_ids=sent) from error
    raise error


def _middle(blocks: list[_Block]) -> int:
    """Return the index that splits ``blocks`` into halves of about equal length."""
    total = sum(utf16_length(block.plain) for block in blocks)
    used = 0
    for index, block in enumerate(blocks[:-1], start=1):
        used += utf16_length(block.plain)
        if used * 2 >= total:
            return index
    return len(blocks) - 1


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _line_html(line: Line) -> str:
    parts: list[str] = []
    for piece in line:
        tag = _TAGS.get(piece.style)
        escaped = _escape(piece.text)
        parts.append(f"<{tag}>{escaped}</{tag}>" if tag else escaped)
    return "".join(parts)


def _entry_html(entry: DigestEntry) -> str:
    title = _escape(entry.title)
    if entry.url is not None:
        title = f'<a href="{html.escape(entry.url, quote=True)}">{title}</a>'
    prefix = _escape(entry.prefix).rstrip()
    return f"<b>{prefix}</b> {title}\n{_escape(entry.details)}"
