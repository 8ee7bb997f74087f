"""Parse a ``# 每日论文汇总 - <date>`` digest file into a ``Digest``.

markdown-it-py reads the block structure (headings, paragraphs, lists, with their line
numbers), and this module is the only one that handles its tokens. ``bot.parser.titles``
reads the paper headings and ``bot.parser.fields`` converts the field values. Anything
the generator does not write is rejected with a ``DigestParseError``, so a changed
format never yields a wrong paper.

Values come back as plain text with backslash escapes and entities undone (markdown-it
does that in its text tokens). Other inline Markdown is kept as written, because the
generator copies titles and abstracts verbatim: a ``*`` or ``_`` in a value is part of
the value, so emphasis markers are put back and links come back as ``[text](url)``.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLinkText
from markdown_it.token import Token

from bot.errors import DigestParseError
from bot.parser import fields
from bot.parser.fields import FieldLine, InvalidValueError, PaperBuilder, quote
from bot.parser.models import Digest, Paper
from bot.parser.titles import parse_heading

logger = logging.getLogger(__name__)

DIGEST_HEADING = "每日论文汇总"
_DATED_HEADING = re.compile(
    rf"{DIGEST_HEADING}\s*[-–—]\s*(?P<date>[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})"
)
# The generator's whole text for a day without papers is "# 每日论文汇总\n\n今日无内容。".
_EMPTY_DAY_TEXT = "今日无内容。"
_EXPECTED_HEADING = f'"# {DIGEST_HEADING} - YYYY-MM-DD"'
_COLONS = (":", "：")
_BREAKS = frozenset({"softbreak", "hardbreak"})
_EMPHASIS = frozenset({"strong_open", "strong_close", "em_open", "em_close"})
_LISTS = frozenset({"bullet_list", "ordered_list"})
_LIST_PARTS = _LISTS | {"list_item", "paragraph", "inline"}


@functools.cache
def _markdown() -> MarkdownIt:
    # Raw HTML is off so "p<0.0001" and "<1 GB" always stay text.
    return MarkdownIt("commonmark", {"html": False})


@dataclass(frozen=True)
class _Block:
    """A top-level block: its tokens, opening token first, and its 1-based first line."""

    tokens: Sequence[Token]
    line: int

    @property
    def kind(self) -> str:
        return self.tokens[0].type.removesuffix("_open")

    @property
    def inline(self) -> Token | None:
        return next((token for token in self.tokens if token.type == "inline"), None)


_PATH_DATE = re.compile(r"(?<![0-9])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")


def date_in_path(path: Path) -> dt.date | None:
    """Return the last ``YYYY-MM-DD`` date named in ``path`` (file or folder names), if any.

    Generators name files by date (``2026-02-20.md``, ``output/2026-02-20/papers/…``),
    which dates an empty-day digest whose heading has none.
    """
    for match in reversed(_PATH_DATE.findall(str(path))):
        try:
            return dt.date.fromisoformat(match)
        except ValueError:
            continue
    return None


def parse_file(path: Path, *, fallback_date: dt.date | None = None) -> Digest:
    """Read and parse the digest at ``path``.

    Raises DigestParseError for text that is not UTF-8 or not a valid digest. OSError
    from reading the file is raised as is. A leading byte-order mark is ignored.
    """
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        message = (
            f"byte 0x{data[error.start]:02x} at offset {error.start} is not valid UTF-8; "
            "save the file as UTF-8"
        )
        raise DigestParseError(message, path=path, line=line) from error
    return parse_digest(text, source=path, fallback_date=fallback_date)


def parse_digest(
    text: str, *, source: str | Path = "<digest>", fallback_date: dt.date | None = None
) -> Digest:
    """Parse digest Markdown into a ``Digest`` with its papers in file order.

    ``source`` names the file in error messages. ``fallback_date`` is used only when the
    heading has no date, which is the generator's form for a day without papers
    (``# 每日论文汇总`` then ``今日无内容。``). Without it, such a file is rejected.
    Raises DigestParseError, and no other exception, for any text that is not a digest.
    """
    digest = _DigestReader(text, source).read(fallback_date)
    count = len(digest.papers)
    logger.debug("parsed digest source=%s date=%s papers=%d", source, digest.date, count)
    return digest


class _DigestReader:
    """One pass over the top-level blocks of one digest text."""

    def __init__(self, text: str, source: str | Path) -> None:
        self._text = text
        self._source = source
        self._count: FieldLine | None = None
        self._empty_day_line: int | None = None
        self._papers: list[Paper] = []
        self._current: PaperBuilder | None = None
        self._unknown_labels: set[str] = set()

    def error(
        self, message: str, *, line: int | None, field: str | None = None
    ) -> DigestParseError:
        return DigestParseError(message, path=self._source, line=line, field=field)

    def read(self, fallback_date: dt.date | None) -> Digest:
        try:
            tokens = _markdown().parse(self._text)
        # markdown-it-py 4.3 caps block and inline nesting at 20 levels in the commonmark
        # preset, so this is only a safety net for the promise to raise DigestParseError.
        except RecursionError as error:
            raise self.error("Markdown is nested too deeply to read", line=None) from error
        blocks = _top_level_blocks(tokens)
        first = next(blocks, None)
        title, date = self._read_digest_heading(first, fallback_date)
        for block in blocks:
            self._read_block(block)
        self._finish_paper()
        self._check_count()
        if self._unknown_labels:
            labels = sorted(self._unknown_labels)
            logger.warning("ignored unknown fields source=%s labels=%s", self._source, labels)
        return Digest(date=date, title=title, papers=self._papers)

    def _read_digest_heading(
        self, block: _Block | None, fallback_date: dt.date | None
    ) -> tuple[str, dt.date]:
        if block is None:
            raise self.error(f"expected the heading {_EXPECTED_HEADING}, found nothing", line=1)
        title = _inline_text(block)
        is_h1 = block.kind == "heading" and block.tokens[0].tag == "h1"
        if is_h1 and title == DIGEST_HEADING:
            if fallback_date is None:
                raise self.error(
                    f"heading {self._quote_line(block.line)} has no date, as the generator writes "
                    f"it for a day without papers; expected {_EXPECTED_HEADING}, "
                    "or a file name with the date such as 2026-02-20.md",
                    line=block.line,
                )
            return title, fallback_date
        match = _DATED_HEADING.fullmatch(title) if is_h1 else None
        if match is None:
            raise self.error(
                f"expected the heading {_EXPECTED_HEADING}, found {self._quote_line(block.line)}",
                line=block.line,
            )
        try:
            return title, dt.date.fromisoformat(match["date"])
        except ValueError as error:
            raise self.error(
                f'heading date "{match["date"]}" is not a valid date; expected {_EXPECTED_HEADING}',
                line=block.line,
            ) from error

    def _read_block(self, block: _Block) -> None:
        if self._current is not None and self._current.wants_highlight_list:
            if block.kind not in _LISTS:
                found = self._quote_line(block.line)
                raise self._current.missing_highlights(found=found, line=block.line)
            self._current.add_highlights(self._read_list_items(block, self._current.rank))
            return
        if block.kind == "heading":
            self._read_heading(block)
        elif block.kind == "hr":
            if self._current is not None:
                self._current.end_field()
        elif block.kind == "paragraph" and block.inline is not None:
            lines = _read_field_lines(block.inline, block.line)
            if self._current is None:
                self._read_preamble(lines)
            else:
                self._current.add_paragraph(lines)
        else:
            raise self.error(self._unexpected(block), line=block.line)

    def _read_list_items(self, block: _Block, rank: int) -> list[str]:
        """Return the text of each top-level item of a list, with nested items as lines."""
        items: list[str] = []
        item_level = block.tokens[0].level + 1
        for token in block.tokens:
            if token.type == "list_item_open" and token.level == item_level:
                items.append("")
            elif token.type == "inline" and items:
                text = _render_inline(token.children or []).strip()
                items[-1] = f"{items[-1]}\n{text}" if items[-1] else text
            elif token.type.removesuffix("_open").removesuffix("_close") not in _LIST_PARTS:
                # A fence, heading or quote inside an item would lose its markup as text.
                line = token.map[0] + 1 if token.map else block.line
                raise self.error(
                    f"paper {rank}: field {fields.HIGHLIGHTS} has "
                    f"{self._quote_line(line)}; expected plain text in each bullet",
                    line=line,
                    field=fields.HIGHLIGHTS,
                )
        return items

    def _read_heading(self, block: _Block) -> None:
        opening = block.tokens[0]
        heading = parse_heading(_inline_text(block)) if opening.tag == "h3" else None
        if heading is None:
            hint = ""
            if opening.markup in {"-", "="}:
                hint = (
                    "; a line of text right above a --- line makes a heading, "
                    "so add a blank line before ---"
                )
            raise self.error(
                f'expected a paper heading "### N. title" or "### 🏆 N. title", '
                f"found {self._quote_line(block.line)}{hint}",
                line=block.line,
            )
        if self._empty_day_line is not None:
            raise self.error(
                f"found a paper after {_EMPTY_DAY_TEXT!r} on line {self._empty_day_line}, "
                "which says the day has no papers; remove one of them",
                line=block.line,
            )
        self._finish_paper()
        self._current = PaperBuilder(heading, line=block.line, error=self.error)

    def _read_preamble(self, lines: list[FieldLine]) -> None:
        for line in lines:
            if line.label == fields.COUNT and self._count is not None:
                raise self.error(
                    f"field {fields.COUNT} appears twice, on lines {self._count.line} and "
                    f"{line.line}; remove one",
                    line=line.line,
                    field=fields.COUNT,
                )
            if line.label == fields.COUNT:
                self._count = line
            elif line.label is None and line.value == _EMPTY_DAY_TEXT:
                self._empty_day_line = line.line
            else:
                raise self.error(
                    f"unexpected text {self._quote_line(line.line)} before the first paper; "
                    f"expected only **{fields.COUNT}**: N and ---",
                    line=line.line,
                )

    def _finish_paper(self) -> None:
        if self._current is None:
            return
        self._papers.append(self._current.build())
        self._unknown_labels |= self._current.unknown_labels
        self._current = None

    def _check_count(self) -> None:
        if self._count is None:
            return
        try:
            count = fields.parse_count(self._count.value)
        except InvalidValueError as error:
            raise self.error(
                f"field {fields.COUNT} has {quote(self._count.value)}; expected {error}",
                line=self._count.line,
                field=fields.COUNT,
            ) from error
        if count != len(self._papers):
            raise self.error(
                f"field {fields.COUNT} is {count} but the digest has {len(self._papers)} paper "
                "sections; fix the count or restore the missing sections",
                line=self._count.line,
                field=fields.COUNT,
            )

    def _unexpected(self, block: _Block) -> str:
        kind = block.kind.replace("_", " ")
        where = f"paper {self._current.rank}" if self._current is not None else "the digest"
        return f"unexpected {kind} {self._quote_line(block.line)} in {where}"

    def _quote_line(self, line: int) -> str:
        return quote(_source_line(self._text, line).strip())


def _top_level_blocks(tokens: Sequence[Token]) -> Iterator[_Block]:
    """Group a token stream into its top-level blocks, each with all its nested tokens."""
    start = 0
    while start < len(tokens):
        opening = tokens[start]
        end = start
        if opening.nesting == 1:
            while end < len(tokens) and not _closes(tokens[end], opening):
                end += 1
        line = opening.map[0] + 1 if opening.map else 1
        yield _Block(tokens=tokens[start : end + 1], line=line)
        start = end + 1


def _closes(token: Token, opening: Token) -> bool:
    return token.nesting == -1 and token.level == opening.level


def _inline_text(block: _Block) -> str:
    inline = block.inline
    return _render_inline(inline.children or []).strip() if inline is not None else ""


def _source_line(text: str, line: int) -> str:
    """Return line ``line`` (1-based) as markdown-it counts lines."""
    # markdown-it splits on \r\n, \r and \n only. str.splitlines() also splits on form
    # feeds and U+2028, which would shift the line numbers.
    lines = re.split(r"\r\n?|\n", text, maxsplit=line)
    return lines[line - 1] if 0 < line <= len(lines) else ""


def _read_field_lines(inline: Token, first_line: int) -> list[FieldLine]:
    """Split a paragraph's inline token into one ``FieldLine`` per source line.

    ``first_line`` is the 1-based line number of the paragraph's first line.
    """
    lines: list[list[Token]] = [[]]
    for child in inline.children or []:
        if child.type in _BREAKS:
            lines.append([])
        else:
            lines[-1].append(child)
    # NOTE: a code span that runs over a line break has no break token, so the line
    # numbers after it in the same paragraph come out one too small.
    return [_read_field_line(tokens, first_line + offset) for offset, tokens in enumerate(lines)]


def _read_field_line(tokens: list[Token], line: int) -> FieldLine:
    start = 0
    while start < len(tokens) and tokens[start].type == "text" and not tokens[start].content:
        start += 1
    rest = tokens[start:]
    parts = _split_label(rest)
    if parts is None:
        return FieldLine(label=None, value=_render_inline(rest).strip(), href=None, line=line)
    label, value_tokens, value_start = parts
    links = (token for token in value_tokens if token.type == "link_open")
    href = next((token.attrGet("href") for token in links), None)
    return FieldLine(
        label=label,
        value=_render_inline(value_tokens)[value_start:].strip(),
        href=str(href) if href is not None else None,
        line=line,
    )


def _split_label(tokens: list[Token]) -> tuple[str, list[Token], int] | None:
    """Split ``**label**: value`` or ``**label:** value`` into label and value tokens.

    The third item is the offset of the value in the rendered value tokens: 1 when
    they start with the colon, else 0.
    """
    if len(tokens) < 3 or tokens[0].type != "strong_open":
        return None
    close = next((i for i, token in enumerate(tokens) if token.type == "strong_close"), None)
    if close is None:
        return None
    label = _render_inline(tokens[1:close]).strip()
    value_tokens = tokens[close + 1 :]
    if label.endswith(_COLONS):
        return label[:-1].rstrip(), value_tokens, 0
    first = value_tokens[0] if value_tokens else None
    if first is not None and first.type == "text" and first.content.startswith(_COLONS):
        return label, value_tokens, 1
    return None


def _render_inline(tokens: Sequence[Token]) -> str:
    """Render inline tokens back to text, keeping all Markdown but escapes and entities."""
    parts: list[str] = []
    link_targets: list[tuple[str, bool]] = []
    for token in tokens:
        if token.type == "text":
            parts.append(token.content)
        elif token.type in _BREAKS:
            parts.append("\n")
        elif token.type in _EMPHASIS:
            parts.append(token.markup)
        elif token.type == "code_inline":
            parts.append(f"{token.markup}{token.content}{token.markup}")
        elif token.type == "link_open":
            autolink = token.markup == "autolink"
            link_targets.append((normalizeLinkText(str(token.attrGet("href") or "")), autolink))
            parts.append("<" if autolink else "[")
        elif token.type == "link_close":
            target, autolink = link_targets.pop() if link_targets else ("", False)
            parts.append(">" if autolink else f"]({target})")
        elif token.type == "image":
            source = normalizeLinkText(str(token.attrGet("src") or ""))
            parts.append(f"![{token.content}]({source})")
        else:
            parts.append(token.content)
    return "".join(parts)
