"""The ``digest`` delivery mode's message: one compact entry per paper, packed into messages.

Each platform renders the entries in its own markup; this module decides what an entry
shows (rank, 🏆, title, organisation, score, link) and how entries are grouped so each
message stays within the platform's length and entity limits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.card import FEATURED_MARK, is_link_url, shorten
from bot.platform.text import utf16_length

# Titles are cut to this many UTF-16 units, so one entry always fits a message.
MAX_TITLE_LENGTH = 300
HEADING_MARK = "📚"
ENTRY_SEPARATOR = "\n\n"


@dataclass(frozen=True, slots=True)
class DigestEntry:
    """What the digest message shows of one paper; text is raw, each platform escapes it."""

    rank: int
    featured: bool
    title: str
    details: str
    url: str | None

    @classmethod
    def from_paper(cls, paper: Paper, *, t: Translator) -> DigestEntry:
        """Take the entry's values from ``paper``: its Chinese title when it has one."""
        title = paper.title_zh if paper.title_zh and paper.title_zh.strip() else paper.title_en
        title = shorten(title, MAX_TITLE_LENGTH, utf16_length) or title[:1]
        score = f"{t.gettext('Score')}: {paper.score}"
        details = f"{paper.org} · {score}" if paper.org.strip() else score
        url = paper.abs_url if paper.abs_url and is_link_url(paper.abs_url) else None
        return cls(rank=paper.rank, featured=paper.featured, title=title, details=details,
                   url=url)

    @property
    def prefix(self) -> str:
        """The text before the title: rank and, for a featured paper, 🏆."""
        return f"{self.rank}. {FEATURED_MARK} " if self.featured else f"{self.rank}. "

    @property
    def plain(self) -> str:
        """The entry as the chat displays it, without markup."""
        return f"{self.prefix}{self.title}\n{self.details}"


def digest_heading(*, t: Translator, date: dt.date, part: int = 1, parts: int = 1) -> str:
    """Return the first line of a digest message, with ``(part/parts)`` when split."""
    heading = t.gettext("Papers of the {date} digest that match this chat's subscriptions",
                        date=date.isoformat())
    heading = f"{HEADING_MARK} {heading}"
    return f"{heading} ({part}/{parts})" if parts > 1 else heading


def digest_text(papers: Sequence[Paper], *, t: Translator, date: dt.date, part: int = 1,
                parts: int = 1) -> str:
    """Return a digest message as plain text, each entry followed by its link."""
    blocks = [digest_heading(t=t, date=date, part=part, parts=parts)]
    for paper in papers:
        entry = DigestEntry.from_paper(paper, t=t)
        blocks.append(f"{entry.plain}\n{entry.url}" if entry.url else entry.plain)
    return ENTRY_SEPARATOR.join(blocks)


def pack(sizes: Sequence[int], *, limit: int, separator: int, max_items: int) -> list[range]:
    """Group consecutive items into as few groups as the greedy fill allows.

    A group's size is the sum of its items' ``sizes`` plus ``separator`` between two
    items; it stays within ``limit`` and holds at most ``max_items``. An item larger
    than ``limit`` on its own gets a group of its own.
    """
    groups: list[range] = []
    start, used = 0, 0
    for index, size in enumerate(sizes):
        count = index - start
        grown = used + size + (separator if count else 0)
        if count and (grown > limit or count >= max_items):
            groups.append(range(start, index))
            start, used = index, size
        else:
            used = grown
    if start < len(sizes):
        groups.append(range(start, len(sizes)))
    return groups
