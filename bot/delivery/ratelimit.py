"""Pacing of outgoing messages so the platforms' published limits are never exceeded."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """A token bucket: ``rate`` tokens a second, at most ``capacity`` saved up for a burst."""

    rate: float
    capacity: float
    tokens: float = field(default=-1.0)
    updated: float = 0.0

    def delay(self, now: float) -> float:
        """Take a token and return how many seconds the caller must wait before using it."""
        if self.tokens < 0:
            self.tokens, self.updated = self.capacity, now
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate


class RateLimiter:
    """A global bucket plus one bucket per chat; ``acquire`` waits until both allow a send."""

    def __init__(self, *, per_second: float, per_chat_per_second: float, per_chat_burst: float = 3,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._global = TokenBucket(rate=per_second, capacity=max(1.0, per_second))
        self._per_chat_rate = per_chat_per_second
        self._per_chat_burst = per_chat_burst
        self._chats: dict[str, TokenBucket] = {}
        self._monotonic = monotonic

    def chat_delay(self, chat: str) -> float:
        """Return how long a send to ``chat`` would wait for the chat's own limit, taking nothing."""
        bucket = self._chats.get(chat)
        if bucket is None or bucket.tokens < 0:
            return 0.0
        now = self._monotonic()
        tokens = min(bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / bucket.rate

    async def acquire(self, chat: str) -> None:
        """Wait until one more message to ``chat`` stays within both limits."""
        bucket = self._chats.setdefault(
            chat, TokenBucket(rate=self._per_chat_rate, capacity=self._per_chat_burst))
        now = self._monotonic()
        wait = max(bucket.delay(now), self._global.delay(now))
        if wait > 0:
            await asyncio.sleep(wait)
