"""A real ``paperbot run`` at DEBUG level never prints the bot token."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.fakes.telegram_api import FakeTelegram


async def test_debug_log_of_real_run_hides_token(fake_telegram: FakeTelegram,
                                                 tmp_path: Path) -> None:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": fake_telegram.token,
           "TELEGRAM_API_URL": fake_telegram.base_url, "LOG_LEVEL": "DEBUG",
           "DIGEST_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env=env, cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    lines: list[str] = []
    try:
        assert process.stderr is not None
        async with asyncio.timeout(30):
            while line := (await process.stderr.readline()).decode():
                lines.append(line)
                if "telegram polling started" in line:
                    break
        fake_telegram.push_message(77, "/help")
        await fake_telegram.wait_for_sent(1)
        process.send_signal(signal.SIGTERM)
        async with asyncio.timeout(30):
            rest, _ = await asyncio.gather(process.stderr.read(), process.wait())
        lines.append(rest.decode())
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = "".join(lines)
    secret = fake_telegram.token.split(":", 1)[1]
    assert process.returncode == 0
    assert "telegram polling started username=paperbot_test_bot" in log
    assert "DEBUG" in log
    assert secret not in log
