"""Database connection: URL normalisation, the async engine and its session factory."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from bot.errors import DatabaseUnavailable
from bot.store import migrate

logger = logging.getLogger(__name__)

_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
                  "postgres": "postgresql+asyncpg"}


def async_url(database_url: str) -> URL:
    """Turn a URL as users write it (``sqlite:///x.db``, ``postgresql://…``) into an async one."""
    url = make_url(database_url)
    backend, _, driver = url.drivername.partition("+")
    if driver in ("aiosqlite", "asyncpg", "psycopg"):
        return url
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}")
    return url.set(drivername=_ASYNC_DRIVERS[backend])


class Database:
    """An async engine plus session factory; ``connect`` brings the schema up to date."""

    def __init__(self, database_url: str) -> None:
        self.url = async_url(database_url)
        options: dict[str, Any] = {}
        if self.url.get_backend_name() == "sqlite":
            # One writer at a time: wait for the lock instead of failing at once.
            options["connect_args"] = {"timeout": 30}
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.url.get_backend_name() == "sqlite":
            event.listen(self.engine.sync_engine, "connect", _configure_sqlite)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        """The backend name: ``sqlite`` or ``postgresql``."""
        return self.url.get_backend_name()

    async def connect(self, *, auto_migrate: bool = True) -> None:
        """Apply pending schema migrations, or with ``auto_migrate=False`` only check for them.

        Raises ``migrate.SchemaError`` when the schema is not current and cannot be made so.
        """
        try:
            if auto_migrate:
                await migrate.upgrade(self.engine)
            else:
                await migrate.check_current(self.engine)
        except (OSError, DBAPIError) as error:
            where = self.url.render_as_string(hide_password=True)
            raise DatabaseUnavailable(
                f"cannot connect to the database {where}: {error}. Check DATABASE_URL and "
                "that the database server is running.") from None
        logger.info("database ready backend=%s", self.dialect)

    def session(self) -> AsyncSession:
        """Open a new session; use it as ``async with db.session() as s, s.begin():``."""
        return self.sessions()

    async def close(self) -> None:
        """Dispose of the engine's connections."""
        await self.engine.dispose()

    def __repr__(self) -> str:
        return f"Database({self.url.render_as_string(hide_password=True)!r})"


def _configure_sqlite(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
