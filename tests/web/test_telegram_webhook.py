"""The Telegram webhook endpoint: secret header checked, updates queued, setWebhook called."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.platform.telegram.webhook import SECRET_HEADER, TelegramWebhook, webhook_path
from tests.fakes.telegram_api import FakeTelegram

URL = "https://bot.example.com/hooks/telegram"
SECRET = "s3cret_webhook-token"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def application(fake_telegram: FakeTelegram) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    built = fake_telegram.application_builder().updater(None).build()
    await built.initialize()
    yield built
    await built.shutdown()


@pytest.fixture
async def endpoint(application: Application) -> AsyncIterator[tuple[TelegramWebhook, str]]:  # type: ignore[type-arg]
    webhook = TelegramWebhook(application, url=URL, secret=SECRET, monotonic=Clock())
    app = web.Application()
    app.router.add_post(webhook.path, webhook.handle)
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield webhook, f"http://127.0.0.1:{port}{webhook.path}"
    await runner.cleanup()


async def _post(url: str, body: Any, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session, session.post(
            url, json=body, headers=headers) as response:
        return response.status


def test_webhook_path_from_url() -> None:
    assert webhook_path(URL) == "/hooks/telegram"
    assert webhook_path("https://bot.example.com") == "/"


async def test_right_secret_queues_update(
        fake_telegram: FakeTelegram, application: Application,  # type: ignore[type-arg]
        endpoint: tuple[TelegramWebhook, str]) -> None:
    _, url = endpoint
    update = fake_telegram.push_message(5001, "/help")
    status = await _post(url, update, {SECRET_HEADER: SECRET})
    queued = await asyncio.wait_for(application.update_queue.get(), timeout=5)
    assert status == 200
    assert isinstance(queued, Update)
    assert queued.update_id == update["update_id"]
    assert queued.effective_message is not None
    assert queued.effective_message.text == "/help"


@pytest.mark.parametrize("headers", [{SECRET_HEADER: "wrong"}, {}], ids=["wrong", "missing"])
async def test_bad_secret_rejected_with_403(
        fake_telegram: FakeTelegram, application: Application,  # type: ignore[type-arg]
        endpoint: tuple[TelegramWebhook, str], headers: dict[str, str]) -> None:
    _, url = endpoint
    status = await _post(url, fake_telegram.push_message(5001, "/help"), headers)
    assert status == 403
    assert application.update_queue.empty()


async def test_rejections_logged_once_per_burst_without_secret(
        fake_telegram: FakeTelegram, endpoint: tuple[TelegramWebhook, str],
        caplog: pytest.LogCaptureFixture) -> None:
    _, url = endpoint
    caplog.set_level(logging.WARNING, logger="bot.platform.telegram.webhook")
    for _ in range(5):
        await _post(url, {"update_id": 1}, {SECRET_HEADER: "guess-" + SECRET})
    rejected = [r for r in caplog.records if "webhook request rejected" in r.getMessage()]
    assert len(rejected) == 1
    assert SECRET not in caplog.text


async def test_body_that_is_not_update_rejected_with_400(
        endpoint: tuple[TelegramWebhook, str]) -> None:
    _, url = endpoint
    status = await _post(url, ["not", "an", "update"], {SECRET_HEADER: SECRET})
    assert status == 400


async def test_register_sets_webhook_with_secret(
        fake_telegram: FakeTelegram, endpoint: tuple[TelegramWebhook, str]) -> None:
    webhook, _ = endpoint
    await webhook.register()
    [call] = [call for call in fake_telegram.calls if call.method == "setWebhook"]
    assert fake_telegram.webhook_url == URL
    assert call.params["secret_token"] == SECRET
