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


async def _run_to_exit(env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", env={**os.environ, **env}, cwd=tmp_path,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        async with asyncio.timeout(60):
            _, errors = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, errors.decode()


async def test_rejected_token_stops_with_one_line(fake_telegram: FakeTelegram,
                                                  tmp_path: Path) -> None:
    wrong = "123456789:WRONG-token-here"
    code, errors = await _run_to_exit({
        "TELEGRAM_BOT_TOKEN": wrong, "TELEGRAM_API_URL": fake_telegram.base_url,
        "DIGEST_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"},
        tmp_path)
    assert code == 2
    assert errors.strip().splitlines()[-1] == (
        "paperbot: TELEGRAM_BOT_TOKEN was rejected by the Bot API; copy the token again "
        "from @BotFather")
    assert "WRONG-token-here" not in errors
    assert "Traceback" not in errors


async def test_unreachable_bot_api_stops_with_one_line(tmp_path: Path) -> None:
    code, errors = await _run_to_exit({
        "TELEGRAM_BOT_TOKEN": "123456789:AAE-some-secret",
        # Port 1 on loopback has no server, so every connection is refused at once.
        "TELEGRAM_API_URL": "http://127.0.0.1:1/bot",
        "DIGEST_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"},
        tmp_path)
    last = errors.strip().splitlines()[-1]
    assert code == 1
    assert last.startswith("paperbot: cannot reach the Telegram Bot API at TELEGRAM_API_URL")
    assert "AAE-some-secret" not in errors
    assert "Traceback" not in errors
