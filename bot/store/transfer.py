"""Export chats with their subscriptions as a YAML document, and import such a document.

The document is for backups and for moving between SQLite and PostgreSQL::

    version: 1
    chats:
    - platform: telegram
      chat_id: '5001'
      kind: private
      language: en
      timezone: null
      push_time: '09:00'
      quiet_start: null
      quiet_end: null
      active: true
      inactive_reason: null
      subscriptions:
      - rule: org:Google
        thread_id: null
        mode: cards

Chats are written sorted by platform and chat id, subscriptions in ``/list`` order, so
exporting the same data twice gives the same text. Importing adds what the database
lacks and deletes nothing; ``bot.store.transfer_file`` reads and checks the document.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import FilterSyntaxError
from bot.matcher.filters import parse_rule
from bot.store import Store
from bot.store.schema import ChatRow, SubscriptionRow
from bot.store.transfer_file import (
    FORMAT_VERSION,
    ChatRecord,
    SubscriptionRecord,
    TransferError,
    load,
)

__all__ = ["ChatRecord", "ImportReport", "SubscriptionRecord", "TransferError", "dump",
           "export_chats", "import_chats", "load"]

# Chat columns an import sets on an existing chat; platform and chat id identify it.
_CHAT_SETTINGS = ("kind", "language", "timezone", "push_time", "quiet_start", "quiet_end",
                  "active", "inactive_reason")


@dataclass
class ImportReport:
    """Counts of the chats and subscriptions an import added, updated or left unchanged."""

    chats_added: int = 0
    chats_updated: int = 0
    chats_unchanged: int = 0
    subscriptions_added: int = 0
    subscriptions_updated: int = 0
    subscriptions_unchanged: int = 0

    def __str__(self) -> str:
        return (f"chats: {self.chats_added} added, {self.chats_updated} updated, "
                f"{self.chats_unchanged} unchanged; subscriptions: {self.subscriptions_added} "
                f"added, {self.subscriptions_updated} updated, {self.subscriptions_unchanged} "
                "unchanged")


async def export_chats(store: Store) -> list[ChatRecord]:
    """Return every chat with its settings and subscriptions, sorted by platform and chat id."""
    async with store.db.session() as session:
        chats = list(await session.scalars(
            select(ChatRow).order_by(ChatRow.platform, ChatRow.chat_id)))
        subscriptions = await session.scalars(
            select(SubscriptionRow).order_by(SubscriptionRow.id))
        by_chat: dict[int, list[SubscriptionRecord]] = {}
        for row in subscriptions:
            by_chat.setdefault(row.chat_pk, []).append(
                SubscriptionRecord(rule=row.rule, thread_id=row.thread_id, mode=row.mode))
    return [ChatRecord(platform=chat.platform, chat_id=chat.chat_id, kind=chat.kind,
                       language=chat.language, timezone=chat.timezone, push_time=chat.push_time,
                       quiet_start=chat.quiet_start, quiet_end=chat.quiet_end,
                       active=chat.active, inactive_reason=chat.inactive_reason,
                       subscriptions=tuple(by_chat.get(chat.id, [])))
            for chat in chats]


def dump(chats: list[ChatRecord]) -> str:
    """Write ``chats`` as the YAML document that ``load`` reads."""
    document = {
        "version": FORMAT_VERSION,
        "chats": [{
            "platform": chat.platform,
            "chat_id": chat.chat_id,
            **{name: getattr(chat, name) for name in _CHAT_SETTINGS},
            "subscriptions": [{"rule": subscription.rule, "thread_id": subscription.thread_id,
                               "mode": subscription.mode}
                              for subscription in chat.subscriptions],
        } for chat in chats],
    }
    header = "# paperbot chats and subscriptions; load with `paperbot subscriptions import`\n"
    return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False,
                                   default_flow_style=False)


async def import_chats(store: Store, chats: list[ChatRecord], *,
                       now: dt.datetime) -> ImportReport:
    """Add the chats and subscriptions the database lacks, in one transaction.

    A chat already stored (same platform and chat id) takes the settings from the
    document. A subscription already stored for the chat (the same rule in canonical
    form, compared case-insensitively as ``/subscribe`` does, in the same thread) takes
    the document's mode. Nothing is deleted, so importing the same document twice changes nothing.
    """
    report = ImportReport()
    async with store.db.session() as session, session.begin():
        for chat in chats:
            row = await _import_chat(session, chat, report, now=now)
            await _import_subscriptions(session, row, chat, report, now=now)
    return report


async def _import_chat(session: AsyncSession, chat: ChatRecord, report: ImportReport, *,
                       now: dt.datetime) -> ChatRow:
    settings = {name: getattr(chat, name) for name in _CHAT_SETTINGS}
    row = await session.scalar(select(ChatRow).where(
        ChatRow.platform == chat.platform, ChatRow.chat_id == chat.chat_id))
    if row is None:
        row = ChatRow(platform=chat.platform, chat_id=chat.chat_id, created_at=now, **settings)
        session.add(row)
        await session.flush()
        report.chats_added += 1
        return row
    changed = {name: value for name, value in settings.items() if getattr(row, name) != value}
    for name, value in changed.items():
        setattr(row, name, value)
    if changed:
        report.chats_updated += 1
    else:
        report.chats_unchanged += 1
    return row


async def _import_subscriptions(session: AsyncSession, row: ChatRow, chat: ChatRecord,
                                report: ImportReport, *, now: dt.datetime) -> None:
    stored = await session.scalars(select(SubscriptionRow).where(
        SubscriptionRow.chat_pk == row.id).order_by(SubscriptionRow.id))
    existing = {(_canonical(subscription.rule), subscription.thread_id): subscription
                for subscription in stored}
    for subscription in chat.subscriptions:
        match = existing.get((_canonical(subscription.rule), subscription.thread_id))
        if match is None:
            session.add(SubscriptionRow(chat_pk=row.id, rule=subscription.rule,
                                        thread_id=subscription.thread_id,
                                        mode=subscription.mode, created_at=now))
            report.subscriptions_added += 1
        elif match.mode != subscription.mode:
            match.mode = subscription.mode
            report.subscriptions_updated += 1
        else:
            report.subscriptions_unchanged += 1
    # Flushed per chat so the rows are inserted in document order, which is /list order.
    await session.flush()


def _canonical(rule: str) -> str:
    # A stored rule that no longer parses is compared as written.
    try:
        return parse_rule(rule).to_text().casefold()
    except FilterSyntaxError:
        return rule.casefold()
