"""Send due cards from the outbox through the platforms, fairly and within their limits.

A drain claims due rows in batches and turns them into jobs (``jobs.py``). A
``FairScheduler`` then picks the chat whose platform allows its next message soonest,
with one job per chat and at most ``concurrency`` requests under way at a time.

Each row moves ``pending`` → ``sending`` (claimed) → ``in_flight`` (request started) →
``sent`` or ``failed``. The ``in_flight`` mark is written before the request and the
``sent`` mark right after the response, shielded from cancellation, so a crash leaves a
card either never attempted (given back to the queue by recovery) or possibly delivered
(recorded as failed by recovery): never sent twice, never silently lost.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
import time
from collections import defaultdict
from collections.abc import Mapping

from bot.clock import Clock
from bot.delivery.faults import BACKOFF_BASE_SECONDS
from bot.delivery.jobs import CARDS, Job, JobKind, build_jobs
from bot.delivery.ledger import Ledger
from bot.delivery.outcomes import Outcomes
from bot.delivery.pacing import FairScheduler
from bot.delivery.ratelimit import Monotonic, RateLimiter
from bot.metrics import Metrics
from bot.parser.models import Paper
from bot.platform.base import Messenger
from bot.store import Chat, Delivery, Store

logger = logging.getLogger(__name__)

MISSING_PAPER = "the paper is no longer in the stored digest"
# A chat with this many jobs queued gets no more rows until some are sent.
MAX_QUEUED_PER_CHAT = 20
# How long a cancelled drain waits for requests already sent before giving up on them.
SHUTDOWN_GRACE_SECONDS = 10.0
# Jobs started together share one ``in_flight`` transaction. Waking at most this often
# lets a few sends fall due together, well within the overall limit's burst allowance.
MAX_BATCH = 16
DISPATCH_TICK_SECONDS = 0.05


class Sender:
    """Claim due cards, send them through the platforms' messengers, record each outcome.

    Every messenger brings its own ``RateLimiter``; the sender only decides the order.
    """

    def __init__(self, *, store: Store, messengers: Mapping[str, Messenger], clock: Clock,
                 default_language: str, max_attempts: int = 5, batch_size: int = 500,
                 concurrency: int = 32, metrics: Metrics | None = None,
                 retry_base_seconds: float = BACKOFF_BASE_SECONDS,
                 monotonic: Monotonic = time.monotonic,
                 rng: random.Random | None = None) -> None:
        self.store = store
        self.messengers = dict(messengers)
        self.clock = clock
        self.default_language = default_language
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.retry_base_seconds = retry_base_seconds
        self.metrics = metrics or Metrics()
        self.monotonic = monotonic
        self.rng = rng or random.Random()  # noqa: S311  # retry jitter, not cryptography
        self.ledger = Ledger(store.outbox, clock=clock)
        self._lock = asyncio.Lock()

    async def close(self) -> None:
        """Write the ``sent`` marks still buffered, as after a cancelled drain."""
        await self.ledger.flush()

    async def drain(self) -> int:
        """Send every card that is due now, retries included; return how many were sent.

        Cancelling it stops new sends, waits up to ``SHUTDOWN_GRACE_SECONDS`` for those
        under way and records them, and returns the cards not yet started to the queue.
        """
        if not self.messengers:
            return 0
        async with self._lock:
            return await _Drain(self).run()

    def limiter(self, chat: Chat) -> RateLimiter:
        """Return the limiter of the platform ``chat`` is on."""
        return self.messengers[chat.ref.platform].limiter


class _Drain:
    """The state of one ``Sender.drain``: the queues, the caches and the running sends."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.chats: dict[int, Chat] = {}
        self.papers: dict[tuple[dt.date, str], Paper] = {}
        self.scheduler: FairScheduler[int, Job] = FairScheduler(
            self._chat_ready_at, monotonic=sender.monotonic)
        self.outcomes = Outcomes(sender, self.chats, self.scheduler)
        self.tasks: set[asyncio.Task[None]] = set()
        # Set when a send finishes, which may free a slot or a chat.
        self.finished = asyncio.Event()
        self.exhausted = False
        saturate = max(messenger.limiter.limits.chats_to_saturate
                       for messenger in sender.messengers.values())
        # Enough chats queued that the overall limit, not the per-chat one, sets the pace.
        self.low_water = min(sender.batch_size, 2 * saturate + sender.concurrency)

    async def run(self) -> int:
        started = self.sender.monotonic()
        try:
            await self._loop()
            await self.sender.ledger.flush()
        except asyncio.CancelledError:
            await self._stop()
            raise
        counts = self.outcomes.counts
        if counts.total:
            logger.info("delivery run sent=%d failed=%d retried=%d chats=%d seconds=%.1f",
                        counts.sent, counts.failed, counts.retried, len(self.chats),
                        self.sender.monotonic() - started)
        return counts.sent

    async def _loop(self) -> None:
        while True:
            self.finished.clear()
            if not self.exhausted and self.scheduler.waiting_chats < self.low_water:
                await self._refill()
            if not self.scheduler and not self.tasks:
                if self.exhausted:
                    return
                continue
            if len(self.tasks) >= self.sender.concurrency:
                await self._wait(None)
                continue
            batch, delay = self._take_ready()
            if batch:
                await self._dispatch(batch)
            elif delay is None:
                await self._wait(None)
            else:
                await self._wait(max(delay, DISPATCH_TICK_SECONDS))

    def _take_ready(self) -> tuple[list[tuple[Job, Chat]], float | None]:
        """Take the jobs whose chats may send now, soonest-ready chat first.

        With none ready, returns the seconds until the next one is (None: every chat
        with queued jobs is busy).
        """
        batch: list[tuple[Job, Chat]] = []
        room = min(MAX_BATCH, self.sender.concurrency - len(self.tasks))
        now = self.sender.monotonic()
        while len(batch) < room:
            found = self.scheduler.next(now)
            if found is None:
                return batch, None
            chat = self.chats[found[1]]
            limiter = self.sender.limiter(chat)
            delay = limiter.ready_at(chat.ref.chat_id, now) - now
            if delay > 0:
                return batch, delay
            batch.append((self.scheduler.take(chat.pk), chat))
            limiter.reserve(chat.ref.chat_id)
        return batch, 0.0

    async def _dispatch(self, batch: list[tuple[Job, Chat]]) -> None:
        """Mark the batch's rows in flight in one transaction, then start each send.

        The same transaction writes the buffered ``sent`` marks, one fewer per batch.
        """
        ids = [delivery.id for job, _ in batch if job.kind is not JobKind.SUMMARY
               for delivery in job.deliveries]
        sent = self.sender.ledger.take()
        try:
            started = await self.sender.store.outbox.start_sends(
                ids, now=self.sender.clock(), sent=sent)
        except BaseException:
            self.sender.ledger.sent(sent)
            raise
        for job, chat in batch:
            if job.kind is not JobKind.SUMMARY and not self.outcomes.keep_started(job, started):
                self.sender.limiter(chat).cancel(chat.ref.chat_id)
                self.scheduler.done(job.chat_pk)
                continue
            task = asyncio.create_task(self._run_job(job, chat),
                                       name=f"deliver:{chat.ref.platform}:{chat.ref.chat_id}")
            self.tasks.add(task)
            task.add_done_callback(self._finish)

    def _finish(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.finished.set()

    async def _wait(self, seconds: float | None) -> None:
        """Wait ``seconds``, or with None until a running send finishes.

        A timed wait ignores finished sends: the chat of a finished send cannot send
        again before its per-chat interval, and waking for each one would break up the
        batches that share an ``in_flight`` transaction.
        """
        if seconds is not None:
            await asyncio.sleep(seconds)
        elif self.tasks:
            await self.finished.wait()

    async def _run_job(self, job: Job, chat: Chat) -> None:
        limiter = self.sender.limiter(chat)
        try:
            await self.outcomes.attempt(job)
        except Exception:
            # A bug or a database failure: the rows stay claimed, and recovery settles
            # them (never attempted: queued again; possibly sent: failed).
            logger.exception("delivery job failed chat=%s arxiv_id=%s", chat.ref, job.keys)
        finally:
            limiter.cancel(chat.ref.chat_id)
            self.scheduler.done(job.chat_pk)

    async def _refill(self) -> None:
        sender = self.sender
        outbox = sender.store.outbox
        full = [key for key in self.scheduler.chats()
                if self.scheduler.queued(key) >= MAX_QUEUED_PER_CHAT]
        claimed = await outbox.claim(platforms=list(sender.messengers), now=sender.clock(),
                                     limit=sender.batch_size, skip_chats=full)
        if len(claimed) < sender.batch_size:
            self.exhausted = True
        grouped = {delivery.chat_pk for delivery in claimed if delivery.mode != CARDS}
        if grouped:
            # A digest message or thread needs all of a chat's rows, so claim the rest now.
            claimed += await outbox.claim(platforms=list(sender.messengers), now=sender.clock(),
                                          limit=sender.batch_size, chats=grouped)
        if not claimed:
            return
        await self._load(claimed)
        by_chat: dict[int, list[Delivery]] = defaultdict(list)
        for delivery in claimed:
            by_chat[delivery.chat_pk].append(delivery)
        for chat_pk, deliveries in by_chat.items():
            chat = self.chats[chat_pk]
            messenger = sender.messengers[chat.ref.platform]
            jobs, missing = build_jobs(deliveries, self.papers, messenger=messenger,
                                       t=self.outcomes.translator(chat))
            for delivery in missing:
                await self.outcomes.fail_rows(chat, [delivery], MISSING_PAPER)
            for job in jobs:
                self.scheduler.add(chat_pk, job)

    async def _load(self, claimed: list[Delivery]) -> None:
        store = self.sender.store
        new_chats = sorted({d.chat_pk for d in claimed} - self.chats.keys())
        if new_chats:
            self.chats.update(await store.chats.by_pk(new_chats))
        to_load: dict[dt.date, set[str]] = defaultdict(set)
        for delivery in claimed:
            if (delivery.digest_date, delivery.paper_key) not in self.papers:
                to_load[delivery.digest_date].add(delivery.paper_key)
        for date, keys in to_load.items():
            found = await store.digests.papers(date, keys)
            self.papers.update({(date, key): paper for key, paper in found.items()})

    def _chat_ready_at(self, chat_pk: int, now: float) -> float:
        chat = self.chats[chat_pk]
        return self.sender.limiter(chat).chat_ready_at(chat.ref.chat_id, now)

    async def _stop(self) -> None:
        """Let requests under way finish, and give the cards not yet started back."""
        if self.tasks:
            _, unfinished = await asyncio.wait(set(self.tasks), timeout=SHUTDOWN_GRACE_SECONDS)
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        released: list[int] = []
        for key in self.scheduler.chats():
            for job in self.scheduler.drop(key):
                released.extend(job.ids)
        await self.sender.store.outbox.release(released)
        await self.sender.ledger.flush()
        if released:
            logger.info("delivery stopped, cards returned to the queue cards=%d", len(released))
