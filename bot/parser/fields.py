"""Fields of a paper section (``**得分**: 38.45``): converting values, building the ``Paper``."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from bot.errors import DigestParseError
from bot.parser.models import Paper
from bot.parser.titles import PaperHeading

COUNT = "论文数量"
LINK = "论文链接"
ARXIV_ID = "arXiv ID"
ORG = "组织"
SCORE = "得分"
TAGS = "标签"
UPVOTES = "Upvotes"
STARS = "Stars"
SUMMARY = "摘要"
HIGHLIGHTS = "亮点"

PAPER_LABELS = frozenset({LINK, ARXIV_ID, ORG, SCORE, TAGS, UPVOTES, STARS, SUMMARY, HIGHLIGHTS})

# Counts are capped at 18 digits so int() never meets Python's 4300-digit limit.
_COUNT = re.compile(r"[0-9]{1,18}")
_SCORE = re.compile(r"[+-]?(?:[0-9]{1,30}(?:\.[0-9]{0,30})?|\.[0-9]{1,30})(?:[eE][+-]?[0-9]{1,3})?")
# The generator writes both counts on one line: "**Upvotes**: 27 | **Stars**: 0".
_VOTES = re.compile(
    r"(?P<upvotes>[0-9]{1,18})\s*\|\s*\*\*Stars\*\*\s*[:：]\s*(?P<stars>[0-9]{1,18})"
)
_ARXIV_ID = re.compile(r"[0-9]{4}\.[0-9]{4,5}(?:v[0-9]+)?|[a-z][a-z.-]*/[0-9]{7}(?:v[0-9]+)?")
_ARXIV_URL = re.compile(r"https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(?P<path>[^?#]*)")
_URL = re.compile(r"https?://\S+")
_QUOTE_LIMIT = 80
_LINK_EXAMPLE = "[https://arxiv.org/abs/2602.13515](https://arxiv.org/abs/2602.13515)"

_T = TypeVar("_T")


class InvalidValueError(ValueError):
    """A field value that does not fit its field. The message names the expected form."""


class ErrorFactory(Protocol):
    """A callable that builds a DigestParseError carrying the digest's file name."""

    def __call__(
        self, message: str, *, line: int | None, field: str | None = None
    ) -> DigestParseError: ...


@dataclass(frozen=True)
class FieldLine:
    """One source line of a paragraph, split into its bold label and its value.

    ``label`` is None for a line that does not start with ``**label**:``, and then
    ``value`` is the whole line. ``href`` is the target of the first link in the value.
    """

    label: str | None
    value: str
    href: str | None
    line: int


def quote(value: str) -> str:
    """Quote a value for an error message, cut to 80 characters."""
    if len(value) > _QUOTE_LIMIT:
        value = value[: _QUOTE_LIMIT - 1] + "…"
    return f'"{value}"'


def parse_count(value: str) -> int:
    """Convert a paper count, an upvote count or a star count."""
    if not _COUNT.fullmatch(value):
        raise InvalidValueError("a whole number such as 27")
    return int(value)


def parse_score(value: str) -> float:
    """Convert a score such as ``38.45``. NaN and infinity are rejected."""
    if not _SCORE.fullmatch(value):
        raise InvalidValueError("a number such as 38.45")
    score = float(value)
    if not math.isfinite(score):
        raise InvalidValueError("a finite number such as 38.45")
    return score


def parse_tags(value: str) -> list[str]:
    """Split ``Super Lab, Must Read`` into tags. An empty value has no tags."""
    return [tag.strip() for tag in re.split("[,，]", value) if tag.strip()]


def parse_votes(value: str) -> tuple[int, int | None]:
    """Convert the Upvotes value: ``27`` alone or ``27 | **Stars**: 0``.

    Returns the upvotes and the stars, or None for stars given on a line of their own.
    """
    match = _VOTES.fullmatch(value)
    if match is not None:
        return int(match["upvotes"]), int(match["stars"])
    if _COUNT.fullmatch(value):
        return int(value), None
    raise InvalidValueError("a whole number, or two as in 27 | **Stars**: 0")


