"""Render a paper card as a Telegram HTML message with link buttons."""

from __future__ import annotations

import html
import logging
from dataclasses import dataclass
from typing import ClassVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit, ParseMode

from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.card import CardContent, Line, Style, card_lines, card_links, fit_card
from bot.platform.text import utf16_length

logger = logging.getLogger(__name__)

_TAGS = {Style.BOLD: "b", Style.ITALIC: "i"}


@dataclass(frozen=True, slots=True)
class TelegramCard:
    """A card ready for ``send_message``: HTML text and an optional inline keyboard."""

    parse_mode: ClassVar[ParseMode] = ParseMode.HTML

    text: str
    reply_markup: InlineKeyboardMarkup | None


def render_card(paper: Paper, *, t: Translator) -> TelegramCard:
    """Render ``paper`` as HTML whose parsed text fits Telegram's message length limit.

    Every value from the digest is escaped, so none can open a tag or an entity. The
    limit counts the text after Telegram parses the HTML, in UTF-16 code units, so the
    fields are shortened on the raw text before escaping (see ``fit_card``).
    """
    content = fit_card(CardContent.from_paper(paper), t=t,
                       limit=MessageLimit.MAX_TEXT_LENGTH, measure=utf16_length)
    text = "\n".join(_line_html(line) for line in card_lines(content, t=t))
    return TelegramCard(text=text, reply_markup=_keyboard(paper, t=t))


def _line_html(line: Line) -> str:
    parts: list[str] = []
    for piece in line:
        escaped = html.escape(piece.text, quote=False)
        tag = _TAGS.get(piece.style)
        parts.append(f"<{tag}>{escaped}</{tag}>" if tag else escaped)
    return "".join(parts)


def _keyboard(paper: Paper, *, t: Translator) -> InlineKeyboardMarkup | None:
    buttons = [InlineKeyboardButton(link.label, url=link.url) for link in card_links(paper, t=t)]
    if not buttons:
        return None
    return InlineKeyboardMarkup([buttons])
