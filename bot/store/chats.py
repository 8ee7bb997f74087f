"""Chats, their settings and their subscription rules."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.clock import as_utc
from bot.store.database import Database
from bot.store.schema import ChatRow, SubscriptionRow


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A chat as the platforms name it: platform plus the platform's chat id."""

    platform: str
    chat_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.chat_id}"


@dataclass(frozen=True, slots=True)
class Chat:
    """A stored chat."""

    pk: int
    ref: ChatRef
    kind: str
    language: str | None
    active: bool
    inactive_reason: str | None
    timezone: str | None = None
    push_time: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A stored subscription; ``rule`` is the canonical filter text."""

    id: int
    chat_pk: int
    rule: str
    thread_id: str | None
    mode: str = "cards"
    created_at: dt.datetime | None = None


class ChatStore:
    """Create chats, change their settings, and keep their subscriptions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def ensure(self, ref: ChatRef, *, kind: str, now: dt.datetime) -> Chat:
        """Return the chat for ``ref``, creating it on first contact."""
        chat = await self.find(ref)
        if chat is not None:
            return chat
        try:
            async with self._db.session() as session, session.begin():
                session.add(ChatRow(platform=ref.platform, chat_id=ref.chat_id, kind=kind,
                                    active=True, created_at=now))
        except IntegrityError:
            pass  # Another task created it between our read and write.
        chat = await self.find(ref)
        assert chat is not None  # noqa: S101  # the row exists after the insert above
        return chat

    async def find(self, ref: ChatRef) -> Chat | None:
        """Return the chat for ``ref``, or None."""
        async with self._db.session() as session:
            row = await session.scalar(select(ChatRow).where(
                ChatRow.platform == ref.platform, ChatRow.chat_id == ref.chat_id))
            return None if row is None else _chat(row)

    async def find_platform_chat(self, platform: str, chat_id: str) -> Chat | None:
        """Return the chat with ``chat_id`` on ``platform``, or None."""
        return await self.find(ChatRef(platform, chat_id))

    async def by_pk(self, pks: list[int]) -> dict[int, Chat]:
        """Return the chats with the primary keys ``pks``."""
        async with self._db.session() as session:
            rows = await session.scalars(select(ChatRow).where(ChatRow.id.in_(pks)))
            return {row.id: _chat(row) for row in rows}

    async def set_language(self, pk: int, language: str) -> None:
        """Set the reply language of a chat."""
        await self._update(pk, language=language)

    async def set_timezone(self, pk: int, timezone: str | None) -> None:
        """Set a chat's IANA time zone; None returns it to the ``TIMEZONE`` setting."""
        await self._update(pk, timezone=timezone)

    async def set_push_time(self, pk: int, push_time: str | None) -> None:
        """Set a chat's local push time as ``HH:MM``; None sends as soon as a digest is stored."""
        await self._update(pk, push_time=push_time)

    async def set_quiet_hours(self, pk: int, start: str | None, end: str | None) -> None:
        """Set a chat's quiet hours as ``HH:MM`` start and end; None for both clears them."""
        await self._update(pk, quiet_start=start, quiet_end=end)

    async def set_active(self, pk: int, *, active: bool, reason: str | None = None) -> None:
        """Resume or pause deliveries to a chat; ``reason`` says why it was paused."""
        await self._update(pk, active=active, inactive_reason=None if active else reason)

    async def move(self, pk: int, new_chat_id: str) -> None:
        """Give a chat a new platform id, as when a Telegram group becomes a supergroup."""
        await self._update(pk, chat_id=new_chat_id)

    async def add_subscription(self, pk: int, rule: str, *, thread_id: str | None,
                               now: dt.datetime, mode: str | None = None) -> Subscription:
        """Store a rule for a chat and return it.

        Without ``mode``, the new rule takes the mode that all the chat's subscriptions
        share, so a chat switched to one mode with ``/mode`` stays in it. When their modes
        differ, or the chat has none, the new rule gets ``cards``.
        """
        async with self._db.session() as session, session.begin():
            if mode is None:
                modes = set(await session.scalars(select(SubscriptionRow.mode).where(
                    SubscriptionRow.chat_pk == pk)))
                mode = modes.pop() if len(modes) == 1 else "cards"
            row = SubscriptionRow(chat_pk=pk, rule=rule, thread_id=thread_id, mode=mode,
                                  created_at=now)
            session.add(row)
            await session.flush()
            return _subscription(row)

    async def subscriptions(self, pk: int) -> list[Subscription]:
        """Return a chat's subscriptions in the order ``/list`` numbers them."""
        async with self._db.session() as session:
            rows = await session.scalars(select(SubscriptionRow).where(
                SubscriptionRow.chat_pk == pk).order_by(SubscriptionRow.id))
            return [_subscription(row) for row in rows]

    async def remove_subscription(self, subscription_id: int) -> None:
        """Delete one subscription."""
        async with self._db.session() as session, session.begin():
            await session.execute(delete(SubscriptionRow).where(
                SubscriptionRow.id == subscription_id))

    async def remove_all_subscriptions(self, pk: int) -> int:
        """Delete every subscription of a chat and return how many there were."""
        async with self._db.session() as session, session.begin():
            result = await session.execute(delete(SubscriptionRow).where(
                SubscriptionRow.chat_pk == pk))
            return int(getattr(result, "rowcount", 0) or 0)

    async def set_mode(self, pk: int, mode: str) -> int:
        """Set the delivery mode of every subscription of a chat; return how many there are."""
        async with self._db.session() as session, session.begin():
            result = await session.execute(update(SubscriptionRow).where(
                SubscriptionRow.chat_pk == pk).values(mode=mode))
            return int(getattr(result, "rowcount", 0) or 0)

    async def set_subscription_mode(self, subscription_id: int, mode: str) -> None:
        """Set the delivery mode of one subscription."""
        async with self._db.session() as session, session.begin():
            await session.execute(update(SubscriptionRow).where(
                SubscriptionRow.id == subscription_id).values(mode=mode))

    async def active_subscriptions(self) -> list[tuple[Chat, Subscription]]:
        """Return every subscription of every active chat."""
        async with self._db.session() as session:
            rows = await session.execute(
                select(ChatRow, SubscriptionRow)
                .join(SubscriptionRow, SubscriptionRow.chat_pk == ChatRow.id)
                .where(ChatRow.active.is_(True))
                .order_by(ChatRow.id, SubscriptionRow.id))
            return [(_chat(chat), _subscription(sub)) for chat, sub in rows]

    async def _update(self, pk: int, **values: object) -> None:
        async with self._db.session() as session, session.begin():
            await session.execute(update(ChatRow).where(ChatRow.id == pk).values(**values))


def _chat(row: ChatRow) -> Chat:
    return Chat(pk=row.id, ref=ChatRef(row.platform, row.chat_id), kind=row.kind,
                language=row.language, active=row.active, inactive_reason=row.inactive_reason,
                timezone=row.timezone, push_time=row.push_time, quiet_start=row.quiet_start,
                quiet_end=row.quiet_end)


def _subscription(row: SubscriptionRow) -> Subscription:
    return Subscription(id=row.id, chat_pk=row.chat_pk, rule=row.rule, thread_id=row.thread_id,
                        mode=row.mode, created_at=as_utc(row.created_at))