def parse_link(value: str, href: str | None) -> tuple[str, str | None]:
    """Return the URL of a 论文链接 value and the arXiv id in it, if it is an arXiv link.

    The id keeps a version suffix (``2602.13515v2``) because the link names that
    version. A trailing ``.pdf`` of a PDF link is dropped.
    """
    url = href if href is not None else value
    if not _URL.fullmatch(url):
        raise InvalidValueError(f"a link such as {_LINK_EXAMPLE}")
    match = _ARXIV_URL.match(url)
    if match is None:
        return url, None
    path = match["path"].rstrip("/").removesuffix(".pdf")
    if not _ARXIV_ID.fullmatch(path):
        raise InvalidValueError(
            "an arXiv link with a paper id, such as https://arxiv.org/abs/2602.13515"
        )
    return url, path


def parse_arxiv_id(value: str) -> str:
    """Check an ``arXiv ID`` value such as ``2602.13515`` or ``hep-th/9901001``."""
    if not _ARXIV_ID.fullmatch(value):
        raise InvalidValueError("an arXiv id such as 2602.13515")
    return value


@dataclass
class PaperBuilder:
    """Collector of the field lines of one ``###`` section, which builds its ``Paper``.

    Unknown labels are ignored and reported in ``unknown_labels``. Text without a label
    is accepted only as more lines or paragraphs of the 摘要 above it.
    """

    heading: PaperHeading
    line: int
    error: ErrorFactory
    unknown_labels: set[str] = field(default_factory=set)
    wants_highlight_list: bool = False
    _fields: dict[str, FieldLine] = field(default_factory=dict)
    _summary: list[str] = field(default_factory=list)
    _highlights: list[str] = field(default_factory=list)
    _last_label: str | None = None

    @property
    def rank(self) -> int:
        return self.heading.rank

    def add_paragraph(self, lines: list[FieldLine]) -> None:
        """Take the lines of one paragraph of the section."""
        for index, line in enumerate(lines):
            if line.label is None:
                self._continue_field(line, new_paragraph=index == 0)
                continue
            self._add_field(line)
            if line.label == HIGHLIGHTS and index != len(lines) - 1:
                raise self._field_error(line, "must be followed by its bullet list, not a field")
        self.wants_highlight_list = self._last_label == HIGHLIGHTS and not self._highlights

    def end_field(self) -> None:
        """Mark the end of the last field, so that no text after it can continue it."""
        self._last_label = None

    def add_highlights(self, items: list[str]) -> None:
        """Take the items of the bullet list after ``**亮点**:``, dropping empty ones."""
        self._highlights = [item for item in items if item]
        self.wants_highlight_list = False

    def missing_highlights(self, *, found: str, line: int) -> DigestParseError:
        """Return the error for a ``**亮点**:`` line followed by something other than a list.

        ``found`` quotes the first line of what follows and ``line`` is its number.
        """
        problem = f"has no bullet list after it; found {found} on line {line}"
        return self._field_error(self._fields[HIGHLIGHTS], problem)

    def build(self) -> Paper:
        """Return the paper, or raise DigestParseError naming the missing or invalid field."""
        if self.wants_highlight_list:
            raise self._field_error(self._fields[HIGHLIGHTS], "has no bullet list after it")
        url, arxiv_id = self._read_identity()
        org = self._require(ORG, "**组织**: Tsinghua University")
        if not org.value:
            raise self._field_error(org, 'is empty; expected the organisation, or "Unknown"')
        upvotes, stars = self._read_votes()
        summary = "\n".join(self._summary).strip()
        return Paper(
            rank=self.heading.rank,
            featured=self.heading.featured,
            title_zh=self.heading.title_zh,
            title_en=self.heading.title_en,
            url=url,
            arxiv_id=arxiv_id,
            org=org.value,
            score=self._convert(self._require(SCORE, "**得分**: 38.45"), parse_score),
            tags=parse_tags(self._fields[TAGS].value) if TAGS in self._fields else [],
            upvotes=upvotes,
            stars=stars,
            summary=summary or None,
            highlights=self._highlights,
        )

    def _add_field(self, line: FieldLine) -> None:
        label = line.label or ""
        self._last_label = label
        if label == COUNT:
            raise self._field_error(line, "belongs above the first paper, not inside one")
        if label not in PAPER_LABELS:
            self.unknown_labels.add(label)
            return
        previous = self._fields.get(label)
        if previous is not None:
            raise self._field_error(line, _twice(previous.line, line.line))
        self._fields[label] = line
        if label == SUMMARY:
            self._summary = [line.value]
        elif label == HIGHLIGHTS and line.value:
            problem = f"has {quote(line.value)}; expected the bullets on the lines below it"
            raise self._field_error(line, problem)

    def _continue_field(self, line: FieldLine, *, new_paragraph: bool) -> None:
        if self._last_label == SUMMARY:
            self._summary.append(f"\n{line.value}" if new_paragraph else line.value)
            return
        if self._last_label is not None and self._last_label not in PAPER_LABELS:
            return
        raise self.error(
            f"paper {self.rank}: unexpected text {quote(line.value)}; "
            f'expected a field line such as "**{ORG}**: Tsinghua University"',
            line=line.line,
        )

    def _read_identity(self) -> tuple[str | None, str | None]:
        url: str | None = None
        id_from_link: str | None = None
        if LINK in self._fields:
            link = self._fields[LINK]
            url, id_from_link = self._convert(link, lambda value: parse_link(value, link.href))
        id_field = self._fields.get(ARXIV_ID)
        id_from_field = self._convert(id_field, parse_arxiv_id) if id_field is not None else None
        if url is None and id_from_field is None:
            raise self.error(
                f"paper {self.rank} has no {LINK} or {ARXIV_ID} field; add a line such as "
                f'"**{LINK}**: {_LINK_EXAMPLE}"',
                line=self.line,
                field=LINK,
            )
        if id_from_link is not None and id_from_field is not None and id_from_link != id_from_field:
            raise self.error(
                f"paper {self.rank}: {LINK} names arXiv id {id_from_link} but {ARXIV_ID} is "
                f"{id_from_field}; remove the wrong one",
                line=self._fields[ARXIV_ID].line,
                field=ARXIV_ID,
            )
        return url, id_from_link or id_from_field

    def _read_votes(self) -> tuple[int, int]:
        upvotes, stars = 0, 0
        if UPVOTES in self._fields:
            upvotes, stars_on_line = self._convert(self._fields[UPVOTES], parse_votes)
            if stars_on_line is not None:
                if STARS in self._fields:
                    stars_line = self._fields[STARS]
                    first_line = self._fields[UPVOTES].line
                    raise self._field_error(stars_line, _twice(first_line, stars_line.line))
                stars = stars_on_line
        if STARS in self._fields:
            stars = self._convert(self._fields[STARS], parse_count)
        return upvotes, stars

    def _require(self, label: str, example: str) -> FieldLine:
        line = self._fields.get(label)
        if line is None:
            raise self.error(
                f'paper {self.rank} has no {label} field; add a line such as "{example}"',
                line=self.line,
                field=label,
            )
        return line

    def _convert(self, line: FieldLine, converter: Callable[[str], _T]) -> _T:
        try:
            return converter(line.value)
        except InvalidValueError as error:
            raise self._field_error(line, f"has {quote(line.value)}; expected {error}") from error

    def _field_error(self, line: FieldLine, problem: str) -> DigestParseError:
        message = f"paper {self.rank}: field {line.label} {problem}"
        return self.error(message, line=line.line, field=line.label)


def _twice(first_line: int, second_line: int) -> str:
    return f"appears twice, on lines {first_line} and {second_line}; remove one"
