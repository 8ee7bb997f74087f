"""Tests of mrkdwn escaping and links, read back the way a Slack client shows them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.platform.slack.mrkdwn import LABEL_BAR, escape, link, unescape
from tests.fakes.slack_blocks import MrkdwnError, displayed_text, link_targets
from tests.platform.cards import HAZARDS


@pytest.mark.parametrize(("raw", "escaped"), [
    pytest.param("p<0.0001", "p&lt;0.0001", id="less-than"),
    pytest.param("a > b", "a &gt; b", id="greater-than"),
    pytest.param("R&D", "R&amp;D", id="ampersand"),
    pytest.param("&amp;", "&amp;amp;", id="entity-written-out"),
    pytest.param("<@U123>", "&lt;@U123&gt;", id="mention-syntax"),
    pytest.param("统一潜变量 *bold* _x_", "统一潜变量 *bold* _x_", id="nothing-to-escape"),
])
def test_escape_replaces_control_characters(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


def test_escape_hazards_display_as_written() -> None:
    assert displayed_text(escape(HAZARDS)) == HAZARDS


def test_unescape_reverses_escape() -> None:
    assert unescape(escape(HAZARDS)) == HAZARDS


def test_link_label_with_markup_displays_as_written() -> None:
    text = link("https://arxiv.org/abs/2602.17270", "p<0.0001 & <b>")

    assert displayed_text(text) == "p<0.0001 & <b>"
    assert link_targets(text) == ["https://arxiv.org/abs/2602.17270"]


def test_link_label_bar_cannot_split_link() -> None:
    text = link("https://arxiv.org/abs/2604.01234", "From P(y|x) to P(y)")

    assert text.count("|") == 1
    assert displayed_text(text) == f"From P(y{LABEL_BAR}x) to P(y)"
    assert link_targets(text) == ["https://arxiv.org/abs/2604.01234"]


@pytest.mark.parametrize("url", [
    pytest.param("https://example.org/a|b", id="bar"),
    pytest.param("https://example.org/a>b", id="greater-than"),
    pytest.param("https://example.org/a<b", id="less-than"),
    pytest.param("https://example.org/?a=1&b=2", id="query-ampersand"),
])
def test_link_url_cannot_end_early(url: str) -> None:
    text = link(url, "label")

    assert displayed_text(text) == "label"
    assert len(link_targets(text)) == 1


def test_link_url_keeps_query_ampersand() -> None:
    assert link_targets(link("https://example.org/?a=1&b=2", "x")) == [
        "https://example.org/?a=1&b=2"]


def test_displayed_text_rejects_raw_less_than() -> None:
    with pytest.raises(MrkdwnError):
        displayed_text("p<0.0001")


def test_displayed_text_rejects_bare_ampersand() -> None:
    with pytest.raises(MrkdwnError):
        displayed_text("R&D")


@given(st.text())
def test_escape_round_trips_any_text(text: str) -> None:
    assert displayed_text(escape(text)) == text


@given(label=st.text(min_size=1), path=st.text())
def test_link_shows_label_for_any_text(label: str, path: str) -> None:
    text = link(f"https://example.org/{path}", label)

    assert displayed_text(text) == label.replace("|", LABEL_BAR)
    assert len(link_targets(text)) == 1
