"""Faults end to end on Telegram: flood control, outages, lost chats, moves, topics, splits."""

from __future__ import annotations

import collections
import datetime as dt
import logging
import shutil
from pathlib import Path

import pytest
from telegram.constants import MessageLimit

from bot.clock import utcnow
from bot.delivery.ratelimit import Limits, RateLimiter
from bot.delivery.sender import Sender
from bot.platform.telegram.messenger import TelegramMessenger
from bot.settings import Settings
from bot.store import ChatRef, DueCard, Store
from bot.store.outbox import FAILED, PENDING, SENT
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.telegram_api import FakeTelegram, SentMessage
from tests.fakes.telegram_html import utf16_units
from tests.scenarios.harness import command, running, telegram_settings
from tests.store.factories import make_digest, make_paper

SAMPLE_DATE = dt.date(2026, 2, 20)
SAMPLE_PAPERS = ["2602.13515", "2602.16855", "2602.17270", "2602.16968", "2602.16915",
                 "2602.16928"]
GOOGLE_PAPERS = ["2602.17270", "2602.16928"]


def _arxiv_id(message: SentMessage) -> str | None:
    if message.reply_markup is None:
        return None
    url: str = message.reply_markup["inline_keyboard"][0][0]["url"]
    return url.rsplit("/", 1)[-1]


def _cards_to(fake: FakeTelegram, chat_id: int) -> list[str]:
    return [key for message in fake.messages_to(chat_id)
            if (key := _arxiv_id(message)) is not None]


def _add_sample(settings: Settings) -> None:
    shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)


@pytest.fixture
def settings(fake_telegram: FakeTelegram, tmp_path: Path) -> Settings:
    return telegram_settings(fake_telegram, tmp_path)


async def test_random_429_and_502_deliver_each_card_once(
        fake_telegram: FakeTelegram, settings: Settings) -> None:
    chats = list(range(6001, 6021))
    async with running(settings) as service:
        service.sender.retry_base_seconds = 0.05
        for chat_id in chats:
            await command(fake_telegram, chat_id, "/subscribe all")
        fake_telegram.fail_at_random(0.2, seed=20260220)
        _add_sample(settings)
        await service.scan_and_send()
        states = await service.store.outbox.count_by_state()
    cards = collections.Counter((message.chat_id, _arxiv_id(message))
                                for message in fake_telegram.sent if _arxiv_id(message))
    failures = collections.Counter(rejection.error_code for rejection in fake_telegram.rejected)
    assert set(cards) == {(chat_id, key) for chat_id in chats for key in SAMPLE_PAPERS}
    assert set(cards.values()) == {1}
    assert states == {SENT: len(chats) * len(SAMPLE_PAPERS)}
    assert failures[429] > 0
    assert failures[502] > 0


async def test_outage_retried_until_it_ends(fake_telegram: FakeTelegram,
                                            settings: Settings) -> None:
    async with running(settings) as service:
        service.sender.retry_base_seconds = 0.05
        await command(fake_telegram, 5001, "/subscribe Google")
        fake_telegram.fail_next(2, status=502)
        _add_sample(settings)
        await service.scan_and_send()
    assert _cards_to(fake_telegram, 5001) == GOOGLE_PAPERS
    assert [rejection.error_code for rejection in fake_telegram.rejected] == [502, 502]


