"""The rate limiter: overall, per-chat and per-group limits, counted the way platforms count."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.delivery.ratelimit import (
    UNLIMITED,
    Limits,
    RateLimiter,
    SlidingWindow,
    TokenBucket,
    never_group,
    telegram_is_group,
)
from bot.platform.telegram.messenger import TELEGRAM_PER_CHAT_BURST
from bot.service import Service
from bot.settings import load_settings
from tests.fakes.telegram_api import ManualClock


class VirtualSleep:
    """An ``asyncio.sleep`` stand-in that moves a ``ManualClock`` instead of waiting."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        self.clock.advance(seconds)


def _limiter(clock: ManualClock, limits: Limits,
             is_group: Callable[[str], bool] = never_group) -> RateLimiter:
    return RateLimiter(limits, is_group=is_group, monotonic=clock, sleep=VirtualSleep(clock))


def test_token_bucket_starts_full() -> None:
    bucket = TokenBucket(rate=1.0, capacity=3.0)
    waits = [bucket.delay(0.0) for _ in range(4)]
    assert waits == [0.0, 0.0, 0.0, 1.0]


def test_token_bucket_hold_earns_nothing_in_flight() -> None:
    bucket = TokenBucket(rate=1.0, capacity=1.0)
    bucket.take(0.0)
    bucket.hold(0.5)
    assert bucket.ready_at(0.5) == 1.5


def test_sliding_window_allows_count_per_period() -> None:
    window = SlidingWindow(count=2, period=60.0)
    window.take(0.0)
    window.take(10.0)
    assert window.ready_at(11.0) == 60.0
    assert window.ready_at(60.0) == 60.0


def test_second_message_to_chat_waits_a_second() -> None:
    clock = ManualClock(0.0)
    limiter = _limiter(clock, Limits(per_second=30, per_chat_per_second=1))
    limiter.reserve("5")
    assert limiter.ready_at("5") == 1.0
    assert limiter.ready_at("6") == 0.0


def test_response_time_does_not_count_toward_chat_interval() -> None:
    clock = ManualClock(0.0)
    limiter = _limiter(clock, Limits(per_second=30, per_chat_per_second=1))
    limiter.reserve("5")
    clock.advance(0.4)
    limiter.settle("5")
    assert limiter.chat_ready_at("5") == pytest.approx(1.4)


def test_overall_limit_spaces_messages_to_different_chats() -> None:
    clock = ManualClock(0.0)
    limiter = _limiter(clock, Limits(per_second=5, per_chat_per_second=1, burst=1))
    limiter.reserve("1")
    limiter.reserve("2")
    assert limiter.ready_at("3") == pytest.approx(0.4)
    assert limiter.chat_ready_at("3") == 0.0


def test_group_gets_twenty_a_minute() -> None:
    clock = ManualClock(0.0)
    limits = Limits(per_second=1000, per_chat_per_second=1000, per_group_per_minute=20)
    limiter = _limiter(clock, limits, telegram_is_group)
    for _ in range(20):
        clock.advance(0.01)
        limiter.reserve("-100123")
        limiter.reserve("123")
    assert limiter.chat_ready_at("-100123") == pytest.approx(60.01)
    assert limiter.chat_ready_at("123") < 1.0


async def test_acquire_uses_reservation_without_waiting() -> None:
    clock = ManualClock(0.0)
    sleep = VirtualSleep(clock)
    limiter = RateLimiter(Limits(per_second=30, per_chat_per_second=1), monotonic=clock,
                          sleep=sleep)
    limiter.reserve("5")
    await limiter.acquire("5")
    assert sleep.calls == []


async def test_acquire_waits_for_chat_limit() -> None:
    clock = ManualClock(0.0)
    sleep = VirtualSleep(clock)
    limiter = RateLimiter(Limits(per_second=30, per_chat_per_second=1), monotonic=clock,
                          sleep=sleep)
    await limiter.acquire("5")
    await limiter.acquire("5")
    assert sleep.calls == [pytest.approx(1.0)]
    assert clock.now == pytest.approx(1.0)


async def test_pause_holds_chat_for_retry_after() -> None:
    clock = ManualClock(0.0)
    sleep = VirtualSleep(clock)
    limiter = RateLimiter(Limits(per_second=30, per_chat_per_second=1), monotonic=clock,
                          sleep=sleep)
    limiter.pause("5", 7.0)
    await limiter.acquire("5")
    assert clock.now == pytest.approx(7.0)
    assert limiter.ready_at("6") == pytest.approx(7.0)


async def test_unlimited_never_waits() -> None:
    clock = ManualClock(0.0)
    sleep = VirtualSleep(clock)
    limiter = RateLimiter(UNLIMITED, monotonic=clock, sleep=sleep)
    for _ in range(100):
        await limiter.acquire("local")
    assert sleep.calls == []
    assert limiter.unlimited is True


def test_no_overall_limit_still_paces_each_channel() -> None:
    clock = ManualClock(0.0)
    limiter = _limiter(clock, Limits(per_second=math.inf, per_chat_per_second=1))
    limiter.reserve("C1")
    clock.advance(0.25)
    limiter.settle("C1")
    assert limiter.ready_at("C1") == pytest.approx(1.25)
    assert limiter.ready_at("C2") == pytest.approx(0.25)


def test_cancel_drops_unused_reservation() -> None:
    clock = ManualClock(0.0)
    limiter = _limiter(clock, Limits(per_second=30, per_chat_per_second=1))
    limiter.reserve("5")
    limiter.cancel("5")
    assert limiter.ready_at("5") == 1.0


@pytest.mark.parametrize(("limits", "expected"), [
    (Limits(per_second=30, per_chat_per_second=1), 30),
    (Limits(per_second=100, per_chat_per_second=1), 100),
    (Limits(per_second=math.inf, per_chat_per_second=1), 1),
], ids=["telegram", "benchmark", "slack"])
def test_chats_to_saturate(limits: Limits, expected: int) -> None:
    assert limits.chats_to_saturate == expected


@pytest.mark.parametrize(("chat_id", "expected"), [
    ("5001", False),
    ("-4001", True),
    ("-1001234567890", True),
], ids=["private", "group", "supergroup"])
def test_telegram_is_group(chat_id: str, expected: bool) -> None:
    assert telegram_is_group(chat_id) is expected


def test_service_limits_come_from_settings(tmp_path: Path) -> None:
    settings = load_settings(
        telegram_bot_token="123:abc", database_url=f"sqlite:///{tmp_path / 'bot.db'}",
        telegram_max_messages_per_second=25, telegram_max_per_chat_per_second=0.5,
        telegram_max_per_group_per_minute=12, web_enabled=False)
    service = Service(settings)
    assert service.telegram is not None
    limiter = service.telegram.messenger.limiter
    assert limiter.limits == Limits(per_second=25, per_chat_per_second=0.5,
                                    per_chat_burst=TELEGRAM_PER_CHAT_BURST,
                                    per_group_per_minute=12)
    assert service.sender.messengers["telegram"] is service.telegram.messenger
