"""Subscription export and import: round trips across backends, idempotence, malformed files."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import IntegrityError

from bot.matcher.filters import parse_rule
from bot.store import ChatRef, Store, transfer
from bot.store.migrate import VERSION_TABLE
from bot.store.schema import Base, ChatRow
from tests.conftest import POSTGRES_URL

NOW = dt.datetime(2026, 2, 20, 8, 0, tzinfo=dt.UTC)


async def _fresh_store(url: str) -> Store:
    """Open a store over ``url`` with every table dropped and migrated again."""
    store = Store.open(url)
    async with store.db.engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
    await store.db.connect()
    return store


@pytest.fixture
async def postgres_store() -> AsyncIterator[Store]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need PAPERBOT_TEST_POSTGRES_URL")
    store = await _fresh_store(POSTGRES_URL)
    yield store
    await store.db.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    store = await _fresh_store(f"sqlite:///{tmp_path / 'source.db'}")
    yield store
    await store.db.close()


async def _populate(store: Store) -> None:
    """Store chats the way the bot does: commands, a paused chat, a schedule, threads."""
    chats = store.chats
    private = await chats.ensure(ChatRef("telegram", "5001"), kind="private", now=NOW)
    await chats.set_language(private.pk, "en")
    for rule in ("org:Google", 'tag:"Frontier Lab" score>=35', "kw:扩散"):
        await chats.add_subscription(private.pk, parse_rule(rule).to_text(), thread_id=None,
                                     now=NOW)
    group = await chats.ensure(ChatRef("telegram", "-1001234567890"), kind="supergroup", now=NOW)
    await chats.add_subscription(group.pk, "all", thread_id="17", now=NOW)
    await chats.set_active(group.pk, active=False, reason="Forbidden: bot was kicked")
    channel = await chats.ensure(ChatRef("slack", "C0123ABC"), kind="channel", now=NOW)
    await chats.add_subscription(channel.pk, "Meta", thread_id=None, now=NOW)
    async with store.db.session() as session, session.begin():
        await session.execute(update(ChatRow).where(ChatRow.id == channel.pk).values(
            timezone="Europe/Berlin", push_time="09:00", quiet_start="22:00",
            quiet_end="07:30"))
    await chats.ensure(ChatRef("telegram", "5002"), kind="private", now=NOW)


async def _counts(store: Store) -> tuple[int, int]:
    records = await transfer.export_chats(store)
    return len(records), sum(len(record.subscriptions) for record in records)


async def test_sqlite_to_postgresql_round_trip(sqlite_store: Store,
                                               postgres_store: Store) -> None:
    await _populate(sqlite_store)
    exported = transfer.dump(await transfer.export_chats(sqlite_store))
    report = await transfer.import_chats(
        postgres_store, transfer.load(exported, source="subs.yaml"), now=NOW)
    again = transfer.dump(await transfer.export_chats(postgres_store))
    assert again == exported
    assert report.chats_added == 4
    assert report.subscriptions_added == 5


async def test_export_writes_every_field(sqlite_store: Store) -> None:
    await _populate(sqlite_store)
    records = await transfer.export_chats(sqlite_store)
    by_ref = {f"{record.platform}:{record.chat_id}": record for record in records}
    group = by_ref["telegram:-1001234567890"]
    channel = by_ref["slack:C0123ABC"]
    assert list(by_ref) == ["slack:C0123ABC", "telegram:-1001234567890", "telegram:5001",
                            "telegram:5002"]
    assert group.active is False
    assert group.inactive_reason == "Forbidden: bot was kicked"
    assert group.subscriptions == (transfer.SubscriptionRecord("all", "17", "cards"),)
    assert channel.push_time == "09:00"
    assert channel.quiet_end == "07:30"
    assert channel.timezone == "Europe/Berlin"
    assert [s.rule for s in by_ref["telegram:5001"].subscriptions] == [
        "Google", 'tag:"Frontier Lab" score>=35', "kw:扩散"]
    assert by_ref["telegram:5001"].language == "en"


async def test_dump_then_load_gives_same_records(sqlite_store: Store) -> None:
    await _populate(sqlite_store)
    records = await transfer.export_chats(sqlite_store)
    assert transfer.load(transfer.dump(records), source="subs.yaml") == records


async def test_import_twice_adds_nothing(store: Store, tmp_path: Path) -> None:
    source = await _fresh_store(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        await _populate(source)
        records = await transfer.export_chats(source)
    finally:
        await source.db.close()
    first = await transfer.import_chats(store, records, now=NOW)
    counts_after_first = await _counts(store)
    second = await transfer.import_chats(store, records, now=NOW)
    assert await _counts(store) == counts_after_first == (4, 5)
    assert (first.chats_added, first.subscriptions_added) == (4, 5)
    assert (second.chats_added, second.chats_updated, second.chats_unchanged) == (0, 0, 4)
    assert (second.subscriptions_added, second.subscriptions_updated,
            second.subscriptions_unchanged) == (0, 0, 5)


async def test_import_updates_existing_chat(store: Store) -> None:
    chat = await store.chats.ensure(ChatRef("telegram", "5001"), kind="private", now=NOW)
    await store.chats.add_subscription(chat.pk, "Google", thread_id=None, now=NOW)
    document = """\
