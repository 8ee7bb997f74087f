"""Pacing of outgoing messages so the platforms' published limits are never exceeded.

Each messenger owns one ``RateLimiter``, so every message to a platform, delivered card
or command reply, counts against the same limits. A limiter combines an overall token
bucket, one token bucket per chat and, for group chats, a sliding window per chat.

The platform counts a message when it arrives, which is some time between our request
and its response. So the per-chat limits count from the response (``settle``): time a
request spends in flight does not refill the chat's allowance. That keeps two messages
to one chat at least ``1 / per_chat_per_second`` apart on arrival, whatever the jitter.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

GROUP_WINDOW_SECONDS = 60.0
# Idle per-chat state is dropped once this many chats are tracked, so memory stays flat.
_PRUNE_ABOVE = 4096


@dataclass
class TokenBucket:
    """A token bucket: ``rate`` tokens a second, at most ``capacity`` saved up for a burst.

    A new bucket is full. ``tokens`` may go negative when a caller takes a token it
    has to wait for (``delay``).
    """

    rate: float
    capacity: float
    tokens: float = field(default=-math.inf)
    updated: float = 0.0

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last update."""
        if self.tokens == -math.inf:
            self.tokens, self.updated = self.capacity, now
            return
        if now > self.updated:
            self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
            self.updated = now

    def ready_at(self, now: float) -> float:
        """Return the time at which one token is available, ``now`` or later."""
        self.refill(now)
        if self.tokens >= 1:
            return now
        return self.updated + (1 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Take one token, even if that leaves the bucket in debt."""
        self.refill(now)
        self.tokens -= 1

    def delay(self, now: float) -> float:
        """Take a token and return how many seconds the caller must wait before using it."""
        self.take(now)
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def hold(self, now: float) -> None:
        """Earn nothing for the time up to ``now``: the last message counted until then."""
        self.updated = max(self.updated, now)

    def is_idle(self, now: float) -> bool:
        """Tell whether the bucket is full again, so forgetting it changes nothing."""
        self.refill(now)
        return self.tokens >= self.capacity


@dataclass
class SlidingWindow:
    """At most ``count`` messages in any ``period`` seconds."""

    count: int
    period: float
    times: deque[float] = field(default_factory=deque)

    def ready_at(self, now: float) -> float:
        """Return the time at which one more message fits in the window."""
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        if len(self.times) < self.count:
            return now
        return self.times[-self.count] + self.period

    def take(self, now: float) -> None:
        """Count a message sent at ``now``."""
        self.times.append(now)
        while len(self.times) > self.count:
            self.times.popleft()

    def hold(self, now: float) -> None:
        """Count the last message as sent at ``now``, when its response arrived."""
        if self.times:
            self.times[-1] = max(self.times[-1], now)

    def is_idle(self, now: float) -> bool:
        """Tell whether the window is empty."""
        return self.ready_at(now) <= now and not self.times


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits of one platform, in messages.

    ``per_group_per_minute`` applies on top of the per-chat limit to the chats that the
    limiter's ``is_group`` picks out. ``burst`` is how many messages the overall bucket
    lets out at once after a pause; by default a tenth of a second's worth.
    """

    per_second: float
    per_chat_per_second: float
    per_chat_burst: float = 1.0
    per_group_per_minute: int | None = None
    burst: float | None = None

    @property
    def chats_to_saturate(self) -> int:
        """How many chats must have messages waiting for the overall limit to be reached.

        1 when there is no overall limit to reach.
        """
        if not math.isfinite(self.per_second):
            return 1
        return max(1, math.ceil(self.per_second / self.per_chat_per_second))


UNLIMITED = Limits(per_second=math.inf, per_chat_per_second=math.inf)


@dataclass
class _ChatState:
    bucket: TokenBucket
    window: SlidingWindow | None
    paused_until: float = -math.inf
    reserved: int = 0


def never_group(chat: str) -> bool:
    """Treat no chat as a group."""
    return False


class RateLimiter:
    """The limits of one platform, applied to every message sent to it.

    The sender reads ``chat_ready_at`` and ``ready_at`` to choose the chat to serve next
    and then ``reserve``s the send. The messenger calls ``acquire`` before each request,
    which uses that reservation or else waits, and ``settle`` after the response.
    """

    def __init__(self, limits: Limits, *, is_group: Callable[[str], bool] = never_group,
                 monotonic: Monotonic = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.limits = limits
        self._is_group = is_group
        self._monotonic = monotonic
        self._sleep = sleep
        self._global: TokenBucket | None = None
        if math.isfinite(limits.per_second):
            burst = limits.burst if limits.burst is not None else max(1.0, limits.per_second / 10)
            self._global = TokenBucket(rate=limits.per_second, capacity=burst)
        self._chats: dict[str, _ChatState] = {}
        self._takes = 0

    @property
    def unlimited(self) -> bool:
        """True when no limit applies at all, as for the console."""
        return self.limits == UNLIMITED

    def chat_ready_at(self, chat: str, now: float | None = None) -> float:
        """Return when ``chat``'s own limits allow one more message (not the overall limit).

        The result is ``now`` (by default the current time) or later.
        """
        return self._chat_ready_at(chat, self._monotonic() if now is None else now)

    def ready_at(self, chat: str, now: float | None = None) -> float:
        """Return when one more message to ``chat`` keeps within every limit, ``now`` or later."""
        return self._ready_at(chat, self._monotonic() if now is None else now)

    def reserve(self, chat: str) -> None:
        """Count one message to ``chat`` now; the next ``acquire`` for it will not wait."""
        self._take(chat, self._monotonic())
        self._state(chat).reserved += 1

    def cancel(self, chat: str) -> None:
        """Drop reservations for ``chat`` that no request used."""
        state = self._chats.get(chat)
        if state is not None:
            state.reserved = 0

    async def acquire(self, chat: str) -> None:
        """Wait until one more message to ``chat`` keeps within every limit, and count it."""
        state = self._chats.get(chat)
        if state is not None and state.reserved > 0:
            state.reserved -= 1
            return
        if self.unlimited:
            return
        while True:
            now = self._monotonic()
            wait = self._ready_at(chat, now) - now
            if wait <= 0:
                self._take(chat, now)
                return
            await self._sleep(wait)

    def settle(self, chat: str) -> None:
        """Note that the response for a message to ``chat`` arrived just now."""
        state = self._chats.get(chat)
        if state is None or self.unlimited:
            return
        now = self._monotonic()
        state.bucket.hold(now)
        if state.window is not None:
            state.window.hold(now)

    def pause(self, chat: str, seconds: float) -> None:
        """Send nothing to ``chat`` for ``seconds``, as a platform's ``retry_after`` requests."""
        state = self._state(chat)
        state.paused_until = max(state.paused_until, self._monotonic() + seconds)

    def _chat_ready_at(self, chat: str, now: float) -> float:
        state = self._chats.get(chat)
        if state is None or self.unlimited:
            return now
        ready = max(now, state.paused_until)
        if math.isfinite(state.bucket.rate):
            ready = max(ready, state.bucket.ready_at(now))
        if state.window is not None:
            ready = max(ready, state.window.ready_at(now))
        return ready

    def _ready_at(self, chat: str, now: float) -> float:
        ready = self._chat_ready_at(chat, now)
        if self._global is not None:
            ready = max(ready, self._global.ready_at(now))
        return ready

    def _state(self, chat: str) -> _ChatState:
        state = self._chats.get(chat)
        if state is None:
            limits = self.limits
            window = None
            if limits.per_group_per_minute is not None and self._is_group(chat):
                window = SlidingWindow(count=limits.per_group_per_minute,
                                       period=GROUP_WINDOW_SECONDS)
            bucket = TokenBucket(rate=limits.per_chat_per_second,
                                 capacity=limits.per_chat_burst)
            state = self._chats[chat] = _ChatState(bucket=bucket, window=window)
        return state

    def _take(self, chat: str, now: float) -> None:
        if self.unlimited:
            return
        state = self._state(chat)
        if self._global is not None:
            self._global.take(now)
        if math.isfinite(state.bucket.rate):
            state.bucket.take(now)
        if state.window is not None:
            state.window.take(now)
        self._takes += 1
        if len(self._chats) > _PRUNE_ABOVE and self._takes % 1024 == 0:
            self._prune(now)

    def _prune(self, now: float) -> None:
        idle = [chat for chat, state in self._chats.items()
                if state.reserved == 0 and state.paused_until <= now
                and state.bucket.is_idle(now)
                and (state.window is None or state.window.is_idle(now))]
        for chat in idle:
            del self._chats[chat]


def telegram_is_group(chat_id: str) -> bool:
    """Tell whether a Telegram chat id is a group, supergroup or channel.

    The Bot API gives users positive ids and every multi-member chat a negative one.
    """
    return chat_id.startswith("-")
