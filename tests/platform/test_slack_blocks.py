"""Tests of the Block Kit card renderer, checked by the fake Slack's Block Kit rules."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from slack_sdk.web.async_client import AsyncWebClient

from bot.i18n import Translator, get_translator
from bot.parser.models import Paper
from bot.platform.card import ELLIPSIS
from bot.platform.slack.blocks import (
    MAX_BUTTON_TEXT,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    SlackMessage,
    render_card,
)
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_blocks import check_message, displayed_text, link_targets
from tests.platform.cards import (
    HAZARDS,
    CatalogTranslations,
    chinese_translator,
    make_paper,
    papers,
)

EN = get_translator("en")


def blocks_of(message: SlackMessage, kind: str) -> list[dict[str, Any]]:
    return [block for block in message.blocks if block["type"] == kind]


def header_text(message: SlackMessage) -> str:
    [header] = blocks_of(message, "header")
    return str(header["text"]["text"])


def section_texts(message: SlackMessage) -> list[str]:
    return [displayed_text(block["text"]["text"]) for block in blocks_of(message, "section")]


def context_texts(message: SlackMessage) -> list[str]:
    [context] = blocks_of(message, "context")
    return [displayed_text(element["text"]) for element in context["elements"]]


def buttons(message: SlackMessage) -> list[tuple[str, str]]:
    return [(element["text"]["text"], element["url"])
            for block in blocks_of(message, "actions") for element in block["elements"]]


def mrkdwn_texts(message: SlackMessage) -> list[str]:
    """Every mrkdwn string of the message, the fallback ``text`` included."""
    texts = [message.text]
    for block in message.blocks:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts.extend(element["text"] for element in block["elements"])
    return texts


# -- layout -----------------------------------------------------------------------------


def test_render_card_block_order() -> None:
    message = render_card(make_paper(), t=EN)

    assert [block["type"] for block in message.blocks] == [
        "header", "section", "context", "section", "section", "actions"]


def test_render_card_header_has_rank_and_title() -> None:
    message = render_card(make_paper(), t=EN)

    assert header_text(message) == "3. 统一潜变量 (UL)：潜变量训练指南"


def test_render_card_featured_header_has_trophy() -> None:
    message = render_card(make_paper(featured=True, rank=1), t=EN)

    assert header_text(message) == "🏆 1. 统一潜变量 (UL)：潜变量训练指南"


def test_render_card_english_title_links_to_arxiv() -> None:
    message = render_card(make_paper(), t=EN)
    title_section = blocks_of(message, "section")[0]["text"]["text"]

    assert displayed_text(title_section) == "Unified Latents (UL): How to train your latents"
    assert link_targets(title_section) == ["https://arxiv.org/abs/2602.17270"]


def test_render_card_context_lists_facts() -> None:
    message = render_card(make_paper(), t=EN)

    assert context_texts(message) == ["*Organization*: Google", "*Score*: 36.84",
                                      "*Tags*: Frontier Lab", "*Upvotes*: 21", "*Stars*: 4"]


def test_render_card_summary_and_highlights() -> None:
    message = render_card(make_paper(), t=EN)

    assert section_texts(message)[1:] == ["*Summary*\n该研究提出统一潜变量(UL)框架。",
                                          "*Highlights*\n• 提出扩散先验\n• 刷新FVD SOTA记录"]


def test_render_card_buttons_open_arxiv_and_pdf() -> None:
    message = render_card(make_paper(), t=EN)

    assert buttons(message) == [("arXiv", "https://arxiv.org/abs/2602.17270"),
                                ("PDF", "https://arxiv.org/pdf/2602.17270")]


def test_render_card_button_action_ids_unique() -> None:
    message = render_card(make_paper(), t=EN)
    [actions] = blocks_of(message, "actions")
    action_ids = [element["action_id"] for element in actions["elements"]]

    assert len(set(action_ids)) == len(action_ids)


def test_render_card_chinese_labels() -> None:
    message = render_card(make_paper(), t=chinese_translator())

    assert context_texts(message)[0] == "*组织*: Google"
    assert section_texts(message)[1].startswith("*摘要*\n")


def test_render_card_fallback_text_names_paper() -> None:
    message = render_card(make_paper(), t=EN)

    assert displayed_text(message.text) == "3. 统一潜变量 (UL)：潜变量训练指南 (Google, 36.84)"


# -- empty fields -----------------------------------------------------------------------


def test_render_card_short_format_has_no_empty_blocks() -> None:
    paper = make_paper(title_zh=None, summary=None, highlights=[], tags=[""])
    message = render_card(paper, t=EN)

    assert [block["type"] for block in message.blocks] == ["header", "context", "actions"]
    assert context_texts(message) == ["*Organization*: Google", "*Score*: 36.84",
                                      "*Upvotes*: 21", "*Stars*: 4"]


@pytest.mark.parametrize("summary", [
    pytest.param("", id="empty"), pytest.param("   ", id="blank")])
def test_render_card_blank_summary_has_no_section(summary: str) -> None:
    message = render_card(make_paper(title_zh=None, summary=summary, highlights=[]), t=EN)

    assert blocks_of(message, "section") == []


def test_render_card_without_links_has_no_actions() -> None:
    message = render_card(make_paper(arxiv_id=None, url=None), t=EN)

    assert blocks_of(message, "actions") == []


def test_render_card_without_arxiv_links_digest_url() -> None:
    message = render_card(make_paper(arxiv_id=None, url="https://example.org/paper"), t=EN)

    assert buttons(message) == [("Paper link", "https://example.org/paper")]


def test_render_card_non_http_url_has_no_button() -> None:
    message = render_card(make_paper(arxiv_id=None, url="javascript:alert(1)"), t=EN)

    assert blocks_of(message, "actions") == []


# -- limits -----------------------------------------------------------------------------


def test_render_card_long_title_cut_in_header() -> None:
    title = "很长的标题" * 40
    message = render_card(make_paper(title_zh=title), t=EN)

    assert len(header_text(message)) <= MAX_HEADER_TEXT
    assert header_text(message).endswith(ELLIPSIS)


def test_render_card_long_title_in_full_in_section() -> None:
    title = "很长的标题" * 40
    message = render_card(make_paper(title_zh=title), t=EN)

    assert section_texts(message)[0].split("\n")[0] == title


def test_render_card_featured_long_title_counts_prefix() -> None:
    title = "T" * (MAX_HEADER_TEXT - len("1. "))
    message = render_card(make_paper(title_zh=title, featured=True, rank=1), t=EN)

    assert len(header_text(message)) == MAX_HEADER_TEXT
    assert header_text(message).startswith("🏆 1. T")
    assert section_texts(message)[0].split("\n")[0] == title


def test_render_card_title_at_limit_not_repeated() -> None:
    title = "T" * (MAX_HEADER_TEXT - len("3. "))
    message = render_card(make_paper(title_zh=title), t=EN)

    assert header_text(message) == f"3. {title}"
    assert title not in section_texts(message)[0]


def test_render_card_long_summary_cut_to_section_limit() -> None:
    message = render_card(make_paper(summary="R&D <x> " * 2000), t=EN)
    summary = blocks_of(message, "section")[1]["text"]["text"]

    assert len(summary) <= MAX_SECTION_TEXT
    assert displayed_text(summary).endswith(ELLIPSIS)


def test_render_card_many_highlights_cut_to_section_limit() -> None:
    message = render_card(make_paper(highlights=["p<0.0001 & more"] * 500), t=EN)
    highlights = blocks_of(message, "section")[2]["text"]["text"]

    assert len(highlights) <= MAX_SECTION_TEXT
    assert displayed_text(highlights).endswith(ELLIPSIS)


def test_render_card_long_button_label_cut() -> None:
    long_labels = Translator("en", CatalogTranslations({"arXiv": "a" * 200, "PDF": "PDF"}))
    message = render_card(make_paper(), t=long_labels)

    assert len(buttons(message)[0][0]) == MAX_BUTTON_TEXT


def test_render_card_url_too_long_for_button_left_out() -> None:
    paper = make_paper(arxiv_id=None, url="https://example.org/" + "a" * 3000)
    message = render_card(paper, t=EN)

    assert blocks_of(message, "actions") == []


# -- hazards ----------------------------------------------------------------------------


def hazard_paper() -> Paper:
    return make_paper(title_zh=HAZARDS, title_en=HAZARDS + " P(y|x)", org=HAZARDS,
                      tags=[HAZARDS], summary=HAZARDS, highlights=[HAZARDS, "p<0.0001"])


def test_render_card_hazards_display_as_written() -> None:
    message = render_card(hazard_paper(), t=EN)

    assert header_text(message) == f"3. {HAZARDS}"
    assert context_texts(message)[0] == f"*Organization*: {HAZARDS}"
    assert section_texts(message)[1] == f"*Summary*\n{HAZARDS}"
    assert section_texts(message)[2] == f"*Highlights*\n• {HAZARDS}\n• p<0.0001"


def test_render_card_bar_in_title_keeps_link() -> None:
    message = render_card(hazard_paper(), t=EN)
    title_section = blocks_of(message, "section")[0]["text"]["text"]

    assert link_targets(title_section) == ["https://arxiv.org/abs/2602.17270"]


def test_render_card_hazards_pass_slack_checks() -> None:
    message = render_card(hazard_paper(), t=EN)

    assert check_message(message.text, list(message.blocks)) is None


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(paper=papers)
def test_render_card_any_paper_accepted(paper: Paper) -> None:
    message = render_card(paper, t=EN)

    assert check_message(message.text, list(message.blocks)) is None
    for text in mrkdwn_texts(message):
        displayed_text(text)


async def test_render_card_posted_to_fake_slack(fake_slack: FakeSlack) -> None:
    message = render_card(hazard_paper(), t=EN)
    client = AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url)

    response = await client.chat_postMessage(channel="C0GENERAL", text=message.text,
                                             blocks=list(message.blocks))

    assert response["ok"] is True
    assert fake_slack.posts[0].blocks == list(message.blocks)