version: 1
chats:
- platform: telegram
  chat_id: 5001
  language: zh
  push_time: 08:30
  subscriptions:
  - rule: org:google
    mode: digest
  - rule: Meta
"""
    report = await transfer.import_chats(store, transfer.load(document, source="subs.yaml"),
                                         now=NOW)
    stored = await store.chats.find(ChatRef("telegram", "5001"))
    subscriptions = await store.chats.subscriptions(chat.pk)
    assert report.chats_updated == 1
    assert report.subscriptions_updated == 1
    assert report.subscriptions_added == 1
    assert stored is not None
    assert stored.language == "zh"
    assert stored.push_time == "08:30"
    assert [(s.rule, s.mode) for s in subscriptions] == [("Google", "digest"), ("Meta", "cards")]


async def test_failed_import_writes_nothing(store: Store) -> None:
    records = [transfer.ChatRecord(platform="telegram", chat_id="1"),
               transfer.ChatRecord(platform="telegram", chat_id=None)]  # type: ignore[arg-type]
    with pytest.raises(IntegrityError):
        await transfer.import_chats(store, records, now=NOW)
    assert await _counts(store) == (0, 0)


VALID_CHAT = "- platform: telegram\n  chat_id: 5001\n"

MALFORMED = [
    pytest.param("version: 1\nchats:\n- platform: telegram\n  chat_id: [1\n", 5, "invalid YAML",
                 id="yaml-syntax"),
    pytest.param("", 1, "the document is empty", id="empty"),
    pytest.param("version: 2\nchats: []\n", 1, "unsupported version '2'", id="version"),
    pytest.param("chats: []\n", 1, "lacks the key 'version'", id="no-version"),
    pytest.param("version: 1\nchats: {}\n", 2, "chats must be a list", id="chats-not-list"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  langauge: en\n", 5,
                 "unknown key 'langauge' in a chat", id="unknown-key"),
    pytest.param("version: 1\nchats:\n- platform: telegram\n", 3, "lacks the key 'chat_id'",
                 id="no-chat-id"),
    pytest.param("version: 1\nchats:\n- platform: matrix\n  chat_id: 1\n", 3,
                 "unknown platform 'matrix'", id="platform"),
    pytest.param("version: 1\nchats:\n- platform: telegram\n  chat_id: me\n", 4,
                 "is not a Telegram chat id", id="telegram-id"),
    pytest.param(f"version: 1\nchats:\n- platform: slack\n  chat_id: {'C' * 65}\n", 4,
                 "the maximum is 64", id="chat-id-too-long"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}{VALID_CHAT}", 5,
                 "chat telegram:5001 is listed twice (first at line 3)", id="duplicate-chat"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  language: fr\n", 5,
                 "unsupported language 'fr'", id="language"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  timezone: Mars/Olympus\n", 5,
                 "unknown time zone 'Mars/Olympus'", id="timezone"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  push_time: 9am\n", 5,
                 "push_time '9am' is not a time", id="push-time"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  quiet_start: '22:00'\n", 3,
                 "quiet_start and quiet_end must be set together", id="quiet-half"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  active: maybe\n", 5,
                 "active must be true or false, found 'maybe'", id="active"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  inactive_reason: blocked\n", 5,
                 "inactive_reason is set but active is true", id="reason-when-active"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  subscriptions: all\n", 5,
                 "subscriptions must be a list", id="subscriptions-not-list"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  subscriptions:\n  - rule: score>=abc\n", 6,
                 "rule 'score>=abc' is not a valid filter", id="rule"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  subscriptions:\n  - mode: cards\n", 6,
                 "a subscription lacks the key 'rule'", id="no-rule"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  subscriptions:\n  - rule: all\n"
                 "    mode: thread\n", 7, "mode 'thread' is not valid here", id="thread-mode"),
    pytest.param(f"version: 1\nchats:\n{VALID_CHAT}  subscriptions:\n  - rule: Google\n"
                 "  - rule: org:google\n", 7, "subscription 'org:google' is listed twice",
                 id="duplicate-subscription"),
]


@pytest.mark.parametrize(("document", "line", "message"), MALFORMED)
def test_load_rejects_malformed_document(document: str, line: int, message: str) -> None:
    with pytest.raises(transfer.TransferError) as raised:
        transfer.load(document, source="subs.yaml")
    assert raised.value.line == line
    assert str(raised.value).startswith(f"subs.yaml:{line}: ")
    assert message in str(raised.value)


def test_load_reads_times_and_ids_as_written() -> None:
    document = (f"version: 1\nchats:\n{VALID_CHAT}  push_time: 10:30\n"
                "  quiet_start: 23:00\n  quiet_end: 07:00\n")
    [chat] = transfer.load(document, source="subs.yaml")
    assert chat.chat_id == "5001"
    assert chat.push_time == "10:30"
    assert chat.quiet_start == "23:00"
    assert chat.quiet_end == "07:00"
    assert chat.kind == "private"
    assert chat.active is True


def _paperbot(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{cwd / 'paperbot.db'}"}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          timeout=60, env=environment, cwd=cwd, check=False)


def test_cli_export_import_and_malformed_file(tmp_path: Path) -> None:
    document = (f"version: 1\nchats:\n{VALID_CHAT}  subscriptions:\n  - rule: Google\n")
    (tmp_path / "subs.yaml").write_text(document, encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(document + "- platform: telegram\n  chat_id: x\n",
                                       encoding="utf-8")
    rejected = _paperbot("subscriptions", "import", "bad.yaml", cwd=tmp_path)
    first = _paperbot("subscriptions", "import", "subs.yaml", cwd=tmp_path)
    second = _paperbot("subscriptions", "import", "subs.yaml", cwd=tmp_path)
    exported = _paperbot("subscriptions", "export", cwd=tmp_path)
    assert rejected.returncode == 1
    assert "paperbot: bad.yaml:8: chat_id 'x' is not a Telegram chat id" in rejected.stderr
    assert first.returncode == 0
    assert "chats: 1 added" in first.stdout
    assert "subscriptions: 1 added" in first.stdout
    assert "chats: 0 added, 0 updated, 1 unchanged" in second.stdout
    assert "subscriptions: 0 added, 0 updated, 1 unchanged" in second.stdout
    assert exported.returncode == 0
    assert transfer.load(exported.stdout, source="-") == [transfer.ChatRecord(
        platform="telegram", chat_id="5001",
        subscriptions=(transfer.SubscriptionRecord("Google"),))]


def test_cli_db_upgrade_and_current(tmp_path: Path) -> None:
    before = _paperbot("db", "current", cwd=tmp_path)
    upgraded = _paperbot("db", "upgrade", cwd=tmp_path)
    after = _paperbot("db", "current", cwd=tmp_path)
    assert before.stdout == "current: none\nhead: 0001\n"
    assert "run `paperbot db upgrade`" in before.stderr
    assert upgraded.returncode == 0
    assert upgraded.stdout == "database at revision 0001\n"
    assert after.stdout == "current: 0001\nhead: 0001\n"
    assert after.stderr == ""
