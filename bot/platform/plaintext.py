"""Render a paper card as plain text, for the console chat, previews and unformatted sends."""

from __future__ import annotations

import logging

from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.card import CardContent, card_lines, card_links, fit_card, plain_text
from bot.platform.text import utf16_length

logger = logging.getLogger(__name__)

_LINK_SEPARATOR = "  "


def render_card_text(paper: Paper, *, t: Translator, max_length: int | None = None) -> str:
    """Render ``paper`` as the text a chat shows, with its links as ``[label] URL`` pairs.

    With ``max_length`` (UTF-16 code units, Telegram's unit) the fields are shortened
    the way the Telegram card shortens them, so the whole text, links included, fits.
    Without it the card is complete.
    """
    links = _LINK_SEPARATOR.join(f"[{link.label}] {link.url}" for link in card_links(paper, t=t))
    footer = f"\n\n{links}" if links else ""
    content = CardContent.from_paper(paper)
    if max_length is not None:
        content = fit_card(content, t=t, limit=max_length - utf16_length(footer),
                           measure=utf16_length)
    return plain_text(card_lines(content, t=t)) + footer

