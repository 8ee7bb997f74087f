"""A fair scheduler: per-chat queues served in the order each chat may next send.

The sender takes the chat whose next message its platform's limits allow soonest, so a
chat waiting out its own per-chat limit never delays the others, and a chat with a long
queue gets one turn per allowed slot like every other chat.

Among the chats that may send now, the one with the most jobs queued goes first. With
one message a second per chat, a fan-out cannot end sooner than its longest queue
allows, so serving long queues first keeps enough chats busy to the end that the
overall limit, not the per-chat one, sets the pace.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)
Job = TypeVar("Job")

# Ready times closer than this to ``now`` count as ready, against float rounding.
_TOLERANCE_SECONDS = 1e-6


class FairScheduler(Generic[Key, Job]):
    """FIFO queues of jobs by chat, with at most one job per chat taken at a time.

    ``ready_at(key, now)`` returns the monotonic time, ``now`` or later, at which the
    chat may next send. It is asked again whenever a chat is queued or becomes due,
    because other sends (command replies, ``retry_after`` pauses) move it.
    """

    def __init__(self, ready_at: Callable[[Key, float], float], *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ready_at = ready_at
        self._monotonic = monotonic
        self._queues: dict[Key, deque[Job]] = {}
        self._busy: set[Key] = set()
        # Chats that may not send yet, by ready time; and chats that may, longest queue first.
        self._waiting: list[tuple[float, int, Key]] = []
        self._ready: list[tuple[int, int, Key]] = []
        self._scheduled: set[Key] = set()
        self._order = itertools.count()
        self._jobs = 0

    def __len__(self) -> int:
        """Return how many jobs are queued, not counting those taken."""
        return self._jobs

    @property
    def waiting_chats(self) -> int:
        """The number of chats with queued jobs."""
        return len(self._queues)

    def queued(self, key: Key) -> int:
        """Return how many jobs of ``key`` are queued."""
        queue = self._queues.get(key)
        return len(queue) if queue is not None else 0

    def chats(self) -> list[Key]:
        """Return the chats with queued jobs."""
        return list(self._queues)

    def add(self, key: Key, job: Job, *, first: bool = False) -> None:
        """Queue ``job`` for ``key``, last or (``first``) ahead of the chat's other jobs."""
        queue = self._queues.setdefault(key, deque())
        if first:
            queue.appendleft(job)
        else:
            queue.append(job)
        self._jobs += 1
        self._schedule(key, self._monotonic())

    def next(self, now: float | None = None) -> tuple[float, Key] | None:
        """Return the chat to serve next and the time it may send, ``now`` if it may now.

        Returns None when every chat with queued jobs is busy.
        """
        now = self._monotonic() if now is None else now
        self._promote(now)
        while self._ready:
            _, _, key = self._ready[0]
            if not self._servable(key):
                heapq.heappop(self._ready)
                self._scheduled.discard(key)
                continue
            current = self._ready_at(key, now)
            if current > now + _TOLERANCE_SECONDS:
                heapq.heappop(self._ready)
                heapq.heappush(self._waiting, (current, next(self._order), key))
                continue
            return now, key
        while self._waiting:
            ready, _, key = self._waiting[0]
            if self._servable(key):
                return ready, key
            heapq.heappop(self._waiting)
            self._scheduled.discard(key)
        return None

    def take(self, key: Key) -> Job:
        """Remove the first job of ``key`` and mark the chat busy until ``done``."""
        if self._ready and self._ready[0][2] == key:
            heapq.heappop(self._ready)
            self._scheduled.discard(key)
        queue = self._queues[key]
        job = queue.popleft()
        self._jobs -= 1
        if not queue:
            del self._queues[key]
        self._busy.add(key)
        return job

    def done(self, key: Key) -> None:
        """Mark the chat's taken job finished, so its next job can be scheduled."""
        self._busy.discard(key)
        self._schedule(key, self._monotonic())

    def drop(self, key: Key) -> list[Job]:
        """Remove and return every queued job of ``key``."""
        queue = self._queues.pop(key, deque())
        self._jobs -= len(queue)
        return list(queue)

    def _servable(self, key: Key) -> bool:
        return key not in self._busy and key in self._queues

    def _schedule(self, key: Key, now: float) -> None:
        if key in self._scheduled or not self._servable(key):
            return
        heapq.heappush(self._waiting, (self._ready_at(key, now), next(self._order), key))
        self._scheduled.add(key)

    def _promote(self, now: float) -> None:
        """Move the chats whose ready time has come from ``_waiting`` to ``_ready``."""
        while self._waiting and self._waiting[0][0] <= now + _TOLERANCE_SECONDS:
            _, _, key = heapq.heappop(self._waiting)
            if not self._servable(key):
                self._scheduled.discard(key)
                continue
            current = self._ready_at(key, now)
            if current > now + _TOLERANCE_SECONDS:
                heapq.heappush(self._waiting, (current, next(self._order), key))
            else:
                heapq.heappush(self._ready, (-self.queued(key), next(self._order), key))
