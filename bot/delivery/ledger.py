"""Buffered ``sent`` marks for the outbox: many delivered cards recorded in one transaction.

A delivered card is added to the buffer in the same step that receives the response,
with no ``await`` between, so cancelling the sender cannot lose it. The buffer is
written within ``max_delay`` seconds, or at once when it contains ``max_rows``. A process
killed before the write leaves those cards ``in_flight``, which recovery records as
failed: they did arrive, and the failure reason says that they may have.
"""

from __future__ import annotations

import asyncio
import logging

from bot.clock import Clock
from bot.store.outbox import Outbox

logger = logging.getLogger(__name__)

MAX_DELAY_SECONDS = 0.05
MAX_ROWS = 128


class Ledger:
    """Collect (row id, message id) pairs of delivered cards and write them in batches."""

    def __init__(self, outbox: Outbox, *, clock: Clock, max_rows: int = MAX_ROWS,
                 max_delay: float = MAX_DELAY_SECONDS) -> None:
        self._outbox = outbox
        self._clock = clock
        self._max_rows = max_rows
        self._max_delay = max_delay
        self._buffer: list[tuple[int, str | None]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task[None]] = set()

    def sent(self, rows: list[tuple[int, str | None]]) -> None:
        """Record delivered rows; the write follows within ``max_delay`` seconds."""
        self._buffer.extend(rows)
        if len(self._buffer) >= self._max_rows:
            self._write()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._max_delay, self._write)

    def take(self) -> list[tuple[int, str | None]]:
        """Remove and return the buffered rows, for a caller that writes them itself.

        The caller must write them or hand them back through ``sent``.
        """
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        rows, self._buffer = self._buffer, []
        return rows

    async def flush(self) -> None:
        """Write what is buffered and wait for the writes under way.

        Cancelling the wait does not cancel the writes; a later ``flush`` waits again.
        """
        self._write()
        while self._writes:
            await asyncio.shield(asyncio.gather(*self._writes, return_exceptions=True))

    def _write(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []
        task = asyncio.create_task(self._store(rows), name="deliver:ledger")
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _store(self, rows: list[tuple[int, str | None]]) -> None:
        try:
            await self._outbox.mark_sent_many(rows, now=self._clock())
        except Exception:
            # The cards stay in_flight and recovery fails them as "may have arrived",
            # which is true; there is no better record to fall back to.
            logger.exception("ledger write failed cards=%d", len(rows))
