"""The fair scheduler: chats served in the order their limits allow, none starved."""

from __future__ import annotations

import pytest

from bot.delivery.pacing import FairScheduler
from bot.delivery.ratelimit import Limits, RateLimiter
from tests.fakes.telegram_api import ManualClock


def _serve(scheduler: FairScheduler[str, str], limiter: RateLimiter, clock: ManualClock,
           *, response_seconds: float = 0.0) -> list[tuple[float, str, str]]:
    """Take every job the way the sender does, with instant work; return (time, chat, job)."""
    served: list[tuple[float, str, str]] = []
    while len(scheduler):
        found = scheduler.next(clock.now)
        assert found is not None
        _, chat = found
        ready = limiter.ready_at(chat, clock.now)
        if ready > clock.now:
            clock.now = ready
            continue
        job = scheduler.take(chat)
        limiter.reserve(chat)
        served.append((clock.now, chat, job))
        clock.advance(response_seconds)
        limiter.settle(chat)
        scheduler.done(chat)
    return served


def _scheduler(limiter: RateLimiter, clock: ManualClock) -> FairScheduler[str, str]:
    return FairScheduler(lambda chat, now: limiter.chat_ready_at(chat, now), monotonic=clock)


def test_big_queue_does_not_starve_other_chats() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=1), monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    for number in range(10):
        scheduler.add("big", f"big-{number}")
    scheduler.add("small-1", "small-1")
    scheduler.add("small-2", "small-2")
    served = _serve(scheduler, limiter, clock)
    order = [job for _, _, job in served]
    assert order[:3] == ["big-0", "small-1", "small-2"]
    assert served[1][0] == 0.0
    assert served[2][0] == 0.0


def test_chat_keeps_its_job_order() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=1), monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    for number in range(3):
        scheduler.add("a", f"a-{number}")
        scheduler.add("b", f"b-{number}")
    served = _serve(scheduler, limiter, clock)
    assert [job for _, chat, job in served if chat == "a"] == ["a-0", "a-1", "a-2"]
    assert [job for _, chat, job in served if chat == "b"] == ["b-0", "b-1", "b-2"]


def test_chat_interval_counts_from_response() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=1), monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    for number in range(3):
        scheduler.add("a", f"a-{number}")
    served = _serve(scheduler, limiter, clock, response_seconds=0.2)
    times = [time for time, _, _ in served]
    assert times == [0.0, pytest.approx(1.2), pytest.approx(2.4)]


def test_overall_limit_reached_with_many_chats() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=10, per_chat_per_second=1, burst=1),
                          monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    for chat in range(20):
        for number in range(3):
            scheduler.add(f"chat-{chat}", f"{chat}-{number}")
    served = _serve(scheduler, limiter, clock)
    duration = served[-1][0] - served[0][0]
    assert len(served) == 60
    assert duration == pytest.approx(5.9)


def test_paused_chat_goes_behind_ready_ones() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=1), monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    scheduler.add("paused", "p-0")
    scheduler.add("ready", "r-0")
    limiter.pause("paused", 5.0)
    served = _serve(scheduler, limiter, clock)
    assert [(time, job) for time, _, job in served] == [(0.0, "r-0"), (5.0, "p-0")]


def test_busy_chat_is_not_offered() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=100), monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    scheduler.add("a", "a-0")
    scheduler.add("a", "a-1")
    scheduler.take("a")
    assert scheduler.next(clock.now) is None
    scheduler.done("a")
    assert scheduler.next(clock.now) == (0.0, "a")


def test_drop_removes_every_queued_job() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=1), monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    scheduler.add("a", "a-0")
    scheduler.add("a", "a-1")
    scheduler.add("b", "b-0")
    dropped = scheduler.drop("a")
    assert dropped == ["a-0", "a-1"]
    assert len(scheduler) == 1
    assert scheduler.next(clock.now) == (0.0, "b")


def test_job_put_first_goes_before_queued_ones() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=100), monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    scheduler.add("a", "a-1")
    scheduler.add("a", "a-0", first=True)
    served = _serve(scheduler, limiter, clock)
    assert [job for _, _, job in served] == ["a-0", "a-1"]


def test_longest_queue_first_among_ready_chats() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=100, per_chat_per_second=1), monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    scheduler.add("short", "s-0")
    for number in range(3):
        scheduler.add("long", f"l-{number}")
    served = _serve(scheduler, limiter, clock)
    assert [job for _, _, job in served] == ["l-0", "s-0", "l-1", "l-2"]


def test_fan_out_ends_when_longest_queue_allows() -> None:
    clock = ManualClock(0.0)
    limiter = RateLimiter(Limits(per_second=10, per_chat_per_second=1, burst=1),
                          monotonic=clock)
    scheduler = _scheduler(limiter, clock)
    for chat in range(12):
        for number in range(1 + chat % 6):
            scheduler.add(f"chat-{chat}", f"{chat}-{number}")
    served = _serve(scheduler, limiter, clock)
    # The two chats with six jobs need five seconds after their first send, and the
    # overall limit lets the second of them start 0.1 s after the first.
    assert len(served) == 42
    assert served[-1][0] == pytest.approx(5.1)