@pytest.mark.parametrize(("chat_id", "steer", "reason"), [
    (5001, FakeTelegram.block, "Forbidden: bot was blocked by the user"),
    (-4001, FakeTelegram.kick, "Forbidden: bot was kicked from the group chat"),
], ids=["blocked", "kicked"])
async def test_lost_chat_paused_once_others_served(
        fake_telegram: FakeTelegram, settings: Settings, caplog: pytest.LogCaptureFixture,
        chat_id: int, steer: object, reason: str) -> None:
    caplog.set_level(logging.INFO)
    fake_telegram.set_admin(chat_id, 9)
    async with running(settings) as service:
        await command(fake_telegram, chat_id, "/subscribe all", user_id=9)
        await command(fake_telegram, 5002, "/subscribe all")
        steer(fake_telegram, chat_id)  # type: ignore[operator]
        _add_sample(settings)
        await service.scan_and_send()
        chat = await service.store.chats.find(ChatRef("telegram", str(chat_id)))
        assert chat is not None
        rows = await service.store.outbox.for_chat(chat.pk, SAMPLE_DATE)
    paused = [record for record in caplog.records
              if record.getMessage().startswith(f"chat paused chat=telegram:{chat_id} ")]
    assert _cards_to(fake_telegram, 5002) == SAMPLE_PAPERS
    assert _cards_to(fake_telegram, chat_id) == []
    assert chat.active is False
    assert chat.inactive_reason == reason
    assert {row.state for row in rows} == {PENDING}
    assert len(paused) == 1
    assert len(fake_telegram.rejected) == 1


async def test_migrated_group_moves_with_subscriptions(fake_telegram: FakeTelegram,
                                                       settings: Settings) -> None:
    old, new = -4001, -1004001
    fake_telegram.set_admin(old, 9)
    async with running(settings) as service:
        await command(fake_telegram, old, "/subscribe Google", user_id=9)
        fake_telegram.migrate(old, new)
        _add_sample(settings)
        await service.scan_and_send()
        moved = await service.store.chats.find(ChatRef("telegram", str(new)))
        old_chat = await service.store.chats.find(ChatRef("telegram", str(old)))
        assert moved is not None
        subscriptions = await service.store.chats.subscriptions(moved.pk)
    assert _cards_to(fake_telegram, new) == GOOGLE_PAPERS
    assert old_chat is None
    assert [subscription.rule for subscription in subscriptions] == ["Google"]


async def test_topic_subscription_delivers_into_topic(fake_telegram: FakeTelegram,
                                                      settings: Settings) -> None:
    forum, topic = -1009000000001, 77
    fake_telegram.set_admin(forum, 9)
    async with running(settings) as service:
        await command(fake_telegram, forum, "/subscribe Google", user_id=9,
                      message_thread_id=topic)
        _add_sample(settings)
        await service.scan_and_send()
    cards = [message for message in fake_telegram.messages_to(forum) if _arxiv_id(message)]
    assert [_arxiv_id(message) for message in cards] == GOOGLE_PAPERS
    assert {message.message_thread_id for message in cards} == {topic}


def _long_digest(path: Path, count: int) -> None:
    """Write a digest of ``count`` papers whose titles are long enough to need several messages."""
    sections = [f"# 每日论文汇总 - {SAMPLE_DATE.isoformat()}\n\n**论文数量**: {count}\n\n---\n"]
    for rank in range(1, count + 1):
        title_zh = f"长标题论文 {rank}：" + "关于长程推理与<智能体>的研究 & 评测" * 6
        title = f"Paper {rank} on long-horizon reasoning"
        sections.append(
            f"\n### {rank}. {title_zh} ({title})\n\n"
            f"**论文链接**: [https://arxiv.org/abs/2602.{20000 + rank}]"
            f"(https://arxiv.org/abs/2602.{20000 + rank})\n"
            f"**组织**: Google DeepMind\n**得分**: {50 - rank / 10}\n"
            f"**Upvotes**: 1 | **Stars**: 0\n\n**摘要**: 摘要。\n\n---\n")
    path.write_text("".join(sections), encoding="utf-8")


