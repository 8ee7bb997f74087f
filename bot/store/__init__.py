"""Persistence: digests, chats and subscriptions, and the delivery outbox."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.chats import Chat, ChatRef, ChatStore, Subscription
from bot.store.database import Database
from bot.store.digests import DigestStore
from bot.store.outbox import Delivery, DueCard, Outbox
from bot.store.sources import SourceFileStore


@dataclass(frozen=True)
class Store:
    """Every repository over one database."""

    db: Database
    digests: DigestStore
    chats: ChatStore
    outbox: Outbox
    sources: SourceFileStore

    @classmethod
    def open(cls, database_url: str) -> Store:
        """Build the repositories over ``database_url``; call ``db.connect()`` before use."""
        db = Database(database_url)
        return cls(db=db, digests=DigestStore(db), chats=ChatStore(db), outbox=Outbox(db),
                   sources=SourceFileStore(db))


__all__ = ["Chat", "ChatRef", "ChatStore", "Database", "Delivery", "DigestStore", "DueCard",
           "Outbox", "SourceFileStore", "Store", "Subscription"]
