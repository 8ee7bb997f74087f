"""One delivery job's try and the bookkeeping of its outcome, by the action ``faults`` names."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError

from bot.delivery.digest import digest_text
from bot.delivery.faults import Action, action_for, backoff_delay
from bot.delivery.jobs import Job, JobKind, thread_cards
from bot.delivery.pacing import FairScheduler
from bot.errors import ChatMoved, DeliveryError, MessageRejected, RateLimited
from bot.i18n import Translator, get_translator
from bot.platform.base import MessageTooLong, Messenger, Target, ThreadMessenger
from bot.store import Chat, ChatRef, Delivery

if TYPE_CHECKING:
    from bot.delivery.sender import Sender

logger = logging.getLogger(__name__)

# Maximum pause kept in memory. A longer ``retry_after`` or back-off puts the chat's cards
# back in the outbox, due when the pause ends, so no drain waits minutes.
MAX_PAUSE_IN_MEMORY_SECONDS = 60.0
# Rate-limit responses for one job before its rows go back to the outbox.
MAX_WAITS = 10
# Moves for one job: a chat that keeps moving is failed rather than chased.
MAX_MOVES = 3


@dataclass
class Counts:
    """How many cards a drain sent, failed and queued again."""

    sent: int = 0
    failed: int = 0
    retried: int = 0

    @property
    def total(self) -> int:
        """All outcomes together."""
        return self.sent + self.failed + self.retried


class Outcomes:
    """Try a job, then record what happened: sent, retried, put back, moved or failed."""

    def __init__(self, sender: Sender, chats: dict[int, Chat],
                 scheduler: FairScheduler[int, Job]) -> None:
        self._sender = sender
        self._outbox = sender.store.outbox
        self._chats = chats
        self._scheduler = scheduler
        self.counts = Counts()

    def translator(self, chat: Chat) -> Translator:
        """Return the translator for ``chat``'s language."""
        return get_translator(chat.language or self._sender.default_language)

    async def attempt(self, job: Job) -> None:
        """Send ``job`` once and record the outcome."""
        chat = self._chats[job.chat_pk]
        messenger = self._sender.messengers[chat.ref.platform]
        job.tries += 1
        try:
            message_id = await self._send(job, chat, messenger)
        except DeliveryError as error:
            await self._on_error(job, chat, error)
            return
        if job.kind is JobKind.SUMMARY:
            await self._open_thread(job, chat, message_id)
            return
        # Buffered with no await since the response, so no cancellation can come between.
        self._sender.ledger.sent([(delivery.id, message_id) for delivery in job.deliveries])
        now = self._sender.clock()
        for delivery in job.deliveries:
            self._sender.metrics.observe_sent(chat.ref.platform, due_at=delivery.due_at, now=now)
        self.counts.sent += len(job.deliveries)
        logger.debug("sent chat=%s arxiv_id=%s message_id=%s", chat.ref, job.keys, message_id)

    async def fail_rows(self, chat: Chat, deliveries: list[Delivery], reason: str) -> None:
        """Record rows as failed for ``reason``, logging each as dropped work."""
        for delivery in deliveries:
            await self._outbox.mark_failed(delivery.id, reason=reason)
            logger.critical("card dropped chat=%s arxiv_id=%s attempts=%d reason=%s", chat.ref,
                            delivery.paper_key, delivery.attempts, reason)
        self._sender.metrics.cards_failed.labels(platform=chat.ref.platform).inc(len(deliveries))
        self.counts.failed += len(deliveries)

    def keep_started(self, job: Job, started: set[int]) -> bool:
        """Drop the job's rows that did not move to ``in_flight``; False if none did.

        Such a row's claim was taken over by another sender, which sends it instead.
        """
        if all(delivery.id in started for delivery in job.deliveries):
            return True
        logger.warning("cards skipped, their claim was taken over chat_pk=%s arxiv_id=%s",
                       job.chat_pk, job.keys)
        pairs = [(delivery, paper) for delivery, paper in zip(job.deliveries, job.papers,
                                                              strict=True)
                 if delivery.id in started]
        job.deliveries = [delivery for delivery, _ in pairs]
        job.papers = [paper for _, paper in pairs]
        return bool(job.deliveries)

    async def _send(self, job: Job, chat: Chat, messenger: Messenger) -> str:
        t = self.translator(chat)
        target = Target(chat.ref, job.thread_id)
        if job.kind is JobKind.SUMMARY:
            assert isinstance(messenger, ThreadMessenger)  # noqa: S101  # see build_jobs
            return await messenger.send_summary(target, job.papers, t=t, date=job.date)
        try:
            if job.kind is JobKind.DIGEST:
                return await messenger.send_digest(target, job.papers, t=t, date=job.date,
                                                   part=job.part, parts=job.parts)
            return await messenger.send_card(target, job.papers[0], t=t)
        except MessageRejected as error:
            if isinstance(error, MessageTooLong):
                raise
            logger.warning("%s rejected, sending plain text chat=%s arxiv_id=%s error=%s",
                           job.kind.value, chat.ref, job.keys, error)
        if job.kind is JobKind.DIGEST:
            return await messenger.send_text(target, digest_text(
                job.papers, t=t, date=job.date, part=job.part, parts=job.parts))
        return await messenger.send_plain_card(target, job.papers[0], t=t)

    async def _open_thread(self, job: Job, chat: Chat, thread_id: str) -> None:
        # NOTE: a crash between the summary post and this write posts the summary again
        # on restart; the cards themselves still go out once.
        await self._outbox.set_thread(job.ids, thread_id)
        for card in reversed(thread_cards(job, thread_id)):
            self._scheduler.add(job.chat_pk, card, first=True)
        logger.debug("thread opened chat=%s thread_id=%s cards=%d", chat.ref, thread_id,
                     len(job.deliveries))

    async def _on_error(self, job: Job, chat: Chat, error: DeliveryError) -> None:
        action = action_for(error)
        platform = chat.ref.platform
        if action is Action.WAIT:
            assert isinstance(error, RateLimited)  # noqa: S101  # action_for's contract
            self._sender.metrics.rate_limited.labels(platform=platform).inc()
            job.waits += 1
            logger.warning("rate limited, resending chat=%s arxiv_id=%s retry_after=%.1fs "
                           "attempt=%d", chat.ref, job.keys, error.retry_after, job.tries)
            await self._retry(job, chat, error, delay=error.retry_after,
                              in_memory=job.waits <= MAX_WAITS)
        elif action is Action.BACK_OFF:
            job.failures += 1
            if job.failures >= self._sender.max_attempts:
                await self._fail(job, chat, f"gave up after {job.failures} tries: {error}")
                return
            delay = backoff_delay(job.failures, rng=self._sender.rng,
                                  base=self._sender.retry_base_seconds)
            logger.warning("send failed, retrying chat=%s arxiv_id=%s attempt=%d delay=%.1fs "
                           "error=%s", chat.ref, job.keys, job.tries, delay, error)
            await self._retry(job, chat, error, delay=delay, in_memory=True)
        elif action is Action.DEACTIVATE:
            await self._deactivate(job, chat, error)
        elif action is Action.MOVE:
            assert isinstance(error, ChatMoved)  # noqa: S101  # action_for's contract
            await self._move(job, chat, error)
        elif job.kind is JobKind.SUMMARY:
            logger.warning("thread summary rejected, sending the cards without a thread "
                           "chat=%s error=%s", chat.ref, error)
            for card in reversed(thread_cards(job, job.thread_id)):
                self._scheduler.add(job.chat_pk, card, first=True)
        else:
            await self._fail(job, chat, str(error))

    async def _retry(self, job: Job, chat: Chat, error: DeliveryError, *, delay: float,
                     in_memory: bool) -> None:
        """Resend the job after ``delay`` seconds, keeping the chat's cards in order."""
        self._sender.metrics.cards_retried.labels(platform=chat.ref.platform).inc(
            len(job.deliveries))
        self.counts.retried += len(job.deliveries)
        self._sender.limiter(chat).pause(chat.ref.chat_id, delay)
        reason = str(error)
        if in_memory and delay <= MAX_PAUSE_IN_MEMORY_SECONDS:
            if job.kind is not JobKind.SUMMARY:
                for delivery in job.deliveries:
                    await self._outbox.requeue(delivery.id, reason=reason)
            self._scheduler.add(job.chat_pk, job, first=True)
            return
        due_at = self._sender.clock() + dt.timedelta(seconds=delay)
        for delivery in job.deliveries:
            await self._outbox.retry_at(delivery.id, due_at=due_at, reason=reason)
        queued = [delivery_id for queued_job in self._scheduler.drop(job.chat_pk)
                  for delivery_id in queued_job.ids]
        await self._outbox.release(queued, due_at=due_at)
        logger.warning("chat paused, cards back in the queue chat=%s cards=%d due_at=%s",
                       chat.ref, len(job.deliveries) + len(queued), due_at.isoformat())

    async def _deactivate(self, job: Job, chat: Chat, error: DeliveryError) -> None:
        """Pause the chat; its cards wait in the queue until a command from it resumes it."""
        await self._sender.store.chats.set_active(chat.pk, active=False, reason=str(error))
        for delivery in job.deliveries:
            await self._outbox.retry_at(delivery.id, due_at=delivery.due_at, reason=str(error))
        queued = [delivery_id for queued_job in self._scheduler.drop(chat.pk)
                  for delivery_id in queued_job.ids]
        await self._outbox.release(queued)
        # One line per chat, not per card: the chat, not the card, is the problem.
        logger.warning("chat paused chat=%s cards_waiting=%d error=%s", chat.ref,
                       len(job.deliveries) + len(queued), error)

    async def _move(self, job: Job, chat: Chat, error: ChatMoved) -> None:
        job.moves += 1
        if job.moves > MAX_MOVES:
            await self._fail(job, chat, f"the chat moved {job.moves} times: {error}")
            return
        try:
            await self._sender.store.chats.move(chat.pk, error.new_chat_id)
        except IntegrityError:
            await self._fail(job, chat, f"the chat moved to {error.new_chat_id}, which is "
                                        "already stored as another chat")
            return
        moved = dataclasses.replace(chat, ref=ChatRef(chat.ref.platform, error.new_chat_id))
        self._chats[chat.pk] = moved
        logger.warning("chat moved, resending there chat=%s new_chat_id=%s", chat.ref,
                       error.new_chat_id)
        if job.kind is not JobKind.SUMMARY:
            for delivery in job.deliveries:
                await self._outbox.requeue(delivery.id, reason=str(error))
        self._scheduler.add(job.chat_pk, job, first=True)

    async def _fail(self, job: Job, chat: Chat, reason: str) -> None:
        await self.fail_rows(chat, job.deliveries, reason)

