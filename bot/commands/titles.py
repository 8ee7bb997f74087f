"""The title a paper is listed under in a chat's language."""

from __future__ import annotations

from bot.i18n import Translator
from bot.parser.models import Paper


def display_title(paper: Paper, t: Translator) -> str:
    """Return the Chinese title in Chinese chats when there is one, else the English title."""
    if t.lang == "zh" and paper.title_zh:
        return paper.title_zh
    return paper.title_en
