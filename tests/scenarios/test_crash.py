"""A real ``paperbot run`` killed by SIGKILL mid fan-out and restarted: no card twice, none lost.

The fake Bot API runs in the test process, so its record of accepted messages outlives
the bot. It responds to the first messages normally and then withholds the responses to
the rest, as a network stall would, so those messages arrive but the bot never learns it.
The bot is killed while they are held.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.store import ChatRef, Store
from bot.store.outbox import FAILED, SENT
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.telegram_api import FakeTelegram, SentMessage

CHATS = [7000 + number for number in range(40)]
PAPERS_IN_SAMPLE = 6
ANSWERED_BEFORE_STALL = 50
SAMPLE_DATE = dt.date(2026, 2, 20)
# Upper bounds of each wait; a healthy run needs a fraction of them.
START_SECONDS = 30.0
SETTLE_SECONDS = 60.0
STOP_SECONDS = 30.0


def _card_key(message: SentMessage) -> tuple[int, str]:
    assert message.reply_markup is not None
    url: str = message.reply_markup["inline_keyboard"][0][0]["url"]
    return message.chat_id, url.rsplit("/", 1)[-1]


async def _subscribe_chats(database_url: str) -> None:
    store = Store.open(database_url)
    await store.db.connect()
    now = dt.datetime.now(dt.UTC)
    for chat_id in CHATS:
        chat = await store.chats.ensure(ChatRef("telegram", str(chat_id)), kind="private",
                                        now=now)
        await store.chats.add_subscription(chat.pk, "all", thread_id=None, now=now)
    await store.db.close()


@contextlib.asynccontextmanager
async def _bot(env: dict[str, str], cwd: Path, log: Path) -> AsyncIterator[
        asyncio.subprocess.Process]:
    """Run ``python -m bot run``; kill it on exit if the test has not stopped it."""
    with log.open("ab") as stderr:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", env=env, cwd=cwd,
            stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=stderr)
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            async with asyncio.timeout(STOP_SECONDS):
                await process.wait()


async def _wait_until_settled(database_url: str, total: int) -> dict[str, int]:
    """Poll the ledger until every card is sent or failed; return the counts by state."""
    store = Store.open(database_url)
    try:
        async with asyncio.timeout(SETTLE_SECONDS):
            while True:
                states = await store.outbox.count_by_state()
                if states.get(SENT, 0) + states.get(FAILED, 0) == total:
                    return states
                await asyncio.sleep(0.2)
    finally:
        await store.db.close()


async def _ledger(database_url: str) -> dict[tuple[int, str], tuple[str, str | None]]:
    store = Store.open(database_url)
    try:
        ledger: dict[tuple[int, str], tuple[str, str | None]] = {}
        for chat_id in CHATS:
            chat = await store.chats.find(ChatRef("telegram", str(chat_id)))
            assert chat is not None
            for row in await store.outbox.for_chat(chat.pk, SAMPLE_DATE):
                ledger[chat_id, row.paper_key] = (row.state, row.last_error)
        return ledger
    finally:
        await store.db.close()


async def test_sigkill_mid_fanout_then_restart(fake_telegram: FakeTelegram,
                                               tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'paperbot.db'}"
    digest_dir = tmp_path / "digests"
    digest_dir.mkdir()
    log = tmp_path / "bot.log"
    await _subscribe_chats(database_url)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake_telegram.token,
           "TELEGRAM_API_URL": fake_telegram.base_url, "DATABASE_URL": database_url,
           "DIGEST_DIR": str(digest_dir), "POLL_INTERVAL": "1", "WEB_ENABLED": "false",
           "BOT_LANGUAGE": "en", "LOG_LEVEL": "INFO",
           "TELEGRAM_MAX_MESSAGES_PER_SECOND": "1000", "TELEGRAM_MAX_PER_CHAT_PER_SECOND": "1000"}
    total = len(CHATS) * PAPERS_IN_SAMPLE
    fake_telegram.stall_responses(after=ANSWERED_BEFORE_STALL)
    shutil.copy(SAMPLE_DIGEST, digest_dir / SAMPLE_DIGEST.name)

    async with _bot(env, tmp_path, log) as first:
        async with asyncio.timeout(START_SECONDS):
            while not fake_telegram.held:
                await fake_telegram.wait_for_sent(len(fake_telegram.sent) + 1)
        # Give the bot's other in-flight requests a moment to arrive and be held too.
        await asyncio.sleep(0.3)
        first.send_signal(signal.SIGKILL)
        async with asyncio.timeout(STOP_SECONDS):
            await first.wait()
    arrived_before_restart = len(fake_telegram.sent)
    unanswered = {_card_key(message) for message in fake_telegram.held}
    fake_telegram.release_responses()

    async with _bot(env, tmp_path, log) as second:
        states = await _wait_until_settled(database_url, total)
        second.send_signal(signal.SIGTERM)
        async with asyncio.timeout(STOP_SECONDS):
            await second.wait()

    ledger = await _ledger(database_url)
    arrivals = collections.Counter(_card_key(message) for message in fake_telegram.sent
                                   if message.reply_markup is not None)
    failed = {key for key, (state, _) in ledger.items() if state == FAILED}
    failure_reasons = {reason for state, reason in ledger.values() if state == FAILED}
    log_text = log.read_text(encoding="utf-8")
    assert first.returncode == -signal.SIGKILL
    assert second.returncode == 0
    assert ANSWERED_BEFORE_STALL < arrived_before_restart < total
    assert set(arrivals.values()) == {1}
    assert set(arrivals) == set(ledger)
    assert len(ledger) == total
    assert unanswered
    assert unanswered <= failed
    assert failed == {key for key in failed if arrivals[key] == 1}
    assert states == {SENT: total - len(failed), FAILED: len(failed)}
    assert failure_reasons == {
        "interrupted while sending; it may have arrived, so it was not sent again"}
    assert log_text.count("card not resent after an interrupted send") == len(failed)
