"""Two ``paperbot run`` processes on one PostgreSQL database: each card arrives once.

The leader is killed with SIGKILL in the middle of a 3000-card fan-out; the other
instance takes over and finishes. A card whose request had started when the leader died
is recorded as failed with the reason saying so, whether or not it reached the fake. Every
other card is recorded as sent and arrived exactly once, and no card arrives twice.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.store import ChatRef, Store
from bot.store.outbox import FAILED, SENT
from bot.store.schema import DeliveryRow
from tests.cluster.scratch import scratch_database
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.telegram_api import FakeTelegram

pytestmark = pytest.mark.postgres

CHATS = 500
PAPERS = 6
CARDS = CHATS * PAPERS
FIRST_CHAT_ID = 700_000
# Fast, yet slow enough that the fan-out lasts a few seconds, so the kill lands mid-way.
MESSAGES_PER_SECOND = 300
KILL_AFTER_CARDS = 600
# The sender's concurrency: at most this many requests are under way when the leader dies.
MAX_IN_FLIGHT = 32
WAIT_GUARD_SECONDS = 120.0
INTERRUPTED = "interrupted while sending"


class Instance:
    """One ``paperbot run`` subprocess with its stderr in a file."""

    def __init__(self, name: str, log: Path, process: asyncio.subprocess.Process) -> None:
        self.name = name
        self.log = log
        self.process = process

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    async def wait_for_line(self, fragment: str) -> None:
        """Wait until the log contains ``fragment``; fail early if the process exits."""
        for _ in range(int(WAIT_GUARD_SECONDS / 0.05)):
            if fragment in self.text():
                return
            if self.process.returncode is not None:
                raise AssertionError(f"{self.name} exited with {self.process.returncode}:\n"
                                     f"{self.text()[-3000:]}")
            await asyncio.sleep(0.05)
        raise TimeoutError(f"{self.name} never logged {fragment!r}:\n{self.text()[-3000:]}")


@pytest.fixture
async def database_url() -> AsyncIterator[str]:
    async with scratch_database() as url:
        yield url


async def _subscribe_chats(url: str, chats: int = CHATS) -> None:
    store = Store.open(url)
    await store.db.connect()
    now = dt.datetime.now(dt.UTC)
    try:
        for number in range(chats):
            chat = await store.chats.ensure(ChatRef("telegram", str(FIRST_CHAT_ID + number)),
                                            kind="private", now=now)
            await store.chats.add_subscription(chat.pk, "all", thread_id=None, now=now)
    finally:
        await store.db.close()


async def _start(name: str, fake: FakeTelegram, url: str, digest_dir: Path,
                 tmp_path: Path, *, command: str = "run",
                 messages_per_second: int = MESSAGES_PER_SECOND) -> Instance:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake.token,
           "TELEGRAM_API_URL": fake.base_url, "DATABASE_URL": url,
           "DIGEST_DIR": str(digest_dir), "POLL_INTERVAL": "1", "LOG_LEVEL": "INFO",
           "TELEGRAM_MAX_MESSAGES_PER_SECOND": str(messages_per_second),
           "TELEGRAM_MAX_PER_CHAT_PER_SECOND": "100", "PORT": "0"}
    log = tmp_path / f"{name}.log"
    with log.open("wb") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", command, env=env, cwd=tmp_path,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=stderr)
    return Instance(name, log, process)


def _card_keys(fake: FakeTelegram) -> list[tuple[int, str]]:
    """(chat id, arXiv id) of every card the fake accepted, read from the arXiv button."""
    return [(message.chat_id,
             message.reply_markup["inline_keyboard"][0][0]["url"].rsplit("/", 1)[-1])
            for message in fake.sent if message.reply_markup is not None]


async def _ledger(url: str) -> list[tuple[str, str, str, str | None, str | None]]:
    """(chat id, paper key, state, last error, claimed by) of every outbox row."""
    store = Store.open(url)
    try:
        async with store.db.session() as session:
            rows = (await session.execute(select(
                DeliveryRow.chat_pk, DeliveryRow.paper_key, DeliveryRow.state,
                DeliveryRow.last_error, DeliveryRow.claimed_by))).all()
        chats = await store.chats.by_pk(sorted({row.chat_pk for row in rows}))
        return [(chats[row.chat_pk].ref.chat_id, row.paper_key, row.state, row.last_error,
                 row.claimed_by) for row in rows]
    finally:
        await store.db.close()


async def _settled_count(url: str) -> int:
    store = Store.open(url)
    try:
        async with store.db.session() as session:
            return int(await session.scalar(select(func.count()).where(
                DeliveryRow.state.in_((SENT, FAILED)))) or 0)
    finally:
        await store.db.close()


async def _wait_until_settled(fake: FakeTelegram, url: str, survivor: Instance,
                              cards: int = CARDS) -> None:
    for _ in range(int(WAIT_GUARD_SECONDS / 0.25)):
        if await _settled_count(url) == cards:
            return
        if survivor.process.returncode is not None:
            raise AssertionError(f"{survivor.name} exited:\n{survivor.text()[-3000:]}")
        await asyncio.sleep(0.25)
    raise TimeoutError(f"only {len(_card_keys(fake))} cards arrived:\n{survivor.text()[-3000:]}")


async def test_leader_killed_mid_fan_out_each_card_once(
        fake_telegram: FakeTelegram, database_url: str, tmp_path: Path) -> None:
    await _subscribe_chats(database_url)
    digest_dir = tmp_path / "digests"
    digest_dir.mkdir()
    instances: list[Instance] = []
    try:
        leader = await _start("leader", fake_telegram, database_url, digest_dir, tmp_path)
        instances.append(leader)
        await leader.wait_for_line("paperbot running")
        follower = await _start("follower", fake_telegram, database_url, digest_dir, tmp_path)
        instances.append(follower)
        await follower.wait_for_line("paperbot running")

        shutil.copy(SAMPLE_DIGEST, digest_dir / SAMPLE_DIGEST.name)
        async with asyncio.timeout(WAIT_GUARD_SECONDS):
            while len(_card_keys(fake_telegram)) < KILL_AFTER_CARDS:
                await fake_telegram.wait_for_sent(len(fake_telegram.sent) + 1)
        leader.process.send_signal(signal.SIGKILL)
        await leader.process.wait()
        cards_at_kill = len(_card_keys(fake_telegram))

        await _wait_until_settled(fake_telegram, database_url, follower)
        await follower.wait_for_line("leadership acquired")
    finally:
        for instance in instances:
            if instance.process.returncode is None:
                instance.process.kill()
                await instance.process.wait()

    arrived = Counter(_card_keys(fake_telegram))
    ledger = await _ledger(database_url)
    sent = {(int(chat), key) for chat, key, state, _, _ in ledger if state == SENT}
    failed = [(int(chat), key, error) for chat, key, state, error, _ in ledger
              if state == FAILED]
    senders = {owner for _, _, state, _, owner in ledger if state == SENT}

    assert "leadership acquired" in leader.text()
    assert cards_at_kill < CARDS
    assert len(ledger) == CARDS
    assert [key for key, count in arrived.items() if count > 1] == []
    assert len(sent) + len(failed) == CARDS
    assert sent <= set(arrived)
    assert set(arrived) - sent <= {(chat, key) for chat, key, _ in failed}
    assert all(INTERRUPTED in (error or "") for _, _, error in failed)
    assert len(failed) <= MAX_IN_FLIGHT
    assert len(senders) == 2


async def test_worker_sends_beside_leader_and_never_leads(
        fake_telegram: FakeTelegram, database_url: str, tmp_path: Path) -> None:
    chats = 100
    await _subscribe_chats(database_url, chats)
    digest_dir = tmp_path / "digests"
    digest_dir.mkdir()
    instances: list[Instance] = []
    try:
        runner = await _start("run", fake_telegram, database_url, digest_dir, tmp_path,
                              messages_per_second=100)
        instances.append(runner)
        await runner.wait_for_line("paperbot running")
        worker = await _start("worker", fake_telegram, database_url, digest_dir, tmp_path,
                              command="worker", messages_per_second=100)
        instances.append(worker)
        await worker.wait_for_line("paperbot running")
        shutil.copy(SAMPLE_DIGEST, digest_dir / SAMPLE_DIGEST.name)
        await _wait_until_settled(fake_telegram, database_url, worker, chats * PAPERS)
    finally:
        for instance in instances:
            if instance.process.returncode is None:
                instance.process.send_signal(signal.SIGTERM)
                try:
                    async with asyncio.timeout(30):
                        await instance.process.wait()
                finally:
                    if instance.process.returncode is None:
                        instance.process.kill()
                        await instance.process.wait()

    arrived = Counter(_card_keys(fake_telegram))
    ledger = await _ledger(database_url)
    senders = {owner for _, _, state, _, owner in ledger if state == SENT}
    assert len(arrived) == chats * PAPERS
    assert max(arrived.values()) == 1
    assert len(senders) == 2
    assert "worker=True" in worker.text()
    assert "leadership acquired" not in worker.text()
    assert runner.process.returncode == 0
    assert worker.process.returncode == 0
