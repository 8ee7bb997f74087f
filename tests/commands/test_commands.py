"""The platform-neutral commands, driven through the router on a real database."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.commands import CardsReply, CommandContext, CommandRouter, Services, TextReply
from bot.matcher.orgs import OrgMatcher
from bot.store import ChatRef, Store
from tests.store.factories import make_digest, make_paper

NOW = dt.datetime(2026, 2, 20, 8, 0, tzinfo=dt.UTC)
PAPERS = [
    make_paper(1, org="Tsinghua University", score=38.45, tags=["Frontier Lab"]),
    make_paper(2, org="Google DeepMind", score=37.28, tags=["Frontier Lab"]),
    make_paper(3, org="Google", score=36.84, tags=["Super Lab", "Must Read"]),
    make_paper(4, org="Metaculus", score=33.38),
    make_paper(5, org="Meta", score=41.0, tags=["Viral"]),
]


@pytest.fixture
async def router(store: Store) -> CommandRouter:
    await store.digests.save(make_digest(dt.date(2026, 2, 20), PAPERS), source="s", now=NOW)
    return CommandRouter(Services(store=store, orgs=OrgMatcher(), clock=lambda: NOW,
                                  default_language="en"))


async def _run(router: CommandRouter, line: str, *, kind: str = "private",
               admin: bool = True, chat_id: str = "42") -> list[TextReply | CardsReply]:
    async def is_admin() -> bool:
        return admin

    context: CommandContext = await router.context(ChatRef("telegram", chat_id), kind=kind,
                                                   is_admin=is_admin)
    name, _, args = line.removeprefix("/").partition(" ")
    return await router.handle(context, name, args.strip())


def _text(replies: list[TextReply | CardsReply]) -> str:
    assert len(replies) == 1
    reply = replies[0]
    assert isinstance(reply, TextReply)
    return reply.text


async def test_subscribe_restates_rule_and_previews_matches(router: CommandRouter) -> None:
    text = _text(await _run(router, "/subscribe Google"))
    assert text.startswith("Subscribed: ")
    assert "Google" in text
    assert "would have matched 2 papers" in text
    assert "Paper 2" in text
    assert "Paper 3" in text
    assert "Paper 1" not in text


async def test_subscribe_stores_canonical_rule(router: CommandRouter, store: Store) -> None:
    await _run(router, '/subscribe tag:"Frontier Lab" score>=35')
    chat = await store.chats.find(ChatRef("telegram", "42"))
    assert chat is not None
    [subscription] = await store.chats.subscriptions(chat.pk)
    assert subscription.rule == 'tag:"Frontier Lab" score>=35'


async def test_subscribe_invalid_filter_quotes_term_and_stores_nothing(
        router: CommandRouter, store: Store) -> None:
    text = _text(await _run(router, "/subscribe score>=abc"))
    assert 'Invalid filter term "score>=abc"' in text
    assert "Example: /subscribe" in text
    chat = await store.chats.find(ChatRef("telegram", "42"))
    assert chat is not None
    assert await store.chats.subscriptions(chat.pk) == []


async def test_subscribe_same_rule_twice_is_not_stored_twice(router: CommandRouter,
                                                               store: Store) -> None:
    await _run(router, "/subscribe Google")
    text = _text(await _run(router, "/subscribe   google"))
    chat = await store.chats.find(ChatRef("telegram", "42"))
    assert chat is not None
    assert "already have this subscription as number 1" in text
    assert len(await store.chats.subscriptions(chat.pk)) == 1


async def test_non_admin_in_group_is_refused(router: CommandRouter, store: Store) -> None:
    text = _text(await _run(router, "/subscribe all", kind="supergroup", admin=False))
    chat = await store.chats.find(ChatRef("telegram", "42"))
    assert chat is not None
    assert "only administrators" in text
    assert await store.chats.subscriptions(chat.pk) == []


async def test_non_admin_in_group_may_still_use_top(router: CommandRouter) -> None:
    replies = await _run(router, "/top 1", kind="group", admin=False)
    assert isinstance(replies[0], CardsReply)


async def test_list_and_unsubscribe_by_number(router: CommandRouter) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/subscribe tag:Viral")
    listing = _text(await _run(router, "/list"))
    assert listing.splitlines()[1:] == ["1. Google", "2. tag:Viral"]
    removed = _text(await _run(router, "/unsubscribe 1"))
    assert "Removed subscription 1: Google" in removed
    assert _text(await _run(router, "/list")).splitlines()[1:] == ["1. tag:Viral"]


@pytest.mark.parametrize(("argument", "expected"), [
    ("7", "There is no subscription 7: this chat has subscriptions 1 to 1"),
    ("x", '"x" is not a subscription number.'),
    ("", "Use /unsubscribe N with a number from /list, or /unsubscribe all."),
], ids=["out-of-range", "not-a-number", "missing"])
async def test_unsubscribe_bad_argument(router: CommandRouter, argument: str,
                                        expected: str) -> None:
    await _run(router, "/subscribe Google")
    assert expected in _text(await _run(router, f"/unsubscribe {argument}"))


async def test_unsubscribe_all(router: CommandRouter) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/subscribe all")
    assert _text(await _run(router, "/unsubscribe all")) == "Removed 2 subscriptions."


async def test_top_returns_cards_in_score_order(router: CommandRouter) -> None:
    [reply] = await _run(router, "/top 3")
    assert isinstance(reply, CardsReply)
    assert [paper.rank for paper in reply.papers] == [5, 1, 2]


async def test_top_defaults_to_three(router: CommandRouter) -> None:
    [reply] = await _run(router, "/top")
    assert isinstance(reply, CardsReply)
    assert len(reply.papers) == 3


async def test_top_with_filter_says_fewer_matched(router: CommandRouter) -> None:
    note, cards = await _run(router, "/top 5 org:Google")
    assert isinstance(note, TextReply)
    assert note.text == "Only 2 papers of the 2026-02-20 digest match: papers from Google."
    assert isinstance(cards, CardsReply)
    assert [paper.rank for paper in cards.papers] == [2, 3]


async def test_top_filter_matching_nothing_names_rule(router: CommandRouter) -> None:
    text = _text(await _run(router, "/top abc"))
    assert text == "No paper of the 2026-02-20 digest matches: papers from abc."


async def test_top_filter_without_count(router: CommandRouter) -> None:
    [reply] = await _run(router, "/top -tag:Viral")
    assert isinstance(reply, CardsReply)
    assert [paper.rank for paper in reply.papers] == [1, 2, 3]


@pytest.mark.parametrize("count", ["21", "0", "-2"])
async def test_top_count_out_of_range(router: CommandRouter, count: str) -> None:
    text = _text(await _run(router, f"/top {count}"))
    assert f"/top takes a number from 1 to 20, not {count}" in text


async def test_today_lists_every_paper_with_score(router: CommandRouter) -> None:
    lines = _text(await _run(router, "/today")).splitlines()
    assert lines[0] == "Digest of 2026-02-20: 5 papers"
    assert lines[1] == "1. Paper 1 (38.45)"
    assert len(lines) == 7


async def test_lang_switches_replies_to_chinese(router: CommandRouter) -> None:
    switched = _text(await _run(router, "/lang zh"))
    listing = _text(await _run(router, "/list"))
    assert switched == "本聊天的回复已切换为中文。"
    assert "本聊天还没有订阅" in listing


async def test_lang_without_value_shows_current(router: CommandRouter) -> None:
    text = _text(await _run(router, "/lang"))
    assert text.startswith("Replies in this chat are in English.")
    assert "/lang zh" in text


async def test_titles_follow_chat_language(router: CommandRouter, store: Store) -> None:
    paper = make_paper(9, title_zh="中文标题", title_en="English Title")
    await store.digests.save(make_digest(dt.date(2026, 2, 21), [paper]), source="t", now=NOW)
    english = _text(await _run(router, "/today"))
    await _run(router, "/lang zh")
    chinese = _text(await _run(router, "/today"))
    assert "1. English Title (30)" not in english
    assert "9. English Title (30)" in english
    assert "9. 中文标题 (30)" in chinese


async def test_subscribe_preview_when_nothing_matches(router: CommandRouter) -> None:
    text = _text(await _run(router, "/subscribe org:Nobody"))
    assert text.endswith("In the latest digest (2026-02-20) it would have matched no paper.")


async def test_lang_unknown_value(router: CommandRouter) -> None:
    text = _text(await _run(router, "/lang fr"))
    assert text == 'Unknown language "fr". Use /lang zh for Chinese or /lang en for English.'


async def test_unknown_command_points_to_help(router: CommandRouter) -> None:
    assert "Send /help" in _text(await _run(router, "/frobnicate"))


async def test_help_mentions_every_command(router: CommandRouter) -> None:
    text = _text(await _run(router, "/help"))
    for command in ("/subscribe", "/list", "/unsubscribe", "/top", "/today", "/lang"):
        assert command in text
