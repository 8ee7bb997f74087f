"""Property tests for the digest parser: it raises only DigestParseError, and it round-trips."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import DigestParseError
from bot.parser import Digest, Paper, parse_digest

SAMPLE_DIGEST = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample" / "2026-02-20.md"
SAMPLE_LINES = SAMPLE_DIGEST.read_text(encoding="utf-8").split("\n")
DIGEST_HEADING = "# 每日论文汇总 - 2026-02-20\n\n"

# Deadlines are off because a slow machine must not fail a test. The autouse fixture
# in conftest only isolates the environment, so sharing it across examples is harmless.
PROPERTY_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

MARKDOWN_ALPHABET = (
    "#*-_[]()<>`\\!&;:|.,~=+ \n\t0123456789aZ🏆"
    "每日论文汇总数量链接组织得分标签摘要亮点今无内容中文：，。"
)
markdownish_text = st.text(alphabet=MARKDOWN_ALPHABET, max_size=400)


def _parse_or_reject(text: str) -> Digest | None:
    """Parse ``text``. A DigestParseError is an accepted outcome and any other error fails."""
    try:
        return parse_digest(text, source="fuzz.md")
    except DigestParseError as error:
        rejection = error
    assert str(rejection).startswith("fuzz.md")
    return None


@PROPERTY_SETTINGS
@given(st.text())
def test_any_text_only_raises_parse_error(text: str) -> None:
    _parse_or_reject(text)


@PROPERTY_SETTINGS
@given(markdownish_text)
def test_digest_body_only_raises_parse_error(text: str) -> None:
    _parse_or_reject(DIGEST_HEADING + text)


@st.composite
def mutated_sample(draw: st.DrawFn) -> str:
    """Return the sample digest with a few lines deleted, duplicated, moved or changed."""
    lines = list(SAMPLE_LINES)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        operation = draw(
            st.sampled_from(["delete", "duplicate", "move", "replace_value", "insert"])
        )
        if operation == "delete":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "move":
            line = lines.pop(index)
            lines.insert(draw(st.integers(min_value=0, max_value=len(lines))), line)
        elif operation == "replace_value":
            label, separator, _ = lines[index].partition(": ")
            lines[index] = label + separator + draw(markdownish_text)
        else:
            lines.insert(index, draw(markdownish_text))
        if not lines:
            break
    return "\n".join(lines)


@PROPERTY_SETTINGS
@given(mutated_sample())
def test_mutated_sample_only_raises_parse_error(text: str) -> None:
    result = _parse_or_reject(text)

    if result is not None:
        for paper in result.papers:
            assert paper.org
            assert paper.url is not None or paper.arxiv_id is not None


# Round trip: papers are generated, written the way the generator writes them, and
# parsed back. The escaped writer backslash-escapes every ASCII punctuation character.
# The raw writer leaves "$ _ < > * ( ) |" as they are, as the generator does. Its text
# avoids "\\", "&", "`", "[", "]" and "#", because they start Markdown syntax, and it
# starts no highlight with a list marker or a code fence.
CJK = "中文论文模型学习统一潜变量训练指南"
RAW_PUNCTUATION = "()$_<>*:|~!.-'\"：，。@"
ESCAPED_PUNCTUATION = RAW_PUNCTUATION + "\\&`[]#"
ASCII_WORD = "abcXYZ0129"
_BLOCK_START = re.compile(r"[-+*>]|[0-9]+[.)]|~~~")


def _text(alphabet: str, *, min_size: int = 1) -> st.SearchStrategy[str]:
    return (
        st.text(alphabet=alphabet, min_size=min_size, max_size=40)
        .map(lambda text: re.sub(" +", " ", text).strip())
        .filter(lambda text: len(text) >= min_size)
    )


def _in_parentheses(parts: tuple[str, str, str]) -> str:
    return f"{parts[0]} ({parts[1]}) {parts[2]}"


def _balanced(punctuation: str) -> st.SearchStrategy[str]:
    """English text whose parentheses are balanced, such as ``HY-WU (Part I): A (B) C``."""
    plain = _text(ASCII_WORD + punctuation.replace("(", "").replace(")", "") + " ")
    return st.recursive(
        plain, lambda part: st.tuples(part, part, part).map(_in_parentheses), max_leaves=4
    )


@st.composite
def papers(draw: st.DrawFn, rank: int, punctuation: str) -> Paper:
    free_text = _text(CJK + ASCII_WORD + punctuation + ", ")
    chinese_titles = st.tuples(_text(CJK), _text(CJK + ASCII_WORD + punctuation + " ", min_size=0))
    title_zh = draw(st.none() | chinese_titles.map(lambda parts: (parts[0] + parts[1]).strip()))
    if title_zh is None:
        title_en = draw(_text(ASCII_WORD + punctuation + " "))
    else:
        title_en = draw(_balanced(punctuation))
    arxiv_id = draw(st.from_regex(r"[0-9]{4}\.[0-9]{5}(v[1-9])?", fullmatch=True))
    with_link = draw(st.booleans())
    highlight = free_text.filter(lambda text: not _BLOCK_START.match(text))
    return Paper(
        rank=rank,
        featured=draw(st.booleans()),
        title_zh=title_zh,
        title_en=title_en,
        url=f"https://arxiv.org/abs/{arxiv_id}" if with_link else None,
        arxiv_id=arxiv_id,
        org=draw(free_text),
        score=draw(st.floats(min_value=0, max_value=1000).map(lambda score: round(score, 2))),
        tags=draw(st.lists(_text(ASCII_WORD + " _:-"), max_size=3)),
        upvotes=draw(st.integers(min_value=0, max_value=10**6)),
        stars=draw(st.integers(min_value=0, max_value=10**6)),
        summary=draw(st.none() | free_text),
        highlights=draw(st.lists(highlight, max_size=3)),
    )


@st.composite
def digests(draw: st.DrawFn, punctuation: str) -> Digest:
    date = draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)))
    count = draw(st.integers(min_value=0, max_value=4))
    return Digest(
        date=date,
        title=f"每日论文汇总 - {date.isoformat()}",
        papers=[draw(papers(rank, punctuation)) for rank in range(1, count + 1)],
    )


def escape_all(text: str) -> str:
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", text)


def keep_raw(text: str) -> str:
    return text


def write_digest(digest: Digest, escape: Callable[[str], str]) -> str:
    """Write ``digest`` in the generator's layout, passing every value through ``escape``."""
    lines = [f"# {digest.title}", "", f"**论文数量**: {len(digest.papers)}", "", "---", ""]
    for paper in digest.papers:
        marker = "🏆" if paper.featured else ""
        title = escape(paper.title_en)
        if paper.title_zh is not None:
            title = f"{escape(paper.title_zh)} ({title})"
        lines += [f"### {marker} {paper.rank}. {title}", ""]
        if paper.url is not None:
            lines.append(f"**论文链接**: [{paper.url}]({paper.url})")
        else:
            lines.append(f"**arXiv ID**: {paper.arxiv_id}")
        lines += [
            f"**组织**: {escape(paper.org)}",
            f"**得分**: {paper.score!r}",
            f"**标签**: {', '.join(escape(tag) for tag in paper.tags)}",
            f"**Upvotes**: {paper.upvotes} | **Stars**: {paper.stars}",
            "",
        ]
        if paper.summary is not None:
            lines += [f"**摘要**: {escape(paper.summary)}", ""]
        if paper.highlights:
            lines += ["**亮点**:", *(f"  - {escape(item)}" for item in paper.highlights), ""]
        lines += ["---", ""]
    return "\n".join(lines)


@PROPERTY_SETTINGS
@given(digests(ESCAPED_PUNCTUATION))
def test_escaped_digest_round_trips(digest: Digest) -> None:
    assert parse_digest(write_digest(digest, escape_all)) == digest


@PROPERTY_SETTINGS
@given(digests(RAW_PUNCTUATION))
def test_raw_digest_round_trips(digest: Digest) -> None:
    assert parse_digest(write_digest(digest, keep_raw)) == digest
