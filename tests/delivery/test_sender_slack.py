"""The sender with the real Slack messenger: digest messages and thread mode on a fake Slack."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import utcnow
from bot.delivery.ratelimit import Limits, RateLimiter
from bot.delivery.sender import Sender
from bot.parser.models import Paper
from bot.platform.slack.blocks import MAX_TEXT_LENGTH
from bot.platform.slack.messenger import SlackMessenger
from bot.store import ChatRef, DueCard, Store
from bot.store.outbox import SENT
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_blocks import displayed_text
from tests.store.factories import make_digest, make_paper

DAY = dt.date(2026, 2, 20)
CHANNEL = "C0GENERAL"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()


def _messenger(fake: FakeSlack) -> SlackMessenger:
    messenger = SlackMessenger(AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url))
    messenger.limiter = RateLimiter(Limits(per_second=math.inf, per_chat_per_second=1000))
    return messenger


async def _queue(store: Store, papers: list[Paper], *, mode: str) -> int:
    now = utcnow()
    await store.digests.save(make_digest(DAY, papers), source="test", now=now)
    chat = await store.chats.ensure(ChatRef("slack", CHANNEL), kind="channel", now=now)
    await store.outbox.enqueue([DueCard(digest_date=DAY, paper_key=paper.key, chat_pk=chat.pk,
                                        due_at=now, mode=mode) for paper in papers], now=now)
    return chat.pk


async def test_thread_mode_posts_cards_under_summary(slack: FakeSlack, store: Store) -> None:
    papers = [make_paper(rank) for rank in range(1, 4)]
    chat_pk = await _queue(store, papers, mode="thread")
    sender = Sender(store=store, messengers={"slack": _messenger(slack)}, clock=utcnow,
                    default_language="en")
    await sender.drain()
    summary, *cards = slack.posts
    rows = await store.outbox.for_chat(chat_pk, DAY)
    assert summary.thread_ts is None
    assert displayed_text(summary.text).startswith(
        "*📚 Papers of the 2026-02-20 digest that match this chat's subscriptions*")
    assert "3 papers match; their cards follow in the thread." in displayed_text(summary.text)
    assert [card.thread_ts for card in cards] == [summary.ts] * 3
    assert [card.blocks is not None for card in cards] == [True] * 3
    assert {row.thread_id for row in rows} == {summary.ts}
    assert {row.state for row in rows} == {SENT}


async def test_digest_mode_posts_linked_entries(slack: FakeSlack, store: Store) -> None:
    papers = [make_paper(1, title_en="Attention & <Masks>", featured=True), make_paper(2)]
    await _queue(store, papers, mode="digest")
    sender = Sender(store=store, messengers={"slack": _messenger(slack)}, clock=utcnow,
                    default_language="en")
    await sender.drain()
    [post] = slack.posts
    assert "<https://arxiv.org/abs/2602.10001|Attention &amp; &lt;Masks&gt;>" in post.text
    assert "*1. 🏆* " in post.text
    assert "Google · Score: 30.0" in displayed_text(post.text)
    assert slack.rejected == []


async def test_slack_digest_split_within_text_limit(slack: FakeSlack, store: Store) -> None:
    papers = [make_paper(rank, title_en="A long title about reasoning agents " * 8)
              for rank in range(1, 41)]
    await _queue(store, papers, mode="digest")
    sender = Sender(store=store, messengers={"slack": _messenger(slack)}, clock=utcnow,
                    default_language="en")
    await sender.drain()
    links = [paper.abs_url for paper in papers]
    assert len(slack.posts) > 1
    assert [len(post.text) <= MAX_TEXT_LENGTH for post in slack.posts] == [True] * len(
        slack.posts)
    assert ["(1/" in post.text.splitlines()[0] for post in slack.posts[:1]] == [True]
    assert [sum(f"<{link}|" in post.text for post in slack.posts) for link in links] == [1] * 40
