"""Schema migrations: apply, check and create the Alembic revisions in ``bot/store/migrations``.

Alembic's commands are synchronous, so each function here runs one inside
``AsyncConnection.run_sync``, and ``migrations/env.py`` takes that connection from
``Config.attributes``. The revisions are written once in SQLAlchemy operations and run
unchanged on SQLite and PostgreSQL.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from bot.errors import PaperbotError
from bot.store.schema import Base

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
# Key of the PostgreSQL advisory lock held while migrating, so that replicas starting at
# the same time apply each revision once. Any constant unique to paperbot will do; this
# is the ASCII "paperbot" read as a 64-bit integer.
_MIGRATION_LOCK_KEY = int.from_bytes(b"paperbot", "big")


class SchemaError(PaperbotError):
    """The database schema is not the one this version of paperbot expects."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Return the Alembic configuration of paperbot, bound to ``connection`` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Revision files are named "0002_add_something.py"; "%%" escapes configparser syntax.
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """Return the newest revision id shipped with this version of paperbot."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise SchemaError(f"no migration revisions found in {MIGRATIONS_DIR}")
    return head


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at, or None for a database never migrated."""
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> str | None:
    """Apply every revision up to ``revision`` in one transaction and return the new one.

    Upgrading a database that is already there changes nothing. A database whose tables
    were created before migrations existed is recorded as at the head revision when its
    tables match the current schema. Otherwise ``SchemaError`` is raised.
    """
    async with _migrating(engine) as connection:
        before, after = await connection.run_sync(_upgrade, revision)
    if before != after:
        logger.info("database migrated backend=%s from=%s to=%s", engine.dialect.name,
                    before or "empty", after)
    return after


async def downgrade(engine: AsyncEngine, revision: str) -> str | None:
    """Undo revisions down to ``revision`` (``base`` removes every table) and return the new one."""
    async with _migrating(engine) as connection:
        await connection.run_sync(_downgrade, revision)
        after = await connection.run_sync(_current)
    logger.warning("database downgraded backend=%s to=%s", engine.dialect.name, after or "base")
    return after


async def check_current(engine: AsyncEngine) -> None:
    """Raise ``SchemaError`` unless the database is at the head revision."""
    current = await current_revision(engine)
    head = head_revision()
    if current != head:
        raise SchemaError(
            f"the database is at schema revision {current or 'none (empty)'} but this version "
            f"of paperbot needs {head}; run `paperbot db upgrade`, or set "
            "DATABASE_AUTO_MIGRATE=true to migrate at start-up")


async def schema_differences(engine: AsyncEngine) -> list[Any]:
    """Return Alembic's differences between the database and ``Base.metadata``; empty when equal."""
    async with engine.connect() as connection:
        return await connection.run_sync(_differences)


async def create_revision(message: str) -> Path:
    """Write a new revision that turns the head schema into ``Base.metadata`` and return its path.

    The changes are detected against a scratch SQLite database upgraded to the head
    revision, so no configured database is touched. Review the file before committing:
    autogeneration misses renames and some constraint changes.
    """
    with tempfile.TemporaryDirectory(prefix="paperbot-revision-") as directory:
        engine = create_async_engine(f"sqlite+aiosqlite:///{Path(directory) / 'scratch.db'}")
        try:
            await upgrade(engine)
            async with engine.begin() as connection:
                path: Path = await connection.run_sync(_revision, message)
        finally:
            await engine.dispose()
    logger.info("revision written path=%s", path)
    return path


@contextlib.asynccontextmanager
async def _migrating(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Open a connection in a transaction that migrations can run in on either backend."""
    async with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            async with connection.begin():
                yield connection
            return
        # With foreign keys on, the table copy of a batch operation would cascade-delete
        # the rows referencing the dropped original. SQLite ignores this pragma inside a
        # transaction, so it is set before the transaction begins.
        await connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        await connection.commit()
        try:
            async with connection.begin():
                # The sqlite3 module runs DDL outside any transaction. An explicit
                # BEGIN IMMEDIATE makes the revisions atomic and takes the write lock
                # first, so a second process waits and then finds the work done.
                await connection.exec_driver_sql("BEGIN IMMEDIATE")
                yield connection
        finally:
            await connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            await connection.commit()


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _upgrade(connection: Connection, revision: str) -> tuple[str | None, str | None]:
    if connection.dialect.name == "postgresql":
        # Held until the transaction ends; a second replica waits here, then finds the
        # database already upgraded.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": _MIGRATION_LOCK_KEY})
    config = alembic_config(connection)
    before = _current(connection)
    if before is None:
        _adopt_unversioned(connection, config)
    command.upgrade(config, revision)
    return before, _current(connection)


def _downgrade(connection: Connection, revision: str) -> None:
    command.downgrade(alembic_config(connection), revision)


def _adopt_unversioned(connection: Connection, config: Config) -> None:
    """Record a database created by ``create_all`` before migrations existed as migrated."""
    existing = set(inspect(connection).get_table_names()) & set(Base.metadata.tables)
    if not existing:
        return
    differences = _differences(connection)
    if differences:
        described = "; ".join(_describe(difference) for difference in differences[:5])
        raise SchemaError(
            f"the database has paperbot tables ({', '.join(sorted(existing))}) but no "
            f"migration history, and they differ from the current schema: {described}. "
            "Export the subscriptions with `paperbot subscriptions export`, point "
            "DATABASE_URL at an empty database and import them there")
    command.stamp(config, "head")
    logger.warning("database created before migrations was recorded as revision=%s",
                   _current(connection))


def _revision(connection: Connection, message: str) -> Path:
    config = alembic_config(connection)
    revisions = ScriptDirectory.from_config(config).walk_revisions()
    numbers = [int(script.revision) for script in revisions if script.revision.isdigit()]
    script = command.revision(config, message=message, autogenerate=True,
                              rev_id=f"{max(numbers, default=0) + 1:04d}")
    if script is None or isinstance(script, list):
        raise SchemaError("Alembic wrote no single revision file")
    return Path(script.path)


def _describe(difference: Any) -> str:
    # Alembic reports each difference as a tuple ("add_column", schema, table, column, ...)
    # or, for column changes, a list of such tuples.
    item = difference[0] if isinstance(difference, list) else difference
    names = [part if isinstance(part, str) else str(getattr(part, "name", ""))
             for part in item[1:4] if part is not None and not isinstance(part, dict)]
    return " ".join([str(item[0]), *filter(None, names)])
