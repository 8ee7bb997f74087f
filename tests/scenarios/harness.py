"""Run the whole bot in-process against the fake Bot API, the way ``paperbot run`` does."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from bot.clock import Clock, utcnow
from bot.service import Service
from bot.settings import Settings, load_settings
from tests.fakes.telegram_api import FakeTelegram


def telegram_settings(fake: FakeTelegram, tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a bot served by ``fake``, with its database and digest folder in tmp."""
    digest_dir = tmp_path / "digests"
    digest_dir.mkdir(exist_ok=True)
    values: dict[str, object] = {
        "telegram_bot_token": fake.token,
        "telegram_api_url": fake.base_url,
        "digest_dir": digest_dir,
        "database_url": f"sqlite:///{tmp_path / 'paperbot.db'}",
        # Scans are triggered by the tests; the scheduled one only runs at start-up.
        "poll_interval": 3600,
        "bot_language": "en",
        "telegram_max_messages_per_second": 1000,
        "telegram_max_per_chat_per_second": 1000,
    }
    values.update(overrides)
    return load_settings(**values)


@contextlib.asynccontextmanager
async def running(settings: Settings, clock: Clock = utcnow) -> AsyncIterator[Service]:
    """Start a ``Service`` on ``clock`` and stop it cleanly on exit."""
    service = Service(settings, clock=clock)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop), name="service")
    # Started means polling: the fake answers getUpdates only after initialisation.
    while service.telegram is None or not service.telegram.application.running:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield service
    finally:
        stop.set()
        await task


async def command(fake: FakeTelegram, chat_id: int, text: str, *, replies: int = 1,
                  **options: object) -> list[str]:
    """Send ``text`` to the bot from ``chat_id`` and return the texts of its replies."""
    before = len(fake.sent)
    fake.push_message(chat_id, text, **options)  # type: ignore[arg-type]
    sent = await fake.wait_for_sent(before + replies)
    return [message.text for message in sent[before:]]


def arxiv_ids(fake: FakeTelegram, chat_id: int) -> list[str]:
    """Return the arXiv ids of the cards sent to a chat, read from their arXiv buttons."""
    ids = []
    for message in fake.messages_to(chat_id):
        if message.reply_markup is None:
            continue
        url = message.reply_markup["inline_keyboard"][0][0]["url"]
        ids.append(url.rsplit("/", 1)[-1])
    return ids
