"""The delivery outbox and ledger: which card is due to which chat, and what became of it.

States: ``pending`` (due at ``due_at``), ``sending`` (claimed by the sender instance named
in ``claimed_by``), ``in_flight`` (that sender has started the request), ``sent``
(``message_id`` recorded) and ``failed`` (``last_error`` says why). A row only leaves
``pending`` through ``claim``, an atomic compare-and-set, so one card is sent by one sender.
A sender sends a card only after ``start_send`` moved it from ``sending`` to ``in_flight``
under its own claim, which is what lets ``recover`` give never-attempted cards of a dead
instance back to ``pending`` without risking a second copy.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import socket
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.clock import as_utc
from bot.store.database import Database
from bot.store.schema import ChatRow, DeliveryRow

PENDING, SENDING, IN_FLIGHT, SENT, FAILED = "pending", "sending", "in_flight", "sent", "failed"
# A claim older than this is recovered even when its instance still looks alive: no send
# takes that long, so the instance is stuck. Fifteen minutes is a judgement, not a measurement.
CLAIM_LEASE = dt.timedelta(minutes=15)
_INSERT_BATCH = 500


@dataclass(frozen=True, slots=True)
class DueCard:
    """A card to enqueue: one paper of one digest for one chat."""

    digest_date: dt.date
    paper_key: str
    chat_pk: int
    due_at: dt.datetime
    thread_id: str | None = None
    mode: str = "cards"


@dataclass(frozen=True, slots=True)
class Delivery:
    """A row of the outbox."""

    id: int
    digest_date: dt.date
    paper_key: str
    chat_pk: int
    thread_id: str | None
    state: str
    due_at: dt.datetime
    attempts: int
    last_error: str | None
    message_id: str | None
    mode: str = "cards"


@dataclass(frozen=True, slots=True)
class ChatQueue:
    """One chat's cards: those of one digest by state, and every card it still waits for."""

    states: dict[str, int]
    last_sent_at: dt.datetime | None
    last_failure: str | None
    waiting: int
    next_due_at: dt.datetime | None
    next_due_error: str | None


@dataclass(frozen=True, slots=True)
class Recovered:
    """The outcome of ``recover``: the claims it returned to the queue and those it failed."""

    released: list[Delivery]
    failed: list[Delivery]


@dataclass(frozen=True, slots=True)
class OutboxSummary:
    """The queue at a glance: pending rows and the due time of the oldest one that is due."""

    pending: int
    oldest_due_at: dt.datetime | None


