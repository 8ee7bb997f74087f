"""Tests of the plain-text card renderer."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from telegram.constants import MessageLimit

from bot.i18n import get_translator
from bot.parser.models import Paper
from bot.platform.card import ELLIPSIS
from bot.platform.plaintext import render_card_text
from bot.platform.telegram.render import render_card
from bot.platform.text import utf16_length
from tests.fakes.telegram_html import parse_html
from tests.platform.cards import HAZARDS, chinese_translator, make_paper, papers

LIMIT = MessageLimit.MAX_TEXT_LENGTH
EN = get_translator("en")


def test_render_card_text_layout() -> None:
    text = render_card_text(make_paper(featured=True), t=EN)

    assert text.splitlines() == [
        "🏆 3. 统一潜变量 (UL)：潜变量训练指南",
        "Unified Latents (UL): How to train your latents",
        "",
        "Organization: Google",
        "Score: 36.84",
        "Tags: Frontier Lab",
        "Upvotes: 21 | Stars: 4",
        "",
        "Summary: 该研究提出统一潜变量(UL)框架。",
        "",
        "Highlights:",
        "• 提出扩散先验",
        "• 刷新FVD SOTA记录",
        "",
        "[arXiv] https://arxiv.org/abs/2602.17270  [PDF] https://arxiv.org/pdf/2602.17270",
    ]


def test_render_card_text_url_link_without_arxiv_id() -> None:
    text = render_card_text(make_paper(arxiv_id=None, url="https://huggingface.co/papers/x"),
                            t=chinese_translator())

    assert text.endswith("\n\n[论文链接] https://huggingface.co/papers/x")


def test_render_card_text_without_links_has_no_footer() -> None:
    text = render_card_text(make_paper(arxiv_id=None, url=None, highlights=[]), t=EN)

    assert text.endswith("Summary: 该研究提出统一潜变量(UL)框架。")


def test_render_card_text_keeps_markup_characters() -> None:
    text = render_card_text(make_paper(title_en=HAZARDS, summary=HAZARDS), t=EN)

    assert f"\n{HAZARDS}\n" in text
    assert f"Summary: {HAZARDS}" in text
    assert "&amp;amp;" not in text


def test_render_card_text_complete_without_max_length() -> None:
    summary = "x" * 10_000

    text = render_card_text(make_paper(summary=summary), t=EN)

    assert f"Summary: {summary}\n" in text


def test_render_card_text_max_length_keeps_links() -> None:
    text = render_card_text(make_paper(summary=(HAZARDS * 300)[:10_000]), t=EN,
                            max_length=LIMIT)

    summary_line = next(line for line in text.splitlines() if line.startswith("Summary"))
    assert utf16_length(text) <= LIMIT
    assert summary_line.endswith(ELLIPSIS)
    assert text.endswith("[PDF] https://arxiv.org/pdf/2602.17270")


@pytest.mark.parametrize("paper", [
    pytest.param(make_paper(), id="complete"),
    pytest.param(make_paper(title_zh=None, tags=[], summary=None, highlights=[]), id="short"),
    pytest.param(make_paper(title_en=HAZARDS, org=HAZARDS, highlights=[HAZARDS]), id="hazards"),
])
def test_render_card_text_matches_telegram_display(paper: Paper) -> None:
    telegram_text = parse_html(render_card(paper, t=EN).text).text

    text = render_card_text(paper, t=EN)

    assert text.startswith(telegram_text)
    assert text.removeprefix(telegram_text).startswith("\n\n[")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paper=papers)
def test_render_card_text_any_text_within_max_length(paper: Paper) -> None:
    text = render_card_text(paper, t=EN, max_length=LIMIT)

    assert utf16_length(text) <= LIMIT
