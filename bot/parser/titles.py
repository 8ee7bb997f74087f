"""Paper headings: the rank, the 🏆 marker and the split into Chinese and English titles."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Han ideographs (with extensions A and B and the compatibility block), kana and Hangul.
# Full-width punctuation such as "：" is left out because it never makes a title Chinese.
_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002a6df]"
)

# The generator writes "### {marker} {rank}. {title}" with an empty marker for ordinary
# papers, so the heading text from markdown-it is "🏆 1. title" or "1. title". The rank
# is capped at nine digits so a huge number cannot reach int()'s digit limit.
_HEADING = re.compile(
    r"(?P<marker>🏆\ufe0f?)?\s*(?P<rank>[0-9]{1,9})\.\s+(?P<title>\S.*)", re.DOTALL
)


@dataclass(frozen=True)
class PaperHeading:
    """The parts of a paper's ``###`` heading."""

    rank: int
    featured: bool
    title_zh: str | None
    title_en: str


def contains_cjk(text: str) -> bool:
    """Return whether ``text`` contains a Han, kana or Hangul character."""
    return _CJK.search(text) is not None


def parse_heading(text: str) -> PaperHeading | None:
    """Split a heading's text into rank, marker and titles, or return None if it is no paper.

    ``text`` is the heading's inline content without the ``###``, escapes already undone.
    """
    match = _HEADING.fullmatch(text.strip())
    if match is None:
        return None
    title_zh, title_en = split_title(match["title"].strip())
    return PaperHeading(
        rank=int(match["rank"]),
        featured=match["marker"] is not None,
        title_zh=title_zh,
        title_en=title_en,
    )


def split_title(title: str) -> tuple[str | None, str]:
    """Split ``中文标题 (English title)`` into ``(chinese, english)``.

    The English title is the last balanced parenthesis group, which must end the text,
    so parentheses inside it (``(HY-WU (Part I): …)``) stay in it. The split happens only
    when the text before that group contains CJK characters. Otherwise the whole title is
    English and the Chinese title is None, which keeps ``Unified Latents (UL): …`` whole.
    """
    open_index = _last_group_start(title)
    if open_index is None:
        return None, title
    chinese = title[:open_index].rstrip()
    english = title[open_index + 1 : -1].strip()
    if not english or not contains_cjk(chinese):
        return None, title
    return chinese, english


def _last_group_start(title: str) -> int | None:
    """Return the index of the ``(`` that opens the group closed by the final ``)``."""
    if not title.endswith(")"):
        return None
    depth = 0
    for index in range(len(title) - 1, -1, -1):
        char = title[index]
        if char == ")":
            depth += 1
        elif char == "(":
            depth -= 1
            if depth == 0:
                return index
    # NOTE: unbalanced parentheses in the English title defeat the split. An extra ")"
    # keeps the whole heading in title_en, and an extra "(" moves the split to it.
    return None
