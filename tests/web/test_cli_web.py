"""``paperbot run`` and ``paperbot worker`` start-up errors, as a user sees them."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram

START_GUARD_SECONDS = 60.0


async def _run(tmp_path: Path, command: str, **settings: str) -> tuple[int, str]:
    env = {**os.environ, "DIGEST_DIR": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}", **settings}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", command, env=env, cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(START_GUARD_SECONDS):
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_busy_port_stops_run_naming_port(fake_telegram: FakeTelegram,
                                               tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stderr = await _run(tmp_path, "run", PORT=str(port),
                                  TELEGRAM_BOT_TOKEN=fake_telegram.token,
                                  TELEGRAM_API_URL=fake_telegram.base_url)
    assert code == 2
    assert f"PORT={port}: the port is already in use" in stderr
    assert "Traceback" not in stderr


async def test_worker_on_sqlite_refused(tmp_path: Path) -> None:
    code, stderr = await _run(tmp_path, "worker", TELEGRAM_BOT_TOKEN="123:abc")
    assert code == 2
    assert "paperbot worker needs PostgreSQL" in stderr
