"""Schema migrations from an empty database, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import column, inspect, select, table, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store import ChatRef, Store, migrate
from bot.store.database import Database
from bot.store.schema import Base
from tests.conftest import POSTGRES_URL

TABLES = {"chats", "deliveries", "digests", "papers", "source_files", "subscriptions"}


@contextlib.asynccontextmanager
async def _new_postgres_database() -> AsyncIterator[str]:
    """Create a uniquely named PostgreSQL database, yield its URL, and drop it."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need PAPERBOT_TEST_POSTGRES_URL")
    server = make_url(POSTGRES_URL)
    name = f"paperbot_migrations_{uuid.uuid4().hex[:12]}"
    admin_dsn = server.set(drivername="postgresql", database="postgres").render_as_string(
        hide_password=False)
    admin = await asyncpg.connect(admin_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(params=[pytest.param("sqlite", id="sqlite"),
                        pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a new, empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    async with _new_postgres_database() as url:
        yield url


@pytest.fixture
async def db(empty_url: str) -> AsyncIterator[Database]:
    database = Database(empty_url)
    yield database
    await database.close()


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))


async def _version_rows(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as connection:
        versions = table(migrate.VERSION_TABLE, column("version_num"))
        return list(await connection.scalars(select(versions.c.version_num)))


async def test_empty_database_has_no_revision(db: Database) -> None:
    assert await migrate.current_revision(db.engine) is None


async def test_upgrade_head_matches_metadata(db: Database) -> None:
    revision = await migrate.upgrade(db.engine)
    assert revision == migrate.head_revision()
    assert await migrate.schema_differences(db.engine) == []
    assert await _tables(db.engine) == TABLES | {migrate.VERSION_TABLE}


async def test_upgrade_twice_is_noop(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    first = await migrate.upgrade(db.engine)
    caplog.clear()
    second = await migrate.upgrade(db.engine)
    assert second == first
    assert await _version_rows(db.engine) == [first]
    assert "database migrated" not in caplog.text
    assert await migrate.schema_differences(db.engine) == []


async def test_head_revision_is_initial_schema() -> None:
    assert migrate.head_revision() == "0001"


async def test_downgrade_to_base_removes_tables(db: Database) -> None:
    await migrate.upgrade(db.engine)
    revision = await migrate.downgrade(db.engine, "base")
    assert revision is None
    assert await _tables(db.engine) <= {migrate.VERSION_TABLE}
    assert await migrate.upgrade(db.engine) == migrate.head_revision()


async def test_connect_migrates_by_default(db: Database) -> None:
    await db.connect()
    assert await migrate.current_revision(db.engine) == migrate.head_revision()


async def test_connect_without_auto_migrate_rejects_empty_database(db: Database) -> None:
    with pytest.raises(migrate.SchemaError, match="run `paperbot db upgrade`") as raised:
        await db.connect(auto_migrate=False)
    assert "none (empty)" in str(raised.value)
    assert await _tables(db.engine) == set()


async def test_connect_without_auto_migrate_accepts_current_database(db: Database) -> None:
    await migrate.upgrade(db.engine)
    await db.connect(auto_migrate=False)
    assert await migrate.current_revision(db.engine) == migrate.head_revision()


@pytest.mark.postgres
async def test_concurrent_upgrades_apply_once() -> None:
    # Replicas share PostgreSQL. NOTE: two processes opening one brand-new SQLite file at
    # once can fail with "database is locked" while switching it to WAL, before any
    # migration runs, so SQLite is not run concurrently here.
    async with _new_postgres_database() as url:
        replicas = [Database(url), Database(url)]
        try:
            revisions = await asyncio.gather(*(migrate.upgrade(replica.engine)
                                               for replica in replicas))
            rows = await _version_rows(replicas[0].engine)
            differences = await migrate.schema_differences(replicas[0].engine)
        finally:
            for replica in replicas:
                await replica.close()
    assert revisions == [migrate.head_revision(), migrate.head_revision()]
    assert rows == [migrate.head_revision()]
    assert differences == []


async def test_unversioned_current_tables_are_adopted(
        db: Database, caplog: pytest.LogCaptureFixture) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    revision = await migrate.upgrade(db.engine)
    assert revision == migrate.head_revision()
    assert "created before migrations" in caplog.text
    assert await migrate.schema_differences(db.engine) == []


async def test_unversioned_outdated_tables_are_rejected(db: Database) -> None:
    async with db.engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
        await connection.execute(text("DROP INDEX ix_deliveries_state_due"))
    with pytest.raises(migrate.SchemaError, match="no migration history") as raised:
        await migrate.upgrade(db.engine)
    assert "ix_deliveries_state_due" in str(raised.value)
    assert "paperbot subscriptions export" in str(raised.value)
    assert await migrate.current_revision(db.engine) is None


async def test_sqlite_foreign_keys_enforced_after_upgrade(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'keys.db'}")
    try:
        await database.connect()
        async with database.engine.connect() as connection:
            enabled = await connection.scalar(text("PRAGMA foreign_keys"))
    finally:
        await database.close()
    assert enabled == 1


async def test_sqlite_table_copy_keeps_referencing_rows(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'copy.db'}")
    now = dt.datetime(2026, 2, 20, tzinfo=dt.UTC)
    try:
        await store.db.connect()
        chat = await store.chats.ensure(ChatRef("telegram", "1"), kind="private", now=now)
        await store.chats.add_subscription(chat.pk, "all", thread_id=None, now=now)
        # What a batch revision does on SQLite: copy the table, drop it, rename the copy.
        async with migrate._migrating(store.db.engine) as connection:
            await connection.run_sync(_recreate_chats_table)
        subscriptions = await store.chats.subscriptions(chat.pk)
    finally:
        await store.db.close()
    assert [subscription.rule for subscription in subscriptions] == ["all"]


def _recreate_chats_table(connection: Connection) -> None:
    operations = Operations(MigrationContext.configure(connection))
    with operations.batch_alter_table("chats", recreate="always"):
        pass


def test_run_without_auto_migrate_stops_on_empty_database(tmp_path: Path) -> None:
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}",
                   "DATABASE_AUTO_MIGRATE": "false"}
    result = subprocess.run([sys.executable, "-m", "bot", "run"], capture_output=True,
                            text=True, timeout=60, env=environment, cwd=tmp_path,
                            stdin=subprocess.DEVNULL, check=False)
    assert result.returncode == 1
    assert "schema revision none (empty)" in result.stderr
    assert "run `paperbot db upgrade`" in result.stderr
