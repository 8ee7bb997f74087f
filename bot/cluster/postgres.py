"""Leader election and instance liveness through PostgreSQL advisory locks on one connection.

Each instance opens a dedicated connection and takes two kinds of session-level advisory
lock on it: its own instance lock, which tells the others it is alive, and, if it can
get it, the one leader lock. PostgreSQL releases both when the session ends, so the
death of an instance frees its locks as soon as the server sees the connection close,
and another candidate takes the leader lock at its next attempt.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from collections.abc import Collection

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine
from sqlalchemy.pool import NullPool

from bot.cluster.base import LeadershipCallback
from bot.store.database import Database

logger = logging.getLogger(__name__)

# Advisory locks in the two-key form (int4, int4): the first key names the lock's kind.
LEADER_NAMESPACE = 0x7062_6F74  # "pbot"
INSTANCE_NAMESPACE = 0x7062_6F75
LEADER_KEY = 1
# Ask the server to probe an idle lock connection, so a leader whose host vanished without
# closing its socket loses the lock within about 25 seconds instead of the kernel's hours.
_KEEPALIVE = {"tcp_keepalives_idle": "10", "tcp_keepalives_interval": "5",
              "tcp_keepalives_count": "3"}
_LIVE_INSTANCE_KEYS = text(
    "SELECT objid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = :ns "
    "AND objsubid = 2 AND database = (SELECT oid FROM pg_database "
    "WHERE datname = current_database())")
_DATABASE_ERRORS = (SQLAlchemyError, OSError, TimeoutError)


def instance_lock_key(instance_id: str) -> int:
    """Return the second key of the instance lock of ``instance_id`` (a non-negative int4).

    Two ids may share a key. A dead instance then looks alive, so its claims wait for
    the claim lease instead of being recovered at once.
    """
    return zlib.crc32(instance_id.encode()) & 0x7FFF_FFFF


class PostgresCluster:
    """Hold this instance's lock and, when ``candidate``, compete for the leader lock.

    Every ``check_interval`` seconds a follower tries the leader lock and a leader checks
    that its connection still works. A leader that loses its connection steps down at
    once. Until the server notices, another instance may already lead, so two leaders can
    overlap for a few seconds: the jobs a leader runs must tolerate that, as planning does
    through the ledger's unique key.
    """

    def __init__(self, db: Database, *, instance_id: str, candidate: bool = True,
                 check_interval: float = 2.0, check_timeout: float = 5.0,
                 on_change: LeadershipCallback | None = None) -> None:
        self.instance_id = instance_id
        self._db = db
        self._candidate = candidate
        self._check_interval = check_interval
        self._check_timeout = check_timeout
        self._on_change = on_change
        self._leader = False
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None
        # NullPool: closing the connection really ends the session, which frees its locks.
        self._engine = create_async_engine(
            db.url, poolclass=NullPool,
            connect_args={"server_settings": {
                **_KEEPALIVE, "application_name": f"paperbot {instance_id}"[:63]}})

    @property
    def is_leader(self) -> bool:
        """Whether this instance held the leader lock at its last check."""
        return self._leader

    async def start(self) -> None:
        """Open the lock connection, take the instance lock and try the leader lock once.

        Raises the database error when the connection cannot be opened.
        """
        async with asyncio.timeout(self._check_timeout):
            await self._connect()
            if self._candidate:
                await self._try_lead()
        self._task = asyncio.create_task(self._watch(), name="cluster-leader-election")

    async def stop(self) -> None:
        """Stop competing, then close the lock connection, which frees every lock it held."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._leader:
            logger.info("leadership released instance_id=%s", self.instance_id)
        self._leader = False
        await self._close_connection()
        await self._engine.dispose()

    async def alive(self, instance_ids: Collection[str]) -> set[str]:
        """Return those of ``instance_ids`` whose instance lock is held in this database."""
        async with self._db.session() as session:
            keys = set(await session.scalars(_LIVE_INSTANCE_KEYS,
                                             {"ns": INSTANCE_NAMESPACE}))
        return {instance_id for instance_id in instance_ids
                if instance_lock_key(instance_id) in keys}

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self._check_interval)
            try:
                async with asyncio.timeout(self._check_timeout):
                    if self._connection is None:
                        await self._connect()
                    if self._leader:
                        await self._connection_checked().execute(text("SELECT 1"))
                    elif self._candidate:
                        await self._try_lead()
            except _DATABASE_ERRORS as error:
                logger.warning("cluster lock connection lost instance_id=%s error=%s",
                               self.instance_id, type(error).__name__)
                await self._close_connection()
                await self._set_leader(False)

    async def _connect(self) -> None:
        connection = await self._engine.connect()
        try:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            locked = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:ns, :key)"),
                {"ns": INSTANCE_NAMESPACE, "key": instance_lock_key(self.instance_id)})
        except BaseException:
            await connection.close()
            raise
        if not locked:
            # Only an id collision gets here. Other instances then take this one for
            # alive after it dies, which delays recovery of its claims but is safe.
            logger.warning("instance lock already taken instance_id=%s", self.instance_id)
        self._connection = connection
        logger.info("cluster lock connection open instance_id=%s candidate=%s",
                    self.instance_id, self._candidate)

    async def _try_lead(self) -> None:
        acquired = await self._connection_checked().scalar(
            text("SELECT pg_try_advisory_lock(:ns, :key)"),
            {"ns": LEADER_NAMESPACE, "key": LEADER_KEY})
        await self._set_leader(bool(acquired))

    async def _set_leader(self, leader: bool) -> None:
        if leader == self._leader:
            return
        self._leader = leader
        logger.info("leadership %s instance_id=%s", "acquired" if leader else "lost",
                    self.instance_id)
        if self._on_change is not None:
            try:
                await self._on_change(leader)
            except Exception:
                logger.exception("leadership change handler failed leader=%s", leader)

    def _connection_checked(self) -> AsyncConnection:
        if self._connection is None:
            raise OSError("the cluster lock connection is closed")
        return self._connection

    async def _close_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        # A broken connection may fail to close politely; it is discarded either way.
        with contextlib.suppress(*_DATABASE_ERRORS):
            await connection.invalidate()
        with contextlib.suppress(*_DATABASE_ERRORS):
            await connection.close()
