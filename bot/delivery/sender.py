"""Send due cards from the outbox through the platforms and record each outcome."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from bot.clock import Clock
from bot.delivery.ratelimit import RateLimiter
from bot.errors import (
    ChatMoved,
    DeliveryError,
    MessageRejected,
    RateLimited,
    RecipientGone,
    TemporaryFailure,
)
from bot.i18n import get_translator
from bot.metrics import Metrics
from bot.parser.models import Paper
from bot.platform.base import Messenger, Target
from bot.store import Chat, Delivery, Store

logger = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class _Stop:
    """Stop sending to this chat for now; the rest of its cards are due again at ``due_at``."""

    due_at: dt.datetime | None


class Sender:
    """Claim due cards, send them chat by chat within the rate limits, record the result."""

    def __init__(self, *, store: Store, messengers: Mapping[str, Messenger],
                 limiter: RateLimiter, clock: Clock, default_language: str,
                 max_attempts: int = 5, batch_size: int = 200, concurrency: int = 32,
                 metrics: Metrics | None = None) -> None:
        self._store = store
        self._metrics = metrics or Metrics()
        self._messengers = dict(messengers)
        self._limiter = limiter
        self._clock = clock
        self._default_language = default_language
        self._max_attempts = max_attempts
        self._batch_size = batch_size
        self._slots = asyncio.Semaphore(concurrency)
        self._lock = asyncio.Lock()
        self._ledger_writes: set[asyncio.Future[None]] = set()

    async def close(self) -> None:
        """Wait for ledger writes still in flight after a cancelled send."""
        if self._ledger_writes:
            await asyncio.gather(*self._ledger_writes, return_exceptions=True)

    async def drain(self) -> int:
        """Send every card that is due now; return how many were sent."""
        if not self._messengers:
            return 0
        sent = 0
        async with self._lock:
            while True:
                claimed = await self._store.outbox.claim(
                    platforms=list(self._messengers), now=self._clock(), limit=self._batch_size)
                if not claimed:
                    return sent
                sent += await self._send_batch(claimed)

    async def _send_batch(self, claimed: list[Delivery]) -> int:
        chats = await self._store.chats.by_pk(sorted({d.chat_pk for d in claimed}))
        by_chat: dict[int, list[Delivery]] = defaultdict(list)
        for delivery in claimed:
            by_chat[delivery.chat_pk].append(delivery)
        papers: dict[tuple[dt.date, str], Paper] = {}
        for date in {d.digest_date for d in claimed}:
            keys = [d.paper_key for d in claimed if d.digest_date == date]
            found = await self._store.digests.papers(date, keys)
            papers.update({(date, key): paper for key, paper in found.items()})
        # One task per chat: cards to one chat keep their order, and a chat waiting for
        # its own limit does not hold up the others.
        results = await asyncio.gather(*(
            self._send_chat(chats[pk], deliveries, papers)
            for pk, deliveries in by_chat.items()
        ))
        return sum(results)

    async def _send_chat(self, chat: Chat, deliveries: list[Delivery],
                         papers: Mapping[tuple[dt.date, str], Paper]) -> int:
        sent = 0
        async with self._slots:
            for index, delivery in enumerate(deliveries):
                paper = papers.get((delivery.digest_date, delivery.paper_key))
                if paper is None:
                    await self._store.outbox.mark_failed(
                        delivery.id, reason="the paper is no longer in the stored digest")
                    continue
                outcome = await self._send_one(chat, delivery, paper)
                if outcome == "sent":
                    sent += 1
                elif isinstance(outcome, _Stop):
                    rest = [d.id for d in deliveries[index + 1:]]
                    await self._store.outbox.release(rest, due_at=outcome.due_at)
                    break
        return sent

    async def _send_one(self, chat: Chat, delivery: Delivery, paper: Paper) -> str | _Stop:
        messenger = self._messengers[chat.ref.platform]
        translator = get_translator(chat.language or self._default_language)
        target = Target(chat.ref, delivery.thread_id)
        await self._limiter.acquire(str(chat.ref))
        if not await self._store.outbox.start_send(delivery.id, now=self._clock()):
            # Another instance recovered this claim, taking this one for dead: it sends it.
            logger.warning("card skipped, its claim was taken over chat=%s arxiv_id=%s",
                           chat.ref, delivery.paper_key)
            return "skipped"
        try:
            try:
                message_id = await messenger.send_card(target, paper, t=translator)
            except MessageRejected as error:
                logger.warning("card rejected, sending plain text chat=%s arxiv_id=%s error=%s",
                               chat.ref, delivery.paper_key, error)
                message_id = await messenger.send_plain_card(target, paper, t=translator)
        except DeliveryError as error:
            return await self._handle_failure(chat, delivery, error)
        # The card has arrived: this write must complete even if the task is cancelled now,
        # and ``close`` waits for it.
        write = asyncio.ensure_future(self._store.outbox.mark_sent(
            delivery.id, message_id=message_id, now=self._clock()))
        self._ledger_writes.add(write)
        write.add_done_callback(self._ledger_writes.discard)
        await asyncio.shield(write)
        self._metrics.observe_sent(chat.ref.platform, due_at=delivery.due_at, now=self._clock())
        logger.debug("sent chat=%s arxiv_id=%s message_id=%s", chat.ref, delivery.paper_key,
                     message_id)
        return "sent"

    async def _handle_failure(self, chat: Chat, delivery: Delivery,
                              error: DeliveryError) -> str | _Stop:
        outbox = self._store.outbox
        now = self._clock()
        if isinstance(error, RateLimited):
            logger.warning("rate limited chat=%s retry_after=%.1fs attempt=%d", chat.ref,
                           error.retry_after, delivery.attempts)
            due_at = now + dt.timedelta(seconds=error.retry_after)
            await outbox.retry_at(delivery.id, reason=str(error), due_at=due_at)
            self._metrics.rate_limited.labels(platform=chat.ref.platform).inc()
            self._metrics.cards_retried.labels(platform=chat.ref.platform).inc()
            return _Stop(due_at)
        if isinstance(error, ChatMoved):
            logger.warning("chat moved chat=%s new_chat_id=%s", chat.ref, error.new_chat_id)
            await self._store.chats.move(chat.pk, error.new_chat_id)
            # Keep the original due time so the chat's cards stay in order.
            await outbox.retry_at(delivery.id, due_at=delivery.due_at, reason=str(error))
            return _Stop(None)
        if isinstance(error, RecipientGone):
            logger.warning("chat paused chat=%s reason=%s", chat.ref, error)
            await self._store.chats.set_active(chat.pk, active=False, reason=str(error))
            await outbox.retry_at(delivery.id, due_at=delivery.due_at, reason=str(error))
            return _Stop(None)
        if isinstance(error, TemporaryFailure) and delivery.attempts < self._max_attempts:
            delay = min(MAX_BACKOFF_SECONDS, 2.0 ** delivery.attempts)
            delay *= random.uniform(0.5, 1.5)  # noqa: S311  # jitter, not cryptography
            logger.warning("send failed, retrying chat=%s arxiv_id=%s attempt=%d delay=%.1fs "
                           "error=%s", chat.ref, delivery.paper_key, delivery.attempts, delay,
                           error)
            await outbox.retry_at(delivery.id, due_at=now + dt.timedelta(seconds=delay),
                                  reason=str(error))
            self._metrics.cards_retried.labels(platform=chat.ref.platform).inc()
            return "retry"
        logger.critical("card dropped chat=%s arxiv_id=%s attempts=%d error=%s", chat.ref,
                        delivery.paper_key, delivery.attempts, error)
        await outbox.mark_failed(delivery.id, reason=str(error))
        self._metrics.cards_failed.labels(platform=chat.ref.platform).inc()
        return "failed"
