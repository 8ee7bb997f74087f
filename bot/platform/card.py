"""The platform-neutral paper card: styled lines, links, and shortening to a length limit."""

from __future__ import annotations

import enum
import logging
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from bot.i18n import Translator
from bot.parser.models import Paper

logger = logging.getLogger(__name__)

ELLIPSIS = "…"
FEATURED_MARK = "🏆"
BULLET = "•"
LINK_SCHEMES = frozenset({"http", "https"})

# Counts a text in the platform's length unit. It must be additive over characters,
# because fields are cut one character at a time.
Measure = Callable[[str], int]


class Style(enum.Enum):
    """The typographic style of a piece of card text."""

    PLAIN = "plain"
    BOLD = "bold"
    ITALIC = "italic"


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of card text in one style. The text is raw, so each platform escapes it."""

    text: str
    style: Style = Style.PLAIN


# One line of a card. The empty tuple is a blank line.
Line = tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """A labelled link shown under the card: a button in Telegram, a line in plain text."""

    label: str
    url: str


@dataclass(frozen=True, slots=True)
class CardContent:
    """The values one card shows, as text. Shortening replaces them with cut copies.

    ``title`` is ``Paper.title_zh`` when it is set, else ``Paper.title_en``. In the second
    case ``subtitle`` is None, so the English title is not shown twice.
    """

    rank: int
    featured: bool
    title: str
    subtitle: str | None
    org: str | None
    score: str
    tags: str | None
    upvotes: str
    stars: str
    summary: str | None
    highlights: tuple[str, ...]

    @classmethod
    def from_paper(cls, paper: Paper) -> CardContent:
        """Take the displayed values from ``paper``, leaving out blank optional ones."""
        title_zh = paper.title_zh if paper.title_zh and paper.title_zh.strip() else None
        tags = ", ".join(tag for tag in paper.tags if tag.strip())
        return cls(
            rank=paper.rank,
            featured=paper.featured,
            title=title_zh if title_zh is not None else paper.title_en,
            subtitle=paper.title_en if title_zh is not None else None,
            org=paper.org if paper.org.strip() else None,
            score=str(paper.score),
            tags=tags or None,
            upvotes=str(paper.upvotes),
            stars=str(paper.stars),
            summary=paper.summary if paper.summary and paper.summary.strip() else None,
            highlights=tuple(item for item in paper.highlights if item.strip()),
        )


def card_lines(content: CardContent, *, t: Translator) -> list[Line]:
    """Lay out a card: heading, facts, summary and highlights, with blank lines between."""
    prefix = f"{FEATURED_MARK} {content.rank}. " if content.featured else f"{content.rank}. "
    lines: list[Line] = [(Piece(prefix), Piece(content.title, Style.BOLD))]
    if content.subtitle is not None:
        lines.append((Piece(content.subtitle, Style.ITALIC),))

    lines.append(())
    if content.org is not None:
        lines.append(_field(t.gettext("Organization"), content.org, t))
    lines.append(_field(t.gettext("Score"), content.score, t))
    if content.tags is not None:
        lines.append(_field(t.gettext("Tags"), content.tags, t))
    lines.append((*_field(t.gettext("Upvotes"), content.upvotes, t), Piece(" | "),
                  *_field(t.gettext("Stars"), content.stars, t)))

    if content.summary is not None:
        lines.append(())
        lines.append(_field(t.gettext("Summary"), content.summary, t))

    if content.highlights:
        lines.append(())
        lines.append((Piece(t.gettext("Highlights"), Style.BOLD), Piece(":")))
        lines.extend(_highlight_line(item) for item in content.highlights)
    return lines


def card_links(paper: Paper, *, t: Translator) -> list[Link]:
    """Return the card's links: the arXiv page and the PDF, or else the digest's URL.

    A URL that is not a plain http(s) address is left out, because Telegram rejects the
    whole message when one button URL is invalid.
    """
    if paper.arxiv_id and paper.abs_url and paper.pdf_url:
        candidates = [Link(t.gettext("arXiv"), paper.abs_url),
                      Link(t.gettext("PDF"), paper.pdf_url)]
    elif paper.url:
        candidates = [Link(t.gettext("Paper link"), paper.url)]
    else:
        candidates = []
    links = [link for link in candidates if is_link_url(link.url)]
    if len(links) < len(candidates):
        logger.warning("card link left out, not an http(s) URL key=%s", paper.key)
    return links


def is_link_url(url: str) -> bool:
    """Tell whether ``url`` is an absolute http(s) URL without whitespace or control characters."""
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in url):
        return False
    parts = urlsplit(url)
    return parts.scheme.lower() in LINK_SCHEMES and bool(parts.netloc)


def plain_text(lines: list[Line]) -> str:
    """Join the lines as unstyled text: what a chat displays once markup is parsed."""
    return "\n".join("".join(piece.text for piece in line) for line in lines)


def fit_card(content: CardContent, *, t: Translator, limit: int, measure: Measure) -> CardContent:
    """Shorten ``content`` until its plain text measures at most ``limit``.

    Fields are cut in this order, each only as far as needed: the summary, the
    highlights from the last one up, the tags, the organisation, the English title
    under a Chinese one, and the main title as a last resort. A cut field ends with
    ``…``. A field with no room for one character and the ``…`` is left out, except
    the main title, which becomes ``…`` alone.

    Raises ValueError when the card is still too long with every field cut, which
    happens when ``limit`` is smaller than the card's labels and numbers together.
    """
    original = content
    for shrink in _SHRINK_ORDER:
        excess = measure(plain_text(card_lines(content, t=t))) - limit
        if excess <= 0:
            break
        content = shrink(content, excess, measure)
    else:
        excess = measure(plain_text(card_lines(content, t=t))) - limit
        if excess > 0:
            raise ValueError(f"card for rank {content.rank} is {excess} units over the limit "
                             f"of {limit} even with every text field cut")
    if content != original:
        logger.debug("card shortened rank=%s limit=%s", content.rank, limit)
    return content


def shorten(text: str, budget: int, measure: Measure) -> str | None:
    """Return ``text`` cut to at most ``budget`` units, ending with ``…``.

    ``text`` is returned unchanged when it fits, and None when not even one character
    fits before the ``…``. The cut never splits a character, and it never separates a
    base character from a combining mark, variation selector or emoji modifier, nor
    ends on a zero-width joiner.
    """
    if measure(text) <= budget:
        return text
    room = budget - measure(ELLIPSIS)
    used = 0
    end = 0
    for char in text:
        used += measure(char)
        if used > room:
            break
        end += 1
    while 0 < end < len(text) and (
        _continues_previous(text[end]) or text[end - 1] == _ZERO_WIDTH_JOINER
    ):
        end -= 1
    prefix = text[:end].rstrip()
    return prefix + ELLIPSIS if prefix else None


_ZERO_WIDTH_JOINER = "\u200d"


def _continues_previous(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # emoji skin-tone modifiers
        or char == _ZERO_WIDTH_JOINER
    )


def _field(label: str, value: str, t: Translator) -> Line:
    # The separator is a catalog entry because Chinese text uses the full-width colon.
    return (Piece(label, Style.BOLD), Piece(t.gettext(": ") + value))


def _highlight_line(item: str) -> Line:
    return (Piece(f"{BULLET} {item}"),)


def _shrink_summary(content: CardContent, excess: int, measure: Measure) -> CardContent:
    if content.summary is None:
        return content
    return replace(content, summary=shorten(content.summary, measure(content.summary) - excess,
                                            measure))


def _shrink_highlights(content: CardContent, excess: int, measure: Measure) -> CardContent:
    remaining = list(content.highlights)
    while remaining and excess > 0:
        last = remaining.pop()
        cut = shorten(last, measure(last) - excess, measure)
        if cut is not None:
            remaining.append(cut)
            break
        # The line break before the dropped line is saved too.
        excess -= measure(plain_text([_highlight_line(last)])) + 1
    return replace(content, highlights=tuple(remaining))


def _shrink_tags(content: CardContent, excess: int, measure: Measure) -> CardContent:
    if content.tags is None:
        return content
    return replace(content, tags=shorten(content.tags, measure(content.tags) - excess, measure))


def _shrink_org(content: CardContent, excess: int, measure: Measure) -> CardContent:
    if content.org is None:
        return content
    return replace(content, org=shorten(content.org, measure(content.org) - excess, measure))


def _shrink_subtitle(content: CardContent, excess: int, measure: Measure) -> CardContent:
    if content.subtitle is None:
        return content
    return replace(content, subtitle=shorten(content.subtitle, measure(content.subtitle) - excess,
                                             measure))


def _shrink_title(content: CardContent, excess: int, measure: Measure) -> CardContent:
    title = shorten(content.title, measure(content.title) - excess, measure)
    return replace(content, title=title if title is not None else ELLIPSIS)


_SHRINK_ORDER: tuple[Callable[[CardContent, int, Measure], CardContent], ...] = (
    _shrink_summary,
    _shrink_highlights,
    _shrink_tags,
    _shrink_org,
    _shrink_subtitle,
    _shrink_title,
)
