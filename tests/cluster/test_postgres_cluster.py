"""Leader election over PostgreSQL advisory locks: one leader, a quick takeover, liveness."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

import pytest
from sqlalchemy import text

from bot.cluster import PostgresCluster
from bot.store.database import Database
from tests.cluster.scratch import scratch_database

pytestmark = pytest.mark.postgres

CHECK_INTERVAL = 0.05
# Bounds each wait for a state change; a working cluster takes a few check intervals.
WAIT_GUARD_SECONDS = 10.0


@pytest.fixture
async def db() -> AsyncIterator[Database]:
    async with scratch_database() as url:
        database = Database(url)
        yield database
        await database.close()


@contextlib.asynccontextmanager
async def member(db: Database, instance_id: str, *, candidate: bool = True,
                 changes: list[bool] | None = None) -> AsyncIterator[PostgresCluster]:
    async def record(leader: bool) -> None:
        if changes is not None:
            changes.append(leader)

    cluster = PostgresCluster(db, instance_id=instance_id, candidate=candidate,
                              check_interval=CHECK_INTERVAL, on_change=record)
    await cluster.start()
    try:
        yield cluster
    finally:
        await cluster.stop()


async def wait_until(condition: Callable[[], bool]) -> None:
    for _ in range(int(WAIT_GUARD_SECONDS / CHECK_INTERVAL)):
        if condition():
            return
        await asyncio.sleep(CHECK_INTERVAL)
    raise TimeoutError(f"condition still false after {WAIT_GUARD_SECONDS}s")


async def test_first_member_leads_and_second_follows(db: Database) -> None:
    async with member(db, "one") as one, member(db, "two") as two:
        await asyncio.sleep(CHECK_INTERVAL * 4)
        assert one.is_leader
        assert not two.is_leader


async def test_follower_takes_over_when_leader_stops(db: Database) -> None:
    changes: list[bool] = []
    async with member(db, "leader") as leader, member(db, "follower", changes=changes) as follower:
        assert leader.is_leader
        assert not follower.is_leader
        await leader.stop()
        await wait_until(lambda: follower.is_leader)
    assert changes == [True]


async def test_alive_names_members_holding_their_lock(db: Database) -> None:
    async with member(db, "one") as one, member(db, "two", candidate=False):
        assert await one.alive(["one", "two", "gone"]) == {"one", "two"}
    async with member(db, "three") as three:
        assert await three.alive(["one", "two", "three"]) == {"three"}


async def test_worker_never_leads(db: Database) -> None:
    async with member(db, "worker", candidate=False) as worker:
        await asyncio.sleep(CHECK_INTERVAL * 4)
        assert worker.is_leader is False


async def test_leader_steps_down_when_its_connection_dies(db: Database) -> None:
    changes: list[bool] = []
    async with member(db, "one", changes=changes) as one:
        async with db.session() as session, session.begin():
            await session.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = 'paperbot one'"))
        # It steps down, then reconnects and, with nobody else competing, leads again.
        await wait_until(lambda: changes == [True, False, True])
        assert one.is_leader