def new_instance_id() -> str:
    """Return an id for this process, unique across restarts: ``host-pid-random``."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


class Outbox:
    """Enqueue due cards, claim them for sending, and record the outcome.

    ``instance_id`` is written to ``claimed_by`` on every claim; ``start_send`` and
    ``release`` act only on rows claimed under it.
    """

    def __init__(self, db: Database, *, instance_id: str | None = None) -> None:
        self._db = db
        self.instance_id = instance_id or new_instance_id()

    async def enqueue(self, cards: Sequence[DueCard], *, now: dt.datetime) -> int:
        """Add cards not already in the ledger and return how many were new.

        A card already present in any state is left untouched, which is what keeps a
        republished digest from sending its papers a second time.
        """
        insert = postgresql.insert if self._db.dialect == "postgresql" else sqlite.insert
        added = 0
        async with self._db.session() as session, session.begin():
            for start in range(0, len(cards), _INSERT_BATCH):
                batch = cards[start:start + _INSERT_BATCH]
                statement = insert(DeliveryRow).values([
                    {"digest_date": card.digest_date, "paper_key": card.paper_key,
                     "chat_pk": card.chat_pk, "thread_id": card.thread_id, "mode": card.mode,
                     "state": PENDING,
                     "due_at": card.due_at, "attempts": 0, "created_at": now}
                    for card in batch
                ]).on_conflict_do_nothing().returning(DeliveryRow.id)
                result = await session.execute(statement)
                added += len(result.all())
        return added

    async def claim(self, *, platforms: Sequence[str], now: dt.datetime, limit: int = 100,
                    chats: Collection[int] | None = None,
                    skip_chats: Collection[int] = ()) -> list[Delivery]:
        """Move up to ``limit`` due rows of active chats to ``sending`` and return them.

        ``chats`` restricts the claim to those chats; ``skip_chats`` leaves those out.
        """
        async with self._db.session() as session, session.begin():
            candidates = (
                select(DeliveryRow.id)
                .join(ChatRow, ChatRow.id == DeliveryRow.chat_pk)
                .where(DeliveryRow.state == PENDING, DeliveryRow.due_at <= now,
                       ChatRow.active.is_(True), ChatRow.platform.in_(platforms))
                .order_by(DeliveryRow.due_at, DeliveryRow.id)
                .limit(limit)
            )
            if chats is not None:
                candidates = candidates.where(DeliveryRow.chat_pk.in_(list(chats)))
            if skip_chats:
                candidates = candidates.where(DeliveryRow.chat_pk.not_in(list(skip_chats)))
            if self._db.dialect == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True, of=DeliveryRow)
            ids = list(await session.scalars(candidates))
            if not ids:
                return []
            claimed = await session.scalars(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(ids), DeliveryRow.state == PENDING)
                .values(state=SENDING, claimed_at=now, claimed_by=self.instance_id,
                        attempts=DeliveryRow.attempts + 1)
                .returning(DeliveryRow))
            return sorted((_delivery(row) for row in claimed), key=lambda d: (d.due_at, d.id))

    async def start_send(self, delivery_id: int, *, now: dt.datetime) -> bool:
        """Move a card this instance claimed to ``in_flight``; False if the claim was lost.

        Call it right before the send request. False means ``recover`` gave the card to
        another sender meanwhile, so it must not be sent from here.
        """
        async with self._db.session() as session, session.begin():
            result = await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.state == SENDING,
                       DeliveryRow.claimed_by == self.instance_id)
                .values(state=IN_FLIGHT, claimed_at=now))
            return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult

    async def start_sends(self, delivery_ids: Sequence[int], *, now: dt.datetime,
                          sent: Sequence[tuple[int, str | None]] = ()) -> set[int]:
        """Move claimed cards to ``in_flight`` in one transaction, like ``start_send``.

        ``sent`` (row id, message id) pairs are recorded as in ``mark_sent_many`` in the
        same transaction, which saves one per batch. Returns the ids that moved; the
        others' claims were lost and must not be sent.
        """
        if not delivery_ids and not sent:
            return set()
        async with self._db.session() as session, session.begin():
            if sent:
                await session.execute(update(DeliveryRow), _sent_values(sent, now))
            if not delivery_ids:
                return set()
            moved = await session.scalars(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(list(delivery_ids)), DeliveryRow.state == SENDING,
                       DeliveryRow.claimed_by == self.instance_id)
                .values(state=IN_FLIGHT, claimed_at=now)
                .returning(DeliveryRow.id))
            return set(moved)

    async def mark_sent(self, delivery_id: int, *, message_id: str | None,
                        now: dt.datetime) -> None:
        """Record that a card arrived."""
        await self._set(delivery_id, state=SENT, message_id=message_id, sent_at=now,
                        last_error=None)

    async def mark_sent_many(self, sent: Sequence[tuple[int, str | None]], *,
                             now: dt.datetime) -> None:
        """Record that cards arrived, given as (row id, message id) pairs, in one transaction."""
        if not sent:
            return
        async with self._db.session() as session, session.begin():
            await session.execute(update(DeliveryRow), _sent_values(sent, now))

    async def requeue(self, delivery_id: int, *, reason: str) -> bool:
        """Move an ``in_flight`` card of this instance back to ``sending`` for another try.

        The card stays claimed, so this sender retries it; should the instance stop
        first, ``recover`` returns it to ``pending`` as never attempted, which is true
        because the try that failed provably did not deliver it. False if the claim was lost.
        """
        async with self._db.session() as session, session.begin():
            result = await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id == delivery_id, DeliveryRow.state == IN_FLIGHT,
                       DeliveryRow.claimed_by == self.instance_id)
                .values(state=SENDING, last_error=reason, attempts=DeliveryRow.attempts + 1))
            return bool(result.rowcount)  # type: ignore[attr-defined]  # CursorResult

    async def set_thread(self, delivery_ids: Sequence[int], thread_id: str) -> None:
        """Record the thread that cards go into, once its opening post was sent."""
        async with self._db.session() as session, session.begin():
            await session.execute(
                update(DeliveryRow).where(DeliveryRow.id.in_(delivery_ids))
                .values(thread_id=thread_id))

    async def mark_failed(self, delivery_id: int, *, reason: str) -> None:
        """Record that a card will not be sent, and why."""
        await self._set(delivery_id, state=FAILED, last_error=reason)

    async def retry_at(self, delivery_id: int, *, due_at: dt.datetime, reason: str) -> None:
        """Put a claimed card back in the queue, due again at ``due_at``."""
        await self._set(delivery_id, state=PENDING, due_at=due_at, last_error=reason)

    async def release(self, delivery_ids: Sequence[int], *,
                      due_at: dt.datetime | None = None) -> None:
        """Return claimed cards that were never attempted to ``pending``, optionally later."""
        if not delivery_ids:
            return
        values: dict[str, Any] = {"state": PENDING, "attempts": DeliveryRow.attempts - 1,
                                  "claimed_by": None}
        if due_at is not None:
            values["due_at"] = due_at
        async with self._db.session() as session, session.begin():
            await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.id.in_(delivery_ids), DeliveryRow.state == SENDING,
                       DeliveryRow.claimed_by == self.instance_id)
                .values(**values))

    async def claim_owners(self) -> set[str | None]:
        """Return the ``claimed_by`` values of rows in ``sending`` or ``in_flight``."""
        async with self._db.session() as session:
            owners = await session.scalars(
                select(DeliveryRow.claimed_by).distinct()
                .where(DeliveryRow.state.in_((SENDING, IN_FLIGHT))))
            return set(owners)

    async def recover(self, *, alive: Collection[str], now: dt.datetime,
                      lease: dt.timedelta = CLAIM_LEASE) -> Recovered:
        """Take back the claims of instances not in ``alive`` and claims older than ``lease``.

        A card still in ``sending`` was never attempted and returns to ``pending``. A card
        in ``in_flight`` may or may not have reached the chat, and the Bot API offers no
        way to ask, so it is marked failed rather than risk a second copy. Rows claimed
        before claims carried an owner (``claimed_by`` empty) count as attempted.
        """
        expired = now - lease
        orphaned = or_(DeliveryRow.claimed_by.is_(None),
                       DeliveryRow.claimed_by.not_in(list(alive)),
                       DeliveryRow.claimed_at < expired)
        reason = "interrupted while sending; it may have arrived, so it was not sent again"
        async with self._db.session() as session, session.begin():
            released = await session.scalars(
                update(DeliveryRow)
                .where(DeliveryRow.state == SENDING, DeliveryRow.claimed_by.is_not(None),
                       orphaned)
                .values(state=PENDING, claimed_by=None, attempts=DeliveryRow.attempts - 1)
                .returning(DeliveryRow))
            released_rows = [_delivery(row) for row in released]
            failed = await session.scalars(
                update(DeliveryRow)
                .where(DeliveryRow.state.in_((SENDING, IN_FLIGHT)), orphaned)
                .values(state=FAILED, last_error=reason)
                .returning(DeliveryRow))
            return Recovered(released=released_rows, failed=[_delivery(row) for row in failed])

    async def summary(self, *, now: dt.datetime) -> OutboxSummary:
        """Count pending rows and find the oldest due time among those due by ``now``."""
        async with self._db.session() as session:
            pending = await session.scalar(
                select(func.count()).where(DeliveryRow.state == PENDING))
            oldest = await session.scalar(
                select(func.min(DeliveryRow.due_at))
                .where(DeliveryRow.state == PENDING, DeliveryRow.due_at <= now))
            return OutboxSummary(pending=pending or 0, oldest_due_at=oldest)

    async def for_chat(self, chat_pk: int, digest_date: dt.date) -> list[Delivery]:
        """Return the rows of one chat for one digest."""
        async with self._db.session() as session:
            rows = await session.scalars(select(DeliveryRow).where(
                DeliveryRow.chat_pk == chat_pk, DeliveryRow.digest_date == digest_date)
                .order_by(DeliveryRow.id))
            return [_delivery(row) for row in rows]

    async def chat_queue(self, chat_pk: int, digest_date: dt.date) -> ChatQueue:
        """Return how one chat's cards of ``digest_date`` fared and what the chat waits for.

        ``waiting`` and ``next_due_at`` count the pending cards of every digest, and
        ``next_due_error`` is why the next of them was last put back, if it was.
        """
        of_digest = (DeliveryRow.chat_pk == chat_pk, DeliveryRow.digest_date == digest_date)
        pending = (DeliveryRow.chat_pk == chat_pk, DeliveryRow.state == PENDING)
        async with self._db.session() as session:
            states = {state: count for state, count in await session.execute(
                select(DeliveryRow.state, func.count()).where(*of_digest)
                .group_by(DeliveryRow.state))}
            last_sent_at = await session.scalar(
                select(func.max(DeliveryRow.sent_at)).where(*of_digest, DeliveryRow.state == SENT))
            last_failure = await session.scalar(
                select(DeliveryRow.last_error).where(*of_digest, DeliveryRow.state == FAILED)
                .order_by(DeliveryRow.id.desc()).limit(1))
            waiting = await session.scalar(select(func.count()).where(*pending))
            next_row = (await session.execute(
                select(DeliveryRow.due_at, DeliveryRow.last_error).where(*pending)
                .order_by(DeliveryRow.due_at, DeliveryRow.id).limit(1))).first()
        return ChatQueue(
            states=states, last_sent_at=None if last_sent_at is None else as_utc(last_sent_at),
            last_failure=last_failure, waiting=int(waiting or 0),
            next_due_at=None if next_row is None else as_utc(next_row.due_at),
            next_due_error=None if next_row is None else next_row.last_error)

    async def retime(self, chat_pk: int,
                     due_at: Callable[[dt.datetime], dt.datetime]) -> list[dt.datetime]:
        """Give a chat's pending cards new due times; return the new time of each card.

        ``due_at`` maps the time a card was queued to its new due time. A card that a
        sender claims meanwhile keeps its state and is left out of the result.
        """
        async with self._db.session() as session, session.begin():
            rows = await session.execute(select(DeliveryRow.id, DeliveryRow.created_at).where(
                DeliveryRow.chat_pk == chat_pk, DeliveryRow.state == PENDING))
            by_queued_at: dict[dt.datetime, list[int]] = defaultdict(list)
            for delivery_id, created_at in rows:
                by_queued_at[as_utc(created_at)].append(delivery_id)
            retimed: list[dt.datetime] = []
            for queued_at, ids in by_queued_at.items():
                new_due_at = due_at(queued_at)
                result = await session.execute(
                    update(DeliveryRow)
                    .where(DeliveryRow.id.in_(ids), DeliveryRow.state == PENDING)
                    .values(due_at=new_due_at))
                retimed.extend([new_due_at] * int(getattr(result, "rowcount", 0) or 0))
            return retimed

    async def set_pending_mode(self, chat_pk: int, mode: str) -> int:
        """Set the delivery mode of a chat's pending cards; return how many cards that was."""
        async with self._db.session() as session, session.begin():
            result = await session.execute(
                update(DeliveryRow)
                .where(DeliveryRow.chat_pk == chat_pk, DeliveryRow.state == PENDING)
                .values(mode=mode))
            return int(getattr(result, "rowcount", 0) or 0)

    async def count_by_state(self) -> dict[str, int]:
        """Return how many rows are in each state."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(DeliveryRow.state, func.count()).group_by(DeliveryRow.state))
            return {state: count for state, count in rows}

    async def _set(self, delivery_id: int, **values: Any) -> None:
        async with self._db.session() as session, session.begin():
            await session.execute(
                update(DeliveryRow).where(DeliveryRow.id == delivery_id).values(**values))


def _sent_values(sent: Sequence[tuple[int, str | None]],
                 now: dt.datetime) -> list[dict[str, Any]]:
    return [{"id": delivery_id, "state": SENT, "message_id": message_id, "sent_at": now,
             "last_error": None} for delivery_id, message_id in sent]


def _delivery(row: DeliveryRow) -> Delivery:
    return Delivery(id=row.id, digest_date=row.digest_date, paper_key=row.paper_key,
                    chat_pk=row.chat_pk, thread_id=row.thread_id, state=row.state,
                    due_at=row.due_at, attempts=row.attempts, last_error=row.last_error,
                    message_id=row.message_id, mode=row.mode)
