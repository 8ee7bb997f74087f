"""End to end on Telegram with a controlled clock: push times, quiet hours, restarts, topics."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.clock import as_utc
from bot.settings import Settings
from bot.store.outbox import PENDING
from tests.clock import SettableClock
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios.harness import arxiv_ids, command, running, telegram_settings

CHAT = 5001
FORUM = -1009876543210
ADMIN = 8
GOOGLE_PAPERS = ["2602.17270", "2602.16928"]
BERLIN = ZoneInfo("Europe/Berlin")
DAY = dt.date(2026, 2, 20)


def berlin(day: dt.date, clock: str) -> dt.datetime:
    """Local ``clock`` (HH:MM) of ``day`` in Berlin, in UTC as the service's clock returns it."""
    hour, minute = (int(part) for part in clock.split(":"))
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)
    return local.astimezone(dt.UTC)


Clock = SettableClock




def _publish(settings: Settings) -> None:
    shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)


@pytest.fixture
def settings(fake_telegram: FakeTelegram, tmp_path: Path) -> Settings:
    return telegram_settings(fake_telegram, tmp_path, timezone="Europe/Berlin")


@pytest.fixture
def clock() -> Clock:
    return Clock(berlin(DAY, "08:00"))


async def test_push_time_holds_cards_until_due(fake_telegram: FakeTelegram, settings: Settings,
                                               clock: Clock) -> None:
    async with running(settings, clock) as service:
        await command(fake_telegram, CHAT, "/subscribe Google")
        [reply] = await command(fake_telegram, CHAT, "/time 09:00")
        _publish(settings)
        await service.scan_and_send()
        at_eight = arxiv_ids(fake_telegram, CHAT)
        clock.now = berlin(DAY, "08:59")
        await service.sender.drain()
        at_eight_fifty_nine = arxiv_ids(fake_telegram, CHAT)
        clock.now = berlin(DAY, "09:00")
        await service.sender.drain()
    assert reply == ("Done: cards for this chat are now sent once a day at 09:00, "
                     "Europe/Berlin time.")
    assert at_eight == []
    assert at_eight_fifty_nine == []
    assert arxiv_ids(fake_telegram, CHAT) == GOOGLE_PAPERS


async def test_missed_push_time_sent_once_after_restart(
        fake_telegram: FakeTelegram, settings: Settings, clock: Clock) -> None:
    async with running(settings, clock) as service:
        await command(fake_telegram, CHAT, "/subscribe Google")
        await command(fake_telegram, CHAT, "/time 09:00")
        _publish(settings)
        await service.scan_and_send()
        chat = await service.store.chats.find_platform_chat("telegram", str(CHAT))
        assert chat is not None
        rows = await service.store.outbox.for_chat(chat.pk, DAY)
    assert [(row.state, as_utc(row.due_at)) for row in rows] == [
        (PENDING, berlin(DAY, "09:00"))] * 2
    assert arxiv_ids(fake_telegram, CHAT) == []

    # The bot was down at 09:00 and comes back at noon.
    clock.now = berlin(DAY, "12:00")
    async with running(settings, clock) as service:
        await service.scan_and_send()
        await service.sender.drain()
        await service.sender.drain()
    assert arxiv_ids(fake_telegram, CHAT) == GOOGLE_PAPERS


async def test_quiet_hours_hold_late_digest_until_morning(
        fake_telegram: FakeTelegram, settings: Settings, clock: Clock) -> None:
    async with running(settings, clock) as service:
        await command(fake_telegram, CHAT, "/subscribe Google")
        [reply] = await command(fake_telegram, CHAT, "/quiet 23:00-07:00")
        clock.now = berlin(DAY, "23:30")
        _publish(settings)
        await service.scan_and_send()
        clock.now = berlin(DAY + dt.timedelta(days=1), "06:59")
        await service.sender.drain()
        before_seven = arxiv_ids(fake_telegram, CHAT)
        clock.now = berlin(DAY + dt.timedelta(days=1), "07:00")
        await service.sender.drain()
    assert reply.startswith("Done: cards that fall due between 23:00 and 07:00")
    assert before_seven == []
    assert arxiv_ids(fake_telegram, CHAT) == GOOGLE_PAPERS


async def test_time_now_releases_waiting_cards(fake_telegram: FakeTelegram, settings: Settings,
                                               clock: Clock) -> None:
    async with running(settings, clock) as service:
        await command(fake_telegram, CHAT, "/subscribe Google")
        await command(fake_telegram, CHAT, "/time 21:00")
        _publish(settings)
        await service.scan_and_send()
        [reply] = await command(fake_telegram, CHAT, "/time now")
        await service.sender.drain()
    assert "2 waiting cards are due now and will be sent shortly." in reply
    assert arxiv_ids(fake_telegram, CHAT) == GOOGLE_PAPERS


async def test_status_reports_waiting_then_sent(fake_telegram: FakeTelegram,
                                                settings: Settings, clock: Clock) -> None:
    async with running(settings, clock) as service:
        await command(fake_telegram, CHAT, "/subscribe Google")
        await command(fake_telegram, CHAT, "/time 09:00")
        _publish(settings)
        await service.scan_and_send()
        [waiting] = await command(fake_telegram, CHAT, "/status")
        clock.now = berlin(DAY, "09:00")
        await service.sender.drain()
        [sent] = await command(fake_telegram, CHAT, "/status")
    assert "Waiting: 2 cards, the first due at 2026-02-20 09:00." in waiting
    assert "Reason: waiting for the push time 09:00." in waiting
    assert "Sent: 2 cards, the last at 2026-02-20 09:00 (Europe/Berlin)." in sent
    assert "Waiting" not in sent


async def test_forum_topic_subscription_delivers_in_topic(
        fake_telegram: FakeTelegram, settings: Settings, clock: Clock) -> None:
    fake_telegram.set_admin(FORUM, ADMIN)
    async with running(settings, clock) as service:
        [reply] = await command(fake_telegram, FORUM, "/subscribe Google", user_id=ADMIN,
                                message_thread_id=7)
        _publish(settings)
        await service.scan_and_send()
    cards = [message for message in fake_telegram.messages_to(FORUM)
             if message.reply_markup is not None]
    assert reply.startswith("Subscribed: papers from Google")
    assert fake_telegram.messages_to(FORUM)[0].message_thread_id == 7
    assert arxiv_ids(fake_telegram, FORUM) == GOOGLE_PAPERS
    assert [card.message_thread_id for card in cards] == [7, 7]


async def test_thread_mode_refused_on_telegram(fake_telegram: FakeTelegram, settings: Settings,
                                               clock: Clock) -> None:
    async with running(settings, clock):
        await command(fake_telegram, CHAT, "/subscribe Google")
        [reply] = await command(fake_telegram, CHAT, "/mode thread")
    assert reply == ("Thread mode is only available on Slack. This chat keeps its current mode: "
                     "cards (one message per paper).")


async def test_menu_lists_schedule_commands(fake_telegram: FakeTelegram, settings: Settings,
                                            clock: Clock) -> None:
    async with running(settings, clock):
        pass
    names = [entry["command"] for entry in fake_telegram.commands()]
    for name in ("time", "tz", "quiet", "mode", "status"):
        assert name in names
