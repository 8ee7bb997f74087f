"""Tests that parse the real digests in the corpus beside the checkout, and the bundled sample.

Every paper is checked against a plain line-by-line reading of the same file, and
selected values that once caused trouble are checked by hand.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from bot.errors import DigestParseError
from bot.parser import Digest, Paper, parse_file

SAMPLE_DIGEST = Path(__file__).resolve().parents[2] / "bot" / "data" / "sample" / "2026-02-20.md"

DAILYNEWS_FILES = [
    "dailynews_2026-02-04_final-run.md",
    "dailynews_2026-02-04_first-run.md",
    "dailynews_2026-03-09.md",
    "dailynews_2026-03-10.md",
    "dailynews_2026-03-12.md",
    "dailynews_2026-04-06.md",
    "dailynews_2026-06-09.md",
    "dailynews_2026-08-11.md",
]

OTHER_FORMAT_FILES = {
    "daae_2025-03-21.md": (
        "### [CAM-Seg: A Continuous-valued Embedding Approach for Semantic Image Generat…"
    ),
    "daae_2025-06-18_empty.md": "# AI-Enhanced arXiv Daily 2025-06-18",
    "ainewsdaily_20260203.md": "# AI新闻日报 - 2026-02-02",
    "briefings_arxiv-briefing-2026-02-26.md": "# 📄 arXiv AI论文简报 - 2026-02-26",
    "hfnewsletter_20230912.md": "# 【2023-09-12】Huggingface 每日论文速览",
}

_HEADING = re.compile(r"### (🏆)? ?(\d+)\. (.*)")
_FIELD = re.compile(r"\*\*(.+?)\*\*: ?(.*)")
_BULLET = re.compile(r"  - (.*)")
_LINK = re.compile(r"\[(.*)\]\((.*)\)")


def _unescape(text: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def read_papers_line_by_line(path: Path) -> list[dict[str, object]]:
    """Read the papers of a generator-written digest with plain string matching.

    This reading handles only the exact layout the generator writes, which is enough to
    check the parser's values on real files.
    """
    papers: list[dict[str, object]] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        heading = _HEADING.fullmatch(line)
        field = _FIELD.fullmatch(line)
        bullet = _BULLET.fullmatch(line)
        if heading is not None:
            featured, rank, title = heading.groups()
            papers.append(
                {"rank": int(rank), "featured": featured is not None, "title": _unescape(title)}
            )
            papers[-1].update({"tags": [], "summary": None, "highlights": []})
        elif field is not None and papers:
            label, value = field.groups()
            paper = papers[-1]
            if label == "论文链接":
                link = _LINK.fullmatch(value)
                assert link is not None
                paper["url"] = link.group(2)
            elif label == "组织":
                paper["org"] = _unescape(value).strip()
            elif label == "得分":
                paper["score"] = float(value)
            elif label == "标签":
                paper["tags"] = [tag.strip() for tag in value.split(",") if tag.strip()]
            elif label == "Upvotes":
                upvotes, stars = value.split(" | **Stars**: ")
                paper["upvotes"], paper["stars"] = int(upvotes), int(stars)
            elif label == "摘要":
                paper["summary"] = _unescape(value).strip()
        elif bullet is not None and papers:
            highlights = papers[-1]["highlights"]
            assert isinstance(highlights, list)
            highlights.append(_unescape(bullet.group(1)).strip())
    return papers


def _as_line_reading(paper: Paper) -> dict[str, object]:
    title = paper.title_en if paper.title_zh is None else f"{paper.title_zh} ({paper.title_en})"
    return {
        "rank": paper.rank,
        "featured": paper.featured,
        "title": title,
        "url": paper.url,
        "org": paper.org,
        "score": paper.score,
        "tags": paper.tags,
        "upvotes": paper.upvotes,
        "stars": paper.stars,
        "summary": paper.summary,
        "highlights": paper.highlights,
    }


def _stated_count(path: Path) -> int:
    match = re.search(r"^\*\*论文数量\*\*: (\d+)$", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def _parse_real(corpus_dir: Path, name: str) -> Digest:
    return parse_file(corpus_dir / "real" / name)


@pytest.mark.parametrize("name", DAILYNEWS_FILES)
def test_dailynews_paper_count(corpus_dir: Path, name: str) -> None:
    path = corpus_dir / "real" / name

    assert len(parse_file(path).papers) == _stated_count(path)


@pytest.mark.parametrize("name", DAILYNEWS_FILES)
def test_dailynews_matches_line_reading(corpus_dir: Path, name: str) -> None:
    path = corpus_dir / "real" / name
    expected = read_papers_line_by_line(path)

    papers = parse_file(path).papers

    assert len(papers) == len(expected)
    for paper, expected_paper in zip(papers, expected, strict=True):
        assert _as_line_reading(paper) == expected_paper


@pytest.mark.parametrize("name", DAILYNEWS_FILES)
def test_dailynews_arxiv_ids_come_from_links(corpus_dir: Path, name: str) -> None:
    for paper in _parse_real(corpus_dir, name).papers:
        assert paper.url == f"https://arxiv.org/abs/{paper.arxiv_id}"


@pytest.mark.parametrize(("name", "found"), list(OTHER_FORMAT_FILES.items()))
def test_other_format_rejected(corpus_dir: Path, name: str, found: str) -> None:
    path = corpus_dir / "real" / name

    with pytest.raises(DigestParseError) as excinfo:
        parse_file(path)

    assert str(excinfo.value) == (
        f'{path}:1: expected the heading "# 每日论文汇总 - YYYY-MM-DD", found "{found}"'
    )


def test_dailynews_digest_heading(corpus_dir: Path) -> None:
    result = _parse_real(corpus_dir, "dailynews_2026-03-09.md")

    assert result.date == dt.date(2026, 3, 9)
    assert result.title == "每日论文汇总 - 2026-03-09"


def test_dailynews_featured_and_tags(corpus_dir: Path) -> None:
    papers = _parse_real(corpus_dir, "dailynews_2026-03-09.md").papers

    assert [paper.featured for paper in papers] == [True, False, False, False, False, False, False]
    assert papers[0].score == 66.55
    assert papers[1].score == 68.9
    assert sum(paper.tags == [] for paper in papers) == 2
    assert ["Super Lab", "Must Read"] in [paper.tags for paper in papers]
    assert "Unknown" in [paper.org for paper in papers]


def test_dailynews_nested_parens_title(corpus_dir: Path) -> None:
    paper = _parse_real(corpus_dir, "dailynews_2026-03-10.md").papers[3]

    assert paper.rank == 4
    assert (
        paper.title_zh
        == "HY-WU（第一部分）：可扩展功能性神经记忆框架及在文本引导图像编辑中的实例化"
    )
    assert paper.title_en == (
        "HY-WU (Part I): An Extensible Functional Neural Memory Framework and "
        "An Instantiation in Text-Guided Image Editing"
    )


def test_dailynews_escaped_dollar_title(corpus_dir: Path) -> None:
    paper = _parse_real(corpus_dir, "dailynews_2026-03-10.md").papers[14]

    assert paper.title_zh == "百万基准测试：语言代理与人类专家的差距有多大？"
    assert paper.title_en == "$OneMillion-Bench: How Far are Language Agents from Human Experts?"


def test_dailynews_underscore_in_summary(corpus_dir: Path) -> None:
    paper = _parse_real(corpus_dir, "dailynews_2026-03-10.md").papers[15]

    assert paper.summary is not None
    assert "Databricks的ai_parse_document生成" in paper.summary


def test_dailynews_underscores_and_less_than(corpus_dir: Path) -> None:
    papers = _parse_real(corpus_dir, "dailynews_2026-03-12.md").papers

    assert papers[6].title_en == "V_{0.5}: Generalist Value Model as a Prior for Sparse RL Rollouts"
    assert papers[6].title_zh == "V_{0.5}: 基于通用价值模型的稀疏强化学习rollout先验方法"
    assert papers[10].summary is not None
    assert "p<0.0001" in papers[10].summary
    assert "在多步推理基准上CFS显著优于现有方法(p<0.0001)" in papers[10].highlights
    assert [paper.rank for paper in papers if paper.featured] == [1, 2, 3]


def test_dailynews_short_format(corpus_dir: Path) -> None:
    papers = _parse_real(corpus_dir, "dailynews_2026-06-09.md").papers

    assert len(papers) == 25
    assert all(paper.title_zh is None for paper in papers)
    assert all(paper.summary is None for paper in papers)
    assert all(paper.highlights == [] for paper in papers)
    assert papers[0].org == "Mistral AI_"
    assert papers[9].org == "Mila – Quebec Artificial Intelligence Institute"
    assert papers[12].org == "HUAWEI Noah's Ark Lab"


def test_dailynews_org_with_colon_and_commas(corpus_dir: Path) -> None:
    papers = _parse_real(corpus_dir, "dailynews_2026-08-11.md").papers

    assert papers[7].org == "RAIVN: Reasoning, AI, & Vision Lab @ UW"
    assert papers[0].tags == ["Super Lab", "Must Read"]
    assert papers[0].featured is True
    assert papers[1].upvotes == 261
    assert papers[1].stars == 681


def test_dailynews_single_paper(corpus_dir: Path) -> None:
    papers = _parse_real(corpus_dir, "dailynews_2026-04-06.md").papers

    assert papers == [
        Paper(
            rank=1,
            featured=False,
            title_zh=None,
            title_en="A Simple Baseline for Streaming Video Understanding",
            url="https://arxiv.org/abs/2604.02317",
            arxiv_id="2604.02317",
            org="LMMs-Lab",
            score=46.05,
            tags=[],
            upvotes=61,
            stars=49,
        )
    ]


def test_dailynews_reruns_share_arxiv_ids(corpus_dir: Path) -> None:
    first = _parse_real(corpus_dir, "dailynews_2026-02-04_first-run.md").papers
    final = _parse_real(corpus_dir, "dailynews_2026-02-04_final-run.md").papers

    first_ids = {paper.arxiv_id for paper in first}
    final_ids = {paper.arxiv_id for paper in final}
    assert first_ids - final_ids == {"2601.19103"}
    assert final_ids - first_ids == {"2602.03183", "2602.03747", "2602.03845"}


def test_sample_matches_line_reading() -> None:
    expected = read_papers_line_by_line(SAMPLE_DIGEST)

    papers = parse_file(SAMPLE_DIGEST).papers

    assert len(papers) == 6
    assert [_as_line_reading(paper) for paper in papers] == expected


def test_sample_every_field_present() -> None:
    for paper in parse_file(SAMPLE_DIGEST).papers:
        assert paper.title_zh is not None
        assert paper.arxiv_id is not None
        assert paper.summary is not None
        assert len(paper.highlights) == 3


def test_sample_title_split_at_last_group() -> None:
    paper = parse_file(SAMPLE_DIGEST).papers[2]

    assert paper.title_zh == "统一潜变量 (UL)：潜变量训练指南"
    assert paper.title_en == "Unified Latents (UL): How to train your latents"


def test_sample_bundled_copy_unchanged(corpus_dir: Path) -> None:
    assert SAMPLE_DIGEST.read_bytes() == (corpus_dir / "sample" / "2026-02-20.md").read_bytes()
