"""Tests of the conversion between command replies and Slack messages."""

from __future__ import annotations

import pytest

from bot.commands import CardsReply, TextReply
from bot.i18n import get_translator
from bot.platform.slack.blocks import MAX_BLOCKS_PER_MESSAGE, MAX_TEXT_LENGTH, SlackMessage
from bot.platform.slack.replies import (
    Outgoing,
    card_message,
    command_line,
    join,
    pack,
    plain_messages,
    reply_messages,
    slack_command_text,
    text_messages,
)
from tests.fakes.slack_blocks import check_message, displayed_text
from tests.platform.cards import make_paper

EN = get_translator("en")


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("Send /help to see the commands.",
                 "Send /papers help to see the commands.", id="sentence"),
    pytest.param("/top 5 tag:x", "/papers top 5 tag:x", id="line-start"),
    pytest.param("Use /unsubscribe N", "Use /papers unsubscribe N", id="longest-name"),
    pytest.param("see https://example.org/top", "see https://example.org/top", id="url-path"),
    pytest.param("a/list", "a/list", id="inside-word"),
    pytest.param("/invite @paperbot", "/invite @paperbot", id="slack-command"),
    pytest.param("/topic", "/topic", id="longer-word"),
    pytest.param("（/lang en）", "（/papers lang en）", id="full-width-bracket"),
])
def test_slack_command_text(text: str, expected: str) -> None:
    assert slack_command_text(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    pytest.param("<@U0PAPERBOT> top 1", "top 1", id="mention"),
    pytest.param("<@U0PAPERBOT|paperbot> top 1", "top 1", id="mention-with-name"),
    pytest.param("score&gt;=35 &amp; more", "score>=35 & more", id="entities"),
    pytest.param("  list  ", "list", id="spaces"),
    pytest.param("<@U0OTHER> top", "<@U0OTHER> top", id="other-user-kept"),
])
def test_command_line(text: str, expected: str) -> None:
    assert command_line(text, bot_user_id="U0PAPERBOT") == expected


def test_command_line_without_bot_id_keeps_mentions() -> None:
    assert command_line("<@U0PAPERBOT> top", bot_user_id=None) == "<@U0PAPERBOT> top"


def test_text_messages_escape_and_split() -> None:
    text = "p<0.0001 & /top\n" + "x" * MAX_TEXT_LENGTH

    messages = text_messages(text)

    assert len(messages) == 2
    assert displayed_text(messages[0].message.text) == "p<0.0001 & /papers top"
    assert messages[0].plain == "p<0.0001 & /papers top"


def test_text_messages_skip_blank_text() -> None:
    assert text_messages("  \n ") == []


def test_reply_messages_keep_order() -> None:
    papers = (make_paper(rank=1), make_paper(rank=2, arxiv_id="2602.00002"))
    replies = [TextReply("before"), CardsReply(papers), TextReply("after")]

    outgoing = reply_messages(replies, t=EN)

    assert [item.paper for item in outgoing] == [None, *papers, None]
    assert outgoing[0].plain == "before"


def test_card_message_plain_copy_has_links() -> None:
    item = card_message(make_paper(), t=EN)

    assert "[arXiv] https://arxiv.org/abs/2602.17270" in item.plain
    assert item.message.blocks


def cards(count: int) -> list[Outgoing]:
    return [card_message(make_paper(rank=rank), t=EN) for rank in range(1, count + 1)]


def test_pack_cards_within_block_limit() -> None:
    outgoing = cards(20)

    groups = pack(outgoing)

    assert sum(len(group) for group in groups) == 20
    for group in groups:
        assert len(join(group).blocks) <= MAX_BLOCKS_PER_MESSAGE


def test_pack_fills_messages() -> None:
    per_card = len(cards(1)[0].message.blocks)

    groups = pack(cards(20))

    assert len(groups[0]) == (MAX_BLOCKS_PER_MESSAGE + 1) // (per_card + 1)


def test_pack_never_mixes_text_and_cards() -> None:
    outgoing = [*text_messages("hello"), *cards(2), *text_messages("bye")]

    groups = pack(outgoing)

    assert [len(group) for group in groups] == [1, 2, 1]


def test_pack_joins_texts_within_length() -> None:
    outgoing = text_messages("a" * 3000) + text_messages("b" * 999) + text_messages("c")

    groups = pack(outgoing)

    assert [len(group) for group in groups] == [2, 1]
    assert len(join(groups[0]).text) <= MAX_TEXT_LENGTH


def test_join_cards_accepted_by_slack_checks() -> None:
    message = join(cards(3))

    assert check_message(message.text, list(message.blocks)) is None
    assert [block["type"] for block in message.blocks].count("divider") == 2


def test_join_text_has_no_blocks() -> None:
    message = join(text_messages("one") + text_messages("two"))

    assert message == SlackMessage(text="one\ntwo")


def test_plain_messages_of_cards() -> None:
    [message] = plain_messages(cards(2))

    assert message.blocks == ()
    assert "[arXiv] https://arxiv.org/abs/2602.17270" in displayed_text(message.text)
