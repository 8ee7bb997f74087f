"""Tests for paper headings: rank, 🏆 marker and the Chinese/English title split."""

from __future__ import annotations

import pytest

from bot.parser.titles import PaperHeading, contains_cjk, parse_heading, split_title


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        pytest.param(
            "统一潜变量 (UL)：潜变量训练指南 (Unified Latents (UL): How to train your latents)",
            ("统一潜变量 (UL)：潜变量训练指南", "Unified Latents (UL): How to train your latents"),
            id="parens-in-both-parts",
        ),
        pytest.param(
            "HY-WU（第一部分）：可扩展功能性神经记忆框架 (HY-WU (Part I): An Extensible Memory)",
            ("HY-WU（第一部分）：可扩展功能性神经记忆框架", "HY-WU (Part I): An Extensible Memory"),
            id="nested-parens-in-english",
        ),
        pytest.param(
            "百万基准测试：差距有多大？ ($OneMillion-Bench: How Far?)",
            ("百万基准测试：差距有多大？", "$OneMillion-Bench: How Far?"),
            id="dollar-in-english",
        ),
        pytest.param(
            "V_{0.5}: 基于通用价值模型的先验方法 (V_{0.5}: Generalist Value Model)",
            ("V_{0.5}: 基于通用价值模型的先验方法", "V_{0.5}: Generalist Value Model"),
            id="underscore-and-braces",
        ),
        pytest.param(
            "Unified Latents (UL): How to train your latents",
            (None, "Unified Latents (UL): How to train your latents"),
            id="english-with-inner-group",
        ),
        pytest.param(
            "Scaling Laws (Revisited)",
            (None, "Scaling Laws (Revisited)"),
            id="english-ending-in-group",
        ),
        pytest.param(
            "A Simple Baseline for Streaming Video Understanding",
            (None, "A Simple Baseline for Streaming Video Understanding"),
            id="english-only",
        ),
        pytest.param(
            "多智能体视频问答（MA-EgoQA）",
            (None, "多智能体视频问答（MA-EgoQA）"),
            id="full-width-parens",
        ),
        pytest.param("中文标题 ()", (None, "中文标题 ()"), id="empty-group"),
        pytest.param(
            "中文标题 (Broken) title)", (None, "中文标题 (Broken) title)"), id="unbalanced"
        ),
        pytest.param(
            "日本語のタイトル (Japanese Title)", ("日本語のタイトル", "Japanese Title"), id="kana"
        ),
    ],
)
def test_split_title(title: str, expected: tuple[str | None, str]) -> None:
    assert split_title(title) == expected


def test_split_title_with_fullwidth_colon() -> None:
    title_zh, title_en = split_title(
        "Mobile-Agent-v3.5：多平台基础 GUI 智能体 (Mobile-Agent-v3.5: GUI Agents)"
    )

    assert title_zh == "Mobile-Agent-v3.5：多平台基础 GUI 智能体"
    assert title_en == "Mobile-Agent-v3.5: GUI Agents"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("中文", True, id="han"),
        pytest.param("カタカナ", True, id="katakana"),
        pytest.param("한국어", True, id="hangul"),
        pytest.param("English：", False, id="full-width-colon-only"),
        pytest.param("τ_0-VLA", False, id="greek"),
        pytest.param("", False, id="empty"),
    ],
)
def test_contains_cjk(text: str, expected: bool) -> None:
    assert contains_cjk(text) is expected


def test_parse_heading_with_trophy_marker() -> None:
    heading = parse_heading("🏆 1. 从窄视到全景视角 (From Narrow to Panoramic Vision)")

    assert heading == PaperHeading(
        rank=1,
        featured=True,
        title_zh="从窄视到全景视角",
        title_en="From Narrow to Panoramic Vision",
    )


def test_parse_heading_without_marker() -> None:
    heading = parse_heading("12. BDH-CQ: In-Context Learning")

    assert heading == PaperHeading(
        rank=12, featured=False, title_zh=None, title_en="BDH-CQ: In-Context Learning"
    )


def test_parse_heading_title_starting_with_digit() -> None:
    heading = parse_heading("3. 2D Gaussians Revisited")

    assert heading is not None
    assert heading.rank == 3
    assert heading.title_en == "2D Gaussians Revisited"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("今日没有找到新论文。", id="no-papers-notice"),
        pytest.param("1.Title without space", id="no-space-after-dot"),
        pytest.param("1. ", id="no-title"),
        pytest.param("Title without rank", id="no-rank"),
        pytest.param("1234567890. Rank too long", id="rank-over-nine-digits"),
        pytest.param("🏆 Featured without rank", id="marker-without-rank"),
    ],
)
def test_parse_heading_rejects(text: str) -> None:
    assert parse_heading(text) is None
