"""Tests of the Telegram card renderer, checked by the fake Bot API's HTML parser."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from telegram import Bot
from telegram.constants import MessageLimit

from bot.errors import DigestParseError
from bot.i18n import get_translator
from bot.parser.models import Paper
from bot.platform.card import ELLIPSIS, CardContent, card_lines, plain_text
from bot.platform.telegram.render import TelegramCard, render_card
from bot.platform.text import utf16_length
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.telegram_html import (
    ParsedText,
    check_message_text,
    check_reply_markup,
    parse_html,
)
from tests.platform.cards import HAZARDS, chinese_translator, make_paper, papers

LIMIT = MessageLimit.MAX_TEXT_LENGTH
EN = get_translator("en")
_CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
_CORPUS_FILES = sorted(path.relative_to(_CORPUS).as_posix()
                       for path in _CORPUS.glob("*/*.md") if path.name != "README.md")

try:
    from bot.parser.markdown import parse_file
except ImportError:  # pragma: no cover - only while the parser is being written
    parse_file = None  # type: ignore[assignment]


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with fake_telegram.make_bot() as started:
        yield started


def displayed(card: TelegramCard) -> ParsedText:
    """Parse the card as Telegram does; fail the test with Telegram's reason if it can't."""
    return check_message_text(card.text, card.parse_mode)


async def send(bot: Bot, card: TelegramCard, chat_id: int = 1) -> None:
    await bot.send_message(chat_id, card.text, parse_mode=card.parse_mode,
                           reply_markup=card.reply_markup)


# -- layout -----------------------------------------------------------------------------


def test_render_card_layout() -> None:
    card = render_card(make_paper(featured=True), t=EN)

    assert card.text.splitlines() == [
        "🏆 3. <b>统一潜变量 (UL)：潜变量训练指南</b>",
        "<i>Unified Latents (UL): How to train your latents</i>",
        "",
        "<b>Organization</b>: Google",
        "<b>Score</b>: 36.84",
        "<b>Tags</b>: Frontier Lab",
        "<b>Upvotes</b>: 21 | <b>Stars</b>: 4",
        "",
        "<b>Summary</b>: 该研究提出统一潜变量(UL)框架。",
        "",
        "<b>Highlights</b>:",
        "• 提出扩散先验",
        "• 刷新FVD SOTA记录",
    ]


def test_render_card_not_featured_has_no_trophy() -> None:
    card = render_card(make_paper(featured=False), t=EN)

    assert card.text.startswith("3. <b>")
    assert "🏆" not in card.text


def test_render_card_english_title_bold_without_chinese() -> None:
    card = render_card(make_paper(title_zh=None), t=EN)

    first, second = card.text.splitlines()[:2]
    assert first == "3. <b>Unified Latents (UL): How to train your latents</b>"
    assert second == ""


def test_render_card_omits_empty_optional_lines() -> None:
    card = render_card(make_paper(tags=[], summary=None, highlights=[]), t=EN)

    assert "Tags" not in card.text
    assert "Summary" not in card.text
    assert "Highlights" not in card.text
    assert card.text.endswith("<b>Upvotes</b>: 21 | <b>Stars</b>: 4")


def test_render_card_joins_multiple_tags() -> None:
    card = render_card(make_paper(tags=["Super Lab", "Must Read"]), t=EN)

    assert "<b>Tags</b>: Super Lab, Must Read" in card.text


def test_render_card_labels_translated() -> None:
    card = render_card(make_paper(), t=chinese_translator())

    assert "<b>组织</b>: Google" in card.text
    assert "<b>得分</b>: 36.84" in card.text
    assert "<b>标签</b>: Frontier Lab" in card.text
    assert "<b>摘要</b>: " in card.text
    assert "<b>亮点</b>:" in card.text


def test_render_card_escapes_translated_label() -> None:
    t = chinese_translator()
    t._translations._messages["Tags"] = "标签 & <主题>"  # type: ignore[attr-defined]

    card = render_card(make_paper(), t=t)

    assert "<b>标签 &amp; &lt;主题&gt;</b>" in card.text
    assert "标签 & <主题>: Frontier Lab" in displayed(card).text


@pytest.mark.parametrize("field", ["title_zh", "title_en", "org", "summary"])
def test_render_card_escapes_digest_values(field: str) -> None:
    card = render_card(make_paper(**{field: HAZARDS}), t=EN)

    assert HAZARDS.strip() in displayed(card).text


def test_render_card_escapes_tags_and_highlights() -> None:
    card = render_card(make_paper(tags=[HAZARDS], highlights=[HAZARDS]), t=EN)

    parsed = displayed(card)
    assert f"Tags: {HAZARDS}" in parsed.text
    assert f"• {HAZARDS}" in parsed.text


def test_render_card_title_entities() -> None:
    parsed = displayed(render_card(make_paper(rank=1, title_zh="中文😀", title_en="English"),
                                   t=EN))

    assert parsed.entities[0] == {"type": "bold", "offset": 3, "length": 4}
    assert parsed.entities[1] == {"type": "italic", "offset": 8, "length": 7}


# -- buttons ------------------------------------------------------------------------------


def test_render_card_arxiv_buttons() -> None:
    card = render_card(make_paper(), t=EN)

    assert card.reply_markup is not None
    buttons = card.reply_markup.inline_keyboard[0]
    assert [(button.text, button.url) for button in buttons] == [
        ("arXiv", "https://arxiv.org/abs/2602.17270"),
        ("PDF", "https://arxiv.org/pdf/2602.17270"),
    ]


def test_render_card_url_button_without_arxiv_id() -> None:
    card = render_card(make_paper(arxiv_id=None, url="https://huggingface.co/papers/x"),
                       t=chinese_translator())

    assert card.reply_markup is not None
    buttons = card.reply_markup.inline_keyboard[0]
    assert [(button.text, button.url) for button in buttons] == [
        ("论文链接", "https://huggingface.co/papers/x")]


def test_render_card_no_link_no_keyboard() -> None:
    card = render_card(make_paper(arxiv_id=None, url=None), t=EN)

    assert card.reply_markup is None


@pytest.mark.parametrize("url", [
    pytest.param("javascript:alert(1)", id="script-scheme"),
    pytest.param("arxiv.org/abs/1", id="relative"),
    pytest.param("https://example.org/a b", id="space"),
    pytest.param("", id="empty"),
])
def test_render_card_invalid_url_left_out(url: str) -> None:
    card = render_card(make_paper(arxiv_id=None, url=url), t=EN)

    assert card.reply_markup is None


# -- length -------------------------------------------------------------------------------


def test_render_card_long_summary_shortened() -> None:
    summary = (HAZARDS * 200)[:10_000]
    paper = make_paper(summary=summary)

    card = render_card(paper, t=EN)

    parsed = displayed(card)
    summary_line = next(line for line in parsed.text.splitlines() if line.startswith("Summary"))
    assert utf16_length(parsed.text) <= LIMIT
    assert summary_line.endswith(ELLIPSIS)
    assert "• 刷新FVD SOTA记录" in parsed.text
    assert parsed.text.startswith("3. 统一潜变量 (UL)：潜变量训练指南")


def test_render_card_cut_fills_limit() -> None:
    card = render_card(make_paper(summary="字" * 10_000), t=EN)

    assert utf16_length(displayed(card).text) == LIMIT


def test_render_card_cut_never_splits_surrogate_pair() -> None:
    card = render_card(make_paper(summary="😀" * 5_000), t=EN)

    parsed = displayed(card)
    summary_line = next(line for line in parsed.text.splitlines() if line.startswith("Summary"))
    assert utf16_length(parsed.text) <= LIMIT
    assert set(summary_line.removeprefix("Summary: ").removesuffix(ELLIPSIS)) == {"😀"}


def test_render_card_highlights_cut_after_summary() -> None:
    highlights = [f"亮点 {index} " + "x" * 300 for index in range(40)]

    card = render_card(make_paper(summary="short", highlights=highlights), t=EN)

    parsed = displayed(card)
    assert utf16_length(parsed.text) <= LIMIT
    assert "Summary" not in parsed.text
    assert "• 亮点 0 " in parsed.text
    assert "• 亮点 39 " not in parsed.text
    assert parsed.text.endswith(ELLIPSIS)


def test_render_card_title_cut_last() -> None:
    card = render_card(make_paper(title_zh=None, title_en="T" * 9_000, summary="s" * 9_000,
                                  highlights=["h"]), t=EN)

    parsed = displayed(card)
    assert utf16_length(parsed.text) <= LIMIT
    assert "Summary" not in parsed.text
    assert "Highlights" not in parsed.text
    assert parsed.text.splitlines()[0].endswith("T" + ELLIPSIS)


def test_render_card_short_card_unchanged() -> None:
    paper = make_paper(summary="x" * 3_000)

    parsed = displayed(render_card(paper, t=EN))

    assert ELLIPSIS not in parsed.text
    assert "x" * 3_000 in parsed.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paper=papers)
def test_render_card_any_text_accepted(paper: Paper) -> None:
    card = render_card(paper, t=EN)

    parsed = displayed(card)
    assert utf16_length(parsed.text) <= LIMIT
    if card.reply_markup is not None:
        assert check_reply_markup(card.reply_markup.to_dict()) is not None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(paper=papers)
def test_render_card_escaping_round_trips(paper: Paper) -> None:
    full_text = plain_text(card_lines(CardContent.from_paper(paper), t=EN))

    parsed = parse_html(render_card(paper, t=EN).text)

    if utf16_length(full_text) <= LIMIT:
        assert parsed.text == full_text
    else:
        assert utf16_length(parsed.text) <= LIMIT


# -- through python-telegram-bot to the fake Bot API --------------------------------------


@pytest.mark.parametrize("paper", [
    pytest.param(make_paper(), id="complete"),
    pytest.param(make_paper(featured=True, title_zh=None, tags=[], summary=None, highlights=[]),
                 id="short-format"),
    pytest.param(make_paper(title_zh=HAZARDS, title_en=HAZARDS, org=HAZARDS, tags=[HAZARDS],
                            summary=HAZARDS, highlights=[HAZARDS] * 3), id="hazards"),
    pytest.param(make_paper(summary=(HAZARDS * 300)[:10_000]), id="long-summary"),
    pytest.param(make_paper(title_en="😀" * 3_000, title_zh="字" * 3_000, org="&" * 3_000,
                            summary="<" * 3_000, highlights=["👨‍👩‍👧" * 500] * 4),
                 id="everything-long"),
    pytest.param(make_paper(arxiv_id=None, url="https://huggingface.co/papers/2309.05463"),
                 id="url-only"),
])
async def test_render_card_accepted_by_bot_api(fake_telegram: FakeTelegram, bot: Bot,
                                               paper: Paper) -> None:
    await send(bot, render_card(paper, t=EN))

    assert fake_telegram.rejected == []
    assert utf16_length(fake_telegram.sent[0].display_text) <= LIMIT


@pytest.mark.parametrize("name", _CORPUS_FILES or ["corpus-absent"])
async def test_render_card_corpus_digest_accepted(fake_telegram: FakeTelegram, bot: Bot,
                                                  corpus_dir: Path, name: str) -> None:
    if parse_file is None:
        pytest.skip("bot.parser.markdown.parse_file is not available yet")
    try:
        digest = parse_file(corpus_dir / name)
    except DigestParseError:
        pytest.skip(f"{name} is not in the digest format paperbot reads")

    for paper in digest.papers:
        await send(bot, render_card(paper, t=get_translator("zh")))

    assert fake_telegram.rejected == []
    assert len(fake_telegram.sent) == len(digest.papers)
    for paper, sent in zip(digest.papers, fake_telegram.sent, strict=True):
        assert paper.org.strip() in sent.display_text
        if paper.summary:
            assert paper.summary in sent.display_text


async def test_render_card_corpus_p_value_shown(fake_telegram: FakeTelegram, bot: Bot,
                                                corpus_dir: Path) -> None:
    if parse_file is None:
        pytest.skip("bot.parser.markdown.parse_file is not available yet")
    digest = parse_file(corpus_dir / "real" / "dailynews_2026-03-12.md")
    paper = next(paper for paper in digest.papers if paper.summary and "p<0.0001" in paper.summary)

    await send(bot, render_card(paper, t=get_translator("zh")))

    assert "p&lt;0.0001" in fake_telegram.sent[0].text
    assert "p<0.0001" in fake_telegram.sent[0].display_text
