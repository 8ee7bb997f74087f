"""Database tables: digests and papers, chats and subscriptions, the delivery outbox."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of every paperbot table."""


class DigestRow(Base):
    """A stored digest; one per date, replaced when the same date is published again."""

    __tablename__ = "digests"

    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text)
    paper_count: Mapped[int] = mapped_column(Integer)
    ingested_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class PaperRow(Base):
    """A paper of a stored digest, keyed by digest date and paper key (arXiv id or URL)."""

    __tablename__ = "papers"

    digest_date: Mapped[dt.date] = mapped_column(
        Date, ForeignKey("digests.date", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    # The whole ``Paper`` model as JSON, so new fields need no migration.
    data: Mapped[dict[str, object]] = mapped_column(JSON)


class ChatRow(Base):
    """A chat or channel on one platform that talked to the bot or was subscribed."""

    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("platform", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16), default="private")
    language: Mapped[str | None] = mapped_column(String(8), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    inactive_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Delivery schedule: IANA zone (None: the TIMEZONE setting), local push time "HH:MM"
    # (None: as soon as a digest is stored) and quiet hours "HH:MM" to "HH:MM".
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    push_time: Mapped[str | None] = mapped_column(String(5), default=None)
    quiet_start: Mapped[str | None] = mapped_column(String(5), default=None)
    quiet_end: Mapped[str | None] = mapped_column(String(5), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SubscriptionRow(Base):
    """One filter rule of a chat, stored in its canonical text form."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_pk: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"), index=True)
    rule: Mapped[str] = mapped_column(Text)
    thread_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # How matching papers are sent: "cards", "digest" or (Slack) "thread".
    mode: Mapped[str] = mapped_column(String(16), default="cards")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class DeliveryRow(Base):
    """The delivery ledger and outbox: one row per card due to a chat.

    The unique key (digest date, paper key, chat) is what makes a card go out once:
    planning inserts with "on conflict do nothing", and a sender must move a row from
    ``pending`` to ``sending`` before it sends.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("digest_date", "paper_key", "chat_pk"),
        Index("ix_deliveries_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest_date: Mapped[dt.date] = mapped_column(Date)
    paper_key: Mapped[str] = mapped_column(String(512))
    chat_pk: Mapped[int] = mapped_column(ForeignKey("chats.id", ondelete="CASCADE"))
    thread_id: Mapped[str | None] = mapped_column(String(64), default=None)
    mode: Mapped[str] = mapped_column(String(16), default="cards")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    message_id: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class SourceFileRow(Base):
    """The last version of each digest file seen, so unchanged files are not parsed again."""

    __tablename__ = "source_files"

    path: Mapped[str] = mapped_column(Text, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    digest_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    seen_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
