"""Tests of the platform-neutral card: content, links and shortening."""

from __future__ import annotations

import pytest

from bot.i18n import get_translator
from bot.platform.card import (
    ELLIPSIS,
    CardContent,
    card_lines,
    card_links,
    fit_card,
    is_link_url,
    plain_text,
    shorten,
)
from bot.platform.text import utf16_length
from tests.platform.cards import make_paper

EN = get_translator("en")


@pytest.mark.parametrize(("text", "budget", "expected"), [
    pytest.param("abcdef", 6, "abcdef", id="fits"),
    pytest.param("abcdef", 4, "abc…", id="cut"),
    pytest.param("ab   cdef", 6, "ab…", id="trailing-space-dropped"),
    pytest.param("😀😀😀", 4, "😀…", id="surrogate-pair-kept-whole"),
    pytest.param("😀😀😀", 2, None, id="no-room-for-a-pair"),
    pytest.param("ae\u0301bc", 3, "a…", id="combining-accent-kept-with-base"),
    pytest.param("a👍🏽bc", 4, "a…", id="skin-tone-kept-with-emoji"),
    pytest.param("a👨\u200d👩\u200d👧", 6, "a…", id="zwj-sequence-not-left-dangling"),
    pytest.param("abc", 1, None, id="only-ellipsis-fits"),
])
def test_shorten(text: str, budget: int, expected: str | None) -> None:
    assert shorten(text, budget, utf16_length) == expected


def test_card_content_blank_values_left_out() -> None:
    content = CardContent.from_paper(make_paper(title_zh="  ", org=" ", tags=["", " "],
                                                summary="\n", highlights=["", "ok"]))

    assert content.title == "Unified Latents (UL): How to train your latents"
    assert content.subtitle is None
    assert content.org is None
    assert content.tags is None
    assert content.summary is None
    assert content.highlights == ("ok",)


@pytest.mark.parametrize(("url", "expected"), [
    pytest.param("https://arxiv.org/abs/2602.17270", True, id="https"),
    pytest.param("http://example.org", True, id="http"),
    pytest.param("HTTPS://EXAMPLE.ORG/", True, id="upper-case-scheme"),
    pytest.param("tg://user?id=1", False, id="tg"),
    pytest.param("ftp://example.org/", False, id="ftp"),
    pytest.param("https:///path", False, id="no-host"),
    pytest.param("https://example.org/a\nb", False, id="newline"),
])
def test_is_link_url(url: str, expected: bool) -> None:
    assert is_link_url(url) is expected


def test_card_links_skip_invalid_arxiv_id() -> None:
    links = card_links(make_paper(arxiv_id="2602 17270"), t=EN)

    assert links == []


def test_fit_card_order_summary_first() -> None:
    content = CardContent.from_paper(make_paper(summary="s" * 200, highlights=["h" * 200]))
    full = utf16_length(plain_text(card_lines(content, t=EN)))

    fitted = fit_card(content, t=EN, limit=full - 100, measure=utf16_length)

    assert fitted.summary == "s" * 99 + ELLIPSIS
    assert fitted.highlights == ("h" * 200,)


def test_fit_card_org_and_tags_before_titles() -> None:
    content = CardContent.from_paper(make_paper(org="o" * 3_000, tags=["t" * 3_000],
                                                summary=None, highlights=[]))

    fitted = fit_card(content, t=EN, limit=2_000, measure=utf16_length)

    assert fitted.tags is None
    assert fitted.org is not None
    assert fitted.org.endswith(ELLIPSIS)
    assert fitted.title == content.title
    assert fitted.subtitle == content.subtitle


def test_fit_card_limit_below_labels_raises() -> None:
    content = CardContent.from_paper(make_paper())

    with pytest.raises(ValueError, match="over the limit of 10"):
        fit_card(content, t=EN, limit=10, measure=utf16_length)
