"""Tests for parse_digest and parse_file on synthetic digests."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot.errors import DigestParseError
from bot.parser import Digest, Paper, parse_digest, parse_file
from bot.parser.markdown import date_in_path

SOURCE = "digest.md"
SAMPLE_DIGEST = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample" / "2026-02-20.md"


def section(rank: int = 1, /, **lines: str | None) -> str:
    """Return one paper section. A keyword replaces that line, and None removes it."""
    arxiv_url = f"https://arxiv.org/abs/2602.{13500 + rank}"
    default_lines: dict[str, str | None] = {
        "heading": f"###  {rank}. 中文标题 (English Title)",
        "blank_after_heading": "",
        "link": f"**论文链接**: [{arxiv_url}]({arxiv_url})",
        "org": "**组织**: Tsinghua University",
        "score": "**得分**: 38.45",
        "tags": "**标签**: Frontier Lab",
        "votes": "**Upvotes**: 27 | **Stars**: 3",
        "blank_after_votes": "",
        "summary": "**摘要**: 本文提出一种方法。",
        "blank_after_summary": "",
        "highlights": "**亮点**:\n  - 第一点\n  - 第二点",
        "blank_after_highlights": "",
        "rule": "---",
    }
    unknown = set(lines) - set(default_lines)
    assert not unknown, f"unknown section lines {unknown}"
    default_lines.update(lines)
    return "\n".join(line for line in default_lines.values() if line is not None) + "\n"


def digest(
    *sections: str, count: int | None = None, heading: str = "# 每日论文汇总 - 2026-02-20"
) -> str:
    """Return a digest text with the given sections; the count line defaults to their number."""
    parts = [heading, ""]
    if count is None:
        count = len(sections)
    parts += [f"**论文数量**: {count}", "", "---", ""]
    return "\n".join(parts) + "\n" + "\n".join(sections)


def line_number(text: str, line: str) -> int:
    """Return the 1-based number of the first line of ``text`` that equals ``line``."""
    return text.split("\n").index(line) + 1


def parse_error(text: str) -> DigestParseError:
    with pytest.raises(DigestParseError) as excinfo:
        parse_digest(text, source=SOURCE)
    return excinfo.value


def only_paper(text: str) -> Paper:
    papers = parse_digest(text, source=SOURCE).papers
    assert len(papers) == 1
    return papers[0]


def test_parse_full_section() -> None:
    paper = only_paper(digest(section()))

    assert paper == Paper(
        rank=1,
        featured=False,
        title_zh="中文标题",
        title_en="English Title",
        url="https://arxiv.org/abs/2602.13501",
        arxiv_id="2602.13501",
        org="Tsinghua University",
        score=38.45,
        tags=["Frontier Lab"],
        upvotes=27,
        stars=3,
        summary="本文提出一种方法。",
        highlights=["第一点", "第二点"],
    )


def test_parse_digest_date_and_title() -> None:
    result = parse_digest(digest(section()), source=SOURCE)

    assert result.date == dt.date(2026, 2, 20)
    assert result.title == "每日论文汇总 - 2026-02-20"


def test_parse_short_format() -> None:
    text = digest(section(heading="###  1. A Simple Baseline (ASB)", summary=None, highlights=None))

    paper = only_paper(text)

    assert paper.title_zh is None
    assert paper.title_en == "A Simple Baseline (ASB)"
    assert paper.summary is None
    assert paper.highlights == []


def test_parse_featured_marker() -> None:
    text = digest(section(1, heading="### 🏆 1. 标题 (Title)"), section(2))

    papers = parse_digest(text).papers

    assert papers[0].featured is True
    assert papers[1].featured is False
    assert [paper.rank for paper in papers] == [1, 2]


def test_parse_keeps_file_order() -> None:
    text = digest(section(1, score="**得分**: 66.55"), section(2, score="**得分**: 68.9"))

    scores = [paper.score for paper in parse_digest(text).papers]

    assert scores == [66.55, 68.9]


@pytest.mark.parametrize(
    ("line", "tags"),
    [
        pytest.param("**标签**: ", [], id="empty-with-trailing-space"),
        pytest.param("**标签**:", [], id="empty"),
        pytest.param("**标签**: Frontier Lab", ["Frontier Lab"], id="one"),
        pytest.param("**标签**: Super Lab, Must Read", ["Super Lab", "Must Read"], id="two"),
        pytest.param("**标签**: Viral，Super Lab", ["Viral", "Super Lab"], id="full-width-comma"),
        pytest.param(None, [], id="absent"),
    ],
)
def test_parse_tags(line: str | None, tags: list[str]) -> None:
    assert only_paper(digest(section(tags=line))).tags == tags


@pytest.mark.parametrize(
    ("line", "org"),
    [
        pytest.param(
            "**组织**: RAIVN: Reasoning, AI, & Vision Lab @ UW",
            "RAIVN: Reasoning, AI, & Vision Lab @ UW",
            id="colon-commas-ampersand-at",
        ),
        pytest.param("**组织**: Mistral AI_", "Mistral AI_", id="trailing-underscore"),
        pytest.param(
            "**组织**: Alibaba Cloud Apsara Lab ", "Alibaba Cloud Apsara Lab", id="trailing-space"
        ),
        pytest.param("**组织**: HUAWEI Noah's Ark Lab", "HUAWEI Noah's Ark Lab", id="apostrophe"),
        pytest.param("**组织**: ARC Lab, Tencent PCG", "ARC Lab, Tencent PCG", id="comma"),
        pytest.param("**组织:** Google", "Google", id="colon-inside-bold"),
        pytest.param("**组织**：Google", "Google", id="full-width-colon"),
    ],
)
def test_parse_org(line: str, org: str) -> None:
    assert only_paper(digest(section(org=line))).org == org


def test_parse_unescapes_title() -> None:
    heading = "###  1. 百万基准测试 (\\$OneMillion-Bench: How Far are Agents\\_ from Experts?)"

    paper = only_paper(digest(section(heading=heading)))

    assert paper.title_zh == "百万基准测试"
    assert paper.title_en == "$OneMillion-Bench: How Far are Agents_ from Experts?"


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        pytest.param(
            "使用 ai_parse_document 生成", "使用 ai_parse_document 生成", id="raw-underscores"
        ),
        pytest.param(
            "使用 ai\\_parse\\_document 生成",
            "使用 ai_parse_document 生成",
            id="escaped-underscores",
        ),
        pytest.param("显著优于基线(p<0.0001)", "显著优于基线(p<0.0001)", id="raw-less-than"),
        pytest.param("with <1 GB VRAM", "with <1 GB VRAM", id="less-than-before-digit"),
        pytest.param("uses <b>bold</b> tags", "uses <b>bold</b> tags", id="html-kept-as-text"),
        pytest.param("R&amp;D &copy; 2026", "R&D © 2026", id="entities"),
        pytest.param("costs $60 and \\$15", "costs $60 and $15", id="mixed-dollar-escaping"),
        pytest.param(
            "a *star* and __bold__ text", "a *star* and __bold__ text", id="emphasis-kept"
        ),
        pytest.param("run `a\\_b` now", "run `a\\_b` now", id="code-span-kept-verbatim"),
        pytest.param(
            "see [the code](https://github.com/x/y)",
            "see [the code](https://github.com/x/y)",
            id="link",
        ),
        pytest.param("From P(y|x) to P(y)", "From P(y|x) to P(y)", id="pipe"),
        pytest.param("CFS=5.654±0.625", "CFS=5.654±0.625", id="plus-minus"),
        pytest.param('“公开” and "Public"', '“公开” and "Public"', id="quotes"),
    ],
)
def test_parse_summary_text(summary: str, expected: str) -> None:
    assert only_paper(digest(section(summary=f"**摘要**: {summary}"))).summary == expected


def test_parse_highlight_text_unescaped() -> None:
    highlights = "**亮点**:\n  - 在 Kinetics\\-600 上 p<0.05\n  - τ\\_0-VLA 与 R&amp;D"

    paper = only_paper(digest(section(highlights=highlights)))

    assert paper.highlights == ["在 Kinetics-600 上 p<0.05", "τ_0-VLA 与 R&D"]


def test_parse_summary_over_several_lines() -> None:
    summary = "**摘要**: 第一行。\n第二行。\n\n第二段。"

    paper = only_paper(digest(section(summary=summary)))

    assert paper.summary == "第一行。\n第二行。\n\n第二段。"


@pytest.mark.parametrize(
    ("link", "url", "arxiv_id"),
    [
        pytest.param(
            "[https://arxiv.org/abs/2602.13515](https://arxiv.org/abs/2602.13515)",
            "https://arxiv.org/abs/2602.13515",
            "2602.13515",
            id="abs",
        ),
        pytest.param(
            "[PDF](https://arxiv.org/pdf/2602.13515v2.pdf)",
            "https://arxiv.org/pdf/2602.13515v2.pdf",
            "2602.13515v2",
            id="pdf-with-version",
        ),
        pytest.param(
            "https://arxiv.org/abs/hep-th/9901001",
            "https://arxiv.org/abs/hep-th/9901001",
            "hep-th/9901001",
            id="bare-url-old-style-id",
        ),
        pytest.param(
            "[paper](https://huggingface.co/papers/2309.03450)",
            "https://huggingface.co/papers/2309.03450",
            None,
            id="not-arxiv",
        ),
    ],
)
def test_parse_link(link: str, url: str, arxiv_id: str | None) -> None:
    paper = only_paper(digest(section(link=f"**论文链接**: {link}")))

    assert paper.url == url
    assert paper.arxiv_id == arxiv_id


def test_parse_arxiv_id_line_without_link() -> None:
    paper = only_paper(digest(section(link="**arXiv ID**: 2602.13515")))

    assert paper.arxiv_id == "2602.13515"
    assert paper.url is None
    assert paper.abs_url == "https://arxiv.org/abs/2602.13515"


def test_parse_votes_on_separate_lines() -> None:
    paper = only_paper(digest(section(votes="**Upvotes**: 261\n**Stars**: 681")))

    assert paper.upvotes == 261
    assert paper.stars == 681


def test_parse_without_votes() -> None:
    paper = only_paper(digest(section(votes=None)))

    assert paper.upvotes == 0
    assert paper.stars == 0


def test_parse_score_with_one_decimal() -> None:
    assert only_paper(digest(section(score="**得分**: 27.0"))).score == 27.0


def test_parse_logs_unknown_field(caplog: pytest.LogCaptureFixture) -> None:
    text = digest(section(org="**组织**: Google\n**作者**: Alice, Bob"))

    with caplog.at_level(logging.WARNING, logger="bot.parser.markdown"):
        paper = only_paper(text)

    assert paper.org == "Google"
    assert "作者" in caplog.text


def test_parse_with_crlf_line_endings() -> None:
    text = digest(section(1), section(2))

    assert parse_digest(text.replace("\n", "\r\n")) == parse_digest(text)


def test_parse_hundred_papers() -> None:
    text = digest(*(section(rank) for rank in range(1, 101)))

    papers = parse_digest(text).papers

    assert len(papers) == 100
    assert papers[-1].arxiv_id == "2602.13600"


def test_parse_empty_digest_with_zero_count() -> None:
    result = parse_digest("# 每日论文汇总 - 2026-02-20\n\n**论文数量**: 0\n\n---\n")

    assert result == Digest(date=dt.date(2026, 2, 20), title="每日论文汇总 - 2026-02-20", papers=[])


def test_parse_without_count_line() -> None:
    text = "# 每日论文汇总 - 2026-02-20\n\n---\n\n" + section(1) + section(2)

    assert len(parse_digest(text).papers) == 2


def test_parse_empty_day_with_fallback() -> None:
    result = parse_digest("# 每日论文汇总\n\n今日无内容。", fallback_date=dt.date(2026, 4, 1))

    assert result == Digest(date=dt.date(2026, 4, 1), title="每日论文汇总", papers=[])


def test_parse_empty_day_without_fallback() -> None:
    error = parse_error("# 每日论文汇总\n\n今日无内容。")

    assert str(error) == (
        'digest.md:1: heading "# 每日论文汇总" has no date, as the generator writes it for a '
        'day without papers; expected "# 每日论文汇总 - YYYY-MM-DD", '
        "or a file name with the date such as 2026-02-20.md"
    )


def test_parse_prefers_heading_date() -> None:
    result = parse_digest(digest(section()), fallback_date=dt.date(2020, 1, 1))

    assert result.date == dt.date(2026, 2, 20)


def test_parse_error_paper_after_empty_day() -> None:
    text = "# 每日论文汇总 - 2026-02-20\n\n今日无内容。\n\n" + section()

    error = parse_error(text)

    assert error.line == line_number(text, "###  1. 中文标题 (English Title)")
    assert "今日无内容。" in error.reason


def test_parse_error_when_score_invalid() -> None:
    text = digest(section(1), section(2), section(3, score="**得分**: abc"))

    error = parse_error(text)

    line = line_number(text, "**得分**: abc")
    assert (
        str(error)
        == f'digest.md:{line}: paper 3: field 得分 has "abc"; expected a number such as 38.45'
    )
    assert error.path == SOURCE
    assert error.line == line
    assert error.field == "得分"


@pytest.mark.parametrize(
    ("lines", "bad_line", "field", "reason"),
    [
        pytest.param(
            {"score": "**得分**: nan"},
            "**得分**: nan",
            "得分",
            'paper 1: field 得分 has "nan"; expected a number such as 38.45',
            id="score-nan",
        ),
        pytest.param(
            {"score": "**得分**: 1e999"},
            "**得分**: 1e999",
            "得分",
            'paper 1: field 得分 has "1e999"; expected a finite number such as 38.45',
            id="score-infinite",
        ),
        pytest.param(
            {"votes": "**Upvotes**: many | **Stars**: 0"},
            "**Upvotes**: many | **Stars**: 0",
            "Upvotes",
            'paper 1: field Upvotes has "many | **Stars**: 0"; '
            "expected a whole number, or two as in 27 | **Stars**: 0",
            id="upvotes-not-a-number",
        ),
        pytest.param(
            {"votes": "**Upvotes**: 27\n**Stars**: -1"},
            "**Stars**: -1",
            "Stars",
            'paper 1: field Stars has "-1"; expected a whole number such as 27',
            id="stars-negative",
        ),
        pytest.param(
            {"org": "**组织**: "},
            "**组织**: ",
            "组织",
            'paper 1: field 组织 is empty; expected the organisation, or "Unknown"',
            id="org-empty",
        ),
        pytest.param(
            {"link": "**论文链接**: see arXiv"},
            "**论文链接**: see arXiv",
            "论文链接",
            'paper 1: field 论文链接 has "see arXiv"; expected a link such as '
            "[https://arxiv.org/abs/2602.13515](https://arxiv.org/abs/2602.13515)",
            id="link-not-a-url",
        ),
        pytest.param(
            {"link": "**论文链接**: [x](https://arxiv.org/abs/)"},
            "**论文链接**: [x](https://arxiv.org/abs/)",
            "论文链接",
            'paper 1: field 论文链接 has "[x](https://arxiv.org/abs/)"; expected an arXiv link '
            "with a paper id, such as https://arxiv.org/abs/2602.13515",
            id="arxiv-link-without-id",
        ),
        pytest.param(
            {"link": "**arXiv ID**: not-an-id"},
            "**arXiv ID**: not-an-id",
            "arXiv ID",
            'paper 1: field arXiv ID has "not-an-id"; expected an arXiv id such as 2602.13515',
            id="arxiv-id-invalid",
        ),
        pytest.param(
            {"tags": "**组织**: Google"},
            "**组织**: Google",
            "组织",
            "paper 1: field 组织 appears twice, on lines 10 and 12; remove one",
            id="duplicate-field",
        ),
        pytest.param(
            {"votes": "**Upvotes**: 27 | **Stars**: 3\n**Stars**: 4"},
            "**Stars**: 4",
            "Stars",
            "paper 1: field Stars appears twice, on lines 13 and 14; remove one",
            id="stars-twice",
        ),
        pytest.param(
            {"highlights": "**亮点**:"},
            "**亮点**:",
            "亮点",
            'paper 1: field 亮点 has no bullet list after it; found "---" on line 19',
            id="highlights-without-list",
        ),
        pytest.param(
            {"highlights": "**亮点**: 第一点"},
            "**亮点**: 第一点",
            "亮点",
            'paper 1: field 亮点 has "第一点"; expected the bullets on the lines below it',
            id="highlights-inline",
        ),
        pytest.param(
            {"highlights": "**亮点**:\n**作者**: Alice\n  - 第一点"},
            "**亮点**:",
            "亮点",
            "paper 1: field 亮点 must be followed by its bullet list, not a field",
            id="highlights-followed-by-field",
        ),
        pytest.param(
            {"org": "**组织**: Google\nnot a field"},
            "not a field",
            None,
            'paper 1: unexpected text "not a field"; expected a field line such as '
            '"**组织**: Tsinghua University"',
            id="text-without-label",
        ),
    ],
)
def test_parse_error_in_field(
    lines: dict[str, str | None], bad_line: str, field: str | None, reason: str
) -> None:
    text = digest(section(**lines))

    error = parse_error(text)

    assert error.reason == reason
    assert error.line == line_number(text, bad_line)
    assert error.field == field


@pytest.mark.parametrize(
    ("removed", "field", "reason"),
    [
        pytest.param(
            "org",
            "组织",
            'paper 1 has no 组织 field; add a line such as "**组织**: Tsinghua University"',
            id="org",
        ),
        pytest.param(
            "score",
            "得分",
            'paper 1 has no 得分 field; add a line such as "**得分**: 38.45"',
            id="score",
        ),
        pytest.param(
            "link",
            "论文链接",
            "paper 1 has no 论文链接 or arXiv ID field; add a line such as "
            '"**论文链接**: [https://arxiv.org/abs/2602.13515](https://arxiv.org/abs/2602.13515)"',
            id="link",
        ),
    ],
)
def test_parse_error_when_required_field_missing(removed: str, field: str, reason: str) -> None:
    text = digest(section(**{removed: None}))

    error = parse_error(text)

    assert error.reason == reason
    assert error.line == line_number(text, "###  1. 中文标题 (English Title)")
    assert error.field == field


def test_parse_error_link_and_id_disagree() -> None:
    text = digest(
        section(link="**论文链接**: https://arxiv.org/abs/2602.13515\n**arXiv ID**: 2602.99999")
    )

    error = parse_error(text)

    assert error.reason == (
        "paper 1: 论文链接 names arXiv id 2602.13515 but arXiv ID is 2602.99999; "
        "remove the wrong one"
    )
    assert error.line == line_number(text, "**arXiv ID**: 2602.99999")


def test_parse_error_when_text_follows_rule() -> None:
    text = digest(
        section(summary="**摘要**: 摘要。\n\n---\n\n续写的文字。", blank_after_summary=None)
    )

    error = parse_error(text)

    assert error.line == line_number(text, "续写的文字。")
    assert error.reason.startswith('paper 1: unexpected text "续写的文字。"')


def test_parse_error_when_count_disagrees() -> None:
    text = digest(section(1), section(2), count=3)

    error = parse_error(text)

    assert str(error) == (
        "digest.md:3: field 论文数量 is 3 but the digest has 2 paper sections; "
        "fix the count or restore the missing sections"
    )
    assert error.field == "论文数量"


def test_parse_error_when_count_not_a_number() -> None:
    text = digest(section()).replace("**论文数量**: 1", "**论文数量**: one")

    error = parse_error(text)

    assert str(error) == 'digest.md:3: field 论文数量 has "one"; expected a whole number such as 27'


def test_parse_error_when_count_twice() -> None:
    text = digest(section()).replace("**论文数量**: 1", "**论文数量**: 1\n**论文数量**: 1")

    error = parse_error(text)

    assert str(error) == "digest.md:4: field 论文数量 appears twice, on lines 3 and 4; remove one"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param(
            "# AI-Enhanced arXiv Daily 2025-06-18\n",
            '"# AI-Enhanced arXiv Daily 2025-06-18"',
            id="other-title",
        ),
        pytest.param(
            "### [Title](https://arxiv.org/abs/1)\n",
            '"### [Title](https://arxiv.org/abs/1)"',
            id="no-h1",
        ),
        pytest.param("Intro\n\n# 每日论文汇总 - 2026-02-20\n", '"Intro"', id="text-before-h1"),
        pytest.param("## 每日论文汇总 - 2026-02-20\n", '"## 每日论文汇总 - 2026-02-20"', id="h2"),
        pytest.param(
            "# 每日论文汇总 - 2026/02/20\n", '"# 每日论文汇总 - 2026/02/20"', id="slashed-date"
        ),
    ],
)
def test_parse_error_when_digest_heading_wrong(text: str, found: str) -> None:
    error = parse_error(text)

    assert (
        str(error)
        == f'digest.md:1: expected the heading "# 每日论文汇总 - YYYY-MM-DD", found {found}'
    )


@pytest.mark.parametrize("text", [pytest.param("", id="empty"), pytest.param("\n  \n", id="blank")])
def test_parse_error_when_text_empty(text: str) -> None:
    error = parse_error(text)

    assert (
        str(error)
        == 'digest.md:1: expected the heading "# 每日论文汇总 - YYYY-MM-DD", found nothing'
    )


def test_parse_error_when_date_invalid() -> None:
    error = parse_error("# 每日论文汇总 - 2026-02-30\n")

    assert str(error) == (
        'digest.md:1: heading date "2026-02-30" is not a valid date; '
        'expected "# 每日论文汇总 - YYYY-MM-DD"'
    )


def test_parse_error_when_heading_is_not_a_paper() -> None:
    text = "# 每日论文汇总 - 2026-02-20\n\n### 今日没有找到新论文。\n"

    error = parse_error(text)

    assert str(error) == (
        'digest.md:3: expected a paper heading "### N. title" or "### 🏆 N. title", '
        'found "### 今日没有找到新论文。"'
    )


def test_parse_error_rule_right_after_text() -> None:
    short_section = section(
        summary=None,
        highlights=None,
        blank_after_votes=None,
        blank_after_summary=None,
        blank_after_highlights=None,
    )
    text = digest(short_section)

    error = parse_error(text)

    first_field = (
        "**论文链接**: [https://arxiv.org/abs/2602.13501](https://arxiv.org/abs/2602.13501)"
    )
    assert error.line == line_number(text, first_field)
    assert error.reason.endswith(
        "a line of text right above a --- line makes a heading, so add a blank line before ---"
    )


def test_parse_error_when_block_unexpected() -> None:
    text = digest(section(blank_after_summary="\n> quoted\n"))

    error = parse_error(text)

    assert error.reason == 'unexpected blockquote "> quoted" in paper 1'
    assert error.line == line_number(text, "> quoted")


def test_parse_error_when_text_before_first_paper() -> None:
    text = digest(section()).replace("---", "Some intro.\n\n---", 1)

    error = parse_error(text)

    assert error.reason == (
        'unexpected text "Some intro." before the first paper; '
        "expected only **论文数量**: N and ---"
    )


def test_parse_file_sample() -> None:
    result = parse_file(SAMPLE_DIGEST)

    assert result.date == dt.date(2026, 2, 20)
    assert len(result.papers) == 6
    assert result.papers[2].title_zh == "统一潜变量 (UL)：潜变量训练指南"
    assert result.papers[2].title_en == "Unified Latents (UL): How to train your latents"


def test_parse_file_names_path_in_error(tmp_path: Path) -> None:
    path = tmp_path / "2026-02-20.md"
    path.write_text(digest(section(score="**得分**: abc")), encoding="utf-8")

    with pytest.raises(DigestParseError) as excinfo:
        parse_file(path)

    assert str(excinfo.value).startswith(f"{path}:11: paper 1: field 得分")


def test_parse_file_rejects_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "digest.md"
    path.write_bytes("# 每日论文汇总 - 2026-02-20\n\n".encode() + "**组织**: 清华".encode("gbk"))

    with pytest.raises(DigestParseError) as excinfo:
        parse_file(path)

    assert excinfo.value.line == 3
    assert "is not valid UTF-8" in excinfo.value.reason


def test_parse_file_ignores_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "digest.md"
    path.write_text(digest(section()), encoding="utf-8-sig")

    assert len(parse_file(path).papers) == 1


@pytest.mark.parametrize(("path", "expected"), [
    ("digests/2026-02-20.md", dt.date(2026, 2, 20)),
    ("output/2026-03-09/papers/papers_summary.md", dt.date(2026, 3, 9)),
    ("2025-01-01/backup-2026-04-06.md", dt.date(2026, 4, 6)),
    ("digests/2026-13-45.md", None),
    ("digests/today.md", None),
], ids=["file-name", "folder", "last-wins", "impossible-date", "no-date"])
def test_date_in_path(path: str, expected: dt.date | None) -> None:
    assert date_in_path(Path(path)) == expected


def test_empty_day_file_takes_date_from_its_name(tmp_path: Path) -> None:
    path = tmp_path / "2026-06-18.md"
    path.write_text("# 每日论文汇总\n\n今日无内容。\n", encoding="utf-8")
    digest = parse_file(path, fallback_date=date_in_path(path))
    assert digest.date == dt.date(2026, 6, 18)
    assert digest.papers == []