async def test_digest_mode_split_at_message_limit(fake_telegram: FakeTelegram,
                                                  settings: Settings) -> None:
    count = 40
    async with running(settings) as service:
        await command(fake_telegram, 5001, "/subscribe all")
        await command(fake_telegram, 5001, "/mode digest")
        before = len(fake_telegram.messages_to(5001))
        _long_digest(settings.digest_dir / f"{SAMPLE_DATE.isoformat()}.md", count)
        await service.scan_and_send()
        states = await service.store.outbox.count_by_state()
    messages = fake_telegram.messages_to(5001)[before:]
    listed = [line for message in messages for line in message.display_text.splitlines()
              if line.startswith(tuple(f"{rank}. " for rank in range(1, count + 1)))]
    assert len(messages) > 1
    assert all(utf16_units(message.display_text) <= MessageLimit.MAX_TEXT_LENGTH
               for message in messages)
    assert messages[0].display_text.startswith("📚 Papers of the 2026-02-20 digest")
    assert messages[0].display_text.splitlines()[0].endswith(f"(1/{len(messages)})")
    assert [line.split(".", 1)[0] for line in listed] == [str(rank) for rank in range(1, 41)]
    assert sum(entity["type"] == "text_link" for message in messages
               for entity in message.entities) == count
    assert states == {SENT: count}
    assert fake_telegram.rejected == []


async def test_too_long_digest_split_at_paper_boundaries(fake_telegram: FakeTelegram,
                                                         settings: Settings) -> None:
    async with running(settings) as service:
        await command(fake_telegram, 5001, "/subscribe all")
        await command(fake_telegram, 5001, "/mode digest")
        before = len(fake_telegram.messages_to(5001))
        fake_telegram.limit_text_length(300)
        _add_sample(settings)
        await service.scan_and_send()
        states = await service.store.outbox.count_by_state()
    messages = fake_telegram.messages_to(5001)[before:]
    text = "\n\n".join(message.display_text for message in messages)
    assert len(messages) > 1
    assert all(utf16_units(message.display_text) <= 300 for message in messages)
    assert [text.count(f"\n{rank}. ") for rank in range(1, 7)] == [1] * 6
    assert {rejection.description for rejection in fake_telegram.rejected} == {
        "Bad Request: message is too long"}
    assert states == {SENT: 6}


async def test_too_long_card_split_at_line_boundaries(fake_telegram: FakeTelegram,
                                                      settings: Settings) -> None:
    async with running(settings) as service:
        await command(fake_telegram, 5001, "/subscribe Google")
        before = len(fake_telegram.messages_to(5001))
        fake_telegram.limit_text_length(200)
        _add_sample(settings)
        await service.scan_and_send()
        states = await service.store.outbox.count_by_state()
    messages = fake_telegram.messages_to(5001)[before:]
    with_buttons = [message for message in messages if message.reply_markup is not None]
    assert len(messages) > 2
    assert all(utf16_units(message.display_text) <= 200 for message in messages)
    assert [_arxiv_id(message) for message in with_buttons] == GOOGLE_PAPERS
    assert "Unified Latents (UL): How to train your latents" in "\n".join(
        message.display_text for message in messages)
    assert states == {SENT: 2}


async def test_timeout_after_arrival_not_sent_twice(fake_telegram: FakeTelegram,
                                                    store: Store) -> None:
    now = utcnow()
    paper = make_paper(1)
    await store.digests.save(make_digest(SAMPLE_DATE, [paper]), source="test", now=now)
    chat = await store.chats.ensure(ChatRef("telegram", "5001"), kind="private", now=now)
    await store.outbox.enqueue([DueCard(digest_date=SAMPLE_DATE, paper_key=paper.key,
                                        chat_pk=chat.pk, due_at=now)], now=now)
    fake_telegram.stall_responses(seconds=3)
    async with fake_telegram.make_bot() as bot:
        limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=100))
        messenger = TelegramMessenger(bot, limiter=limiter, read_timeout=0.3)
        sender = Sender(store=store, messengers={"telegram": messenger}, clock=utcnow,
                        default_language="en")
        await sender.drain()
        await sender.drain()
    [row] = await store.outbox.for_chat(chat.pk, SAMPLE_DATE)
    assert len(fake_telegram.sent) == 1
    assert row.state == FAILED
    assert "ReadTimeout after the request was sent; it may have arrived" in (row.last_error
                                                                             or "")
