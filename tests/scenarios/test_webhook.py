"""Webhook mode end to end: secret checked, commands answered, metrics matching the fake."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.platform.telegram.webhook import SECRET_HEADER
from bot.service import Service
from bot.settings import Settings
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios.harness import running, telegram_settings

URL = "https://bot.example.com/telegram"
SECRET = "webhook-secret_0123456789"
CHAT = 5001
SAMPLE_PAPERS = 6


@pytest.fixture
def settings(fake_telegram: FakeTelegram, tmp_path: Path) -> Settings:
    return telegram_settings(fake_telegram, tmp_path, telegram_webhook_url=URL,
                             telegram_webhook_secret=SECRET)


def _base(service: Service) -> str:
    assert service.web is not None
    return f"http://127.0.0.1:{service.web.port}"


async def _post_update(service: Service, update: dict[str, Any], secret: str | None) -> int:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    async with aiohttp.ClientSession() as session, session.post(
            f"{_base(service)}/telegram", json=update, headers=headers) as response:
        return response.status


async def _metrics(service: Service) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    async with aiohttp.ClientSession() as session, session.get(
            f"{_base(service)}/metrics") as response:
        text = await response.text()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _cards(fake: FakeTelegram) -> list[str]:
    """The arXiv ids of the cards the fake accepted, read from their arXiv buttons."""
    return [message.reply_markup["inline_keyboard"][0][0]["url"].rsplit("/", 1)[-1]
            for message in fake.sent if message.reply_markup is not None]


async def test_webhook_set_and_no_polling(fake_telegram: FakeTelegram,
                                          settings: Settings) -> None:
    async with running(settings):
        pass
    methods = [call.method for call in fake_telegram.calls]
    assert fake_telegram.webhook_url == URL
    assert "getUpdates" not in methods
    assert "deleteWebhook" not in methods


async def test_wrong_secret_rejected_right_one_answered(fake_telegram: FakeTelegram,
                                                        settings: Settings) -> None:
    async with running(settings) as service:
        wrong = await _post_update(service, fake_telegram.push_message(CHAT, "/help"), "nope")
        missing = await _post_update(service, fake_telegram.push_message(CHAT, "/help"), None)
        right = await _post_update(service, fake_telegram.push_message(CHAT, "/today"), SECRET)
        [reply] = await fake_telegram.wait_for_sent(1)
    assert wrong == 403
    assert missing == 403
    assert right == 200
    assert reply.chat_id == CHAT
    assert "No digest is stored yet" in reply.text
    assert len(fake_telegram.sent) == 1


async def test_metrics_match_what_fake_received(fake_telegram: FakeTelegram,
                                                settings: Settings) -> None:
    async with running(settings) as service:
        await _post_update(service, fake_telegram.push_message(CHAT, "/subscribe all"), SECRET)
        await fake_telegram.wait_for_sent(1)
        shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
        fake_telegram.fail_next(1, status=429, retry_after=1)
        await service.scan_and_send()
        # The rate-limited card waits retry_after, then the deliver job sends the rest.
        await fake_telegram.wait_for_sent(1 + SAMPLE_PAPERS)
        metrics = await _metrics(service)
    rejected_429 = [r for r in fake_telegram.rejected if r.error_code == 429]
    telegram = (("platform", "telegram"),)
    assert len(_cards(fake_telegram)) == SAMPLE_PAPERS
    assert metrics[("paperbot_cards_sent_total", telegram)] == len(_cards(fake_telegram))
    assert metrics[("paperbot_rate_limited_total", telegram)] == len(rejected_429)
    assert len(rejected_429) == 1
    assert metrics[("paperbot_delivery_latency_seconds_count", telegram)] == SAMPLE_PAPERS
    assert metrics[("paperbot_digests_ingested_total", ())] == 1
    assert metrics[("paperbot_commands_total", (("command", "subscribe"),))] == 1
    assert metrics[("paperbot_outbox_pending", ())] == 0
    assert metrics[("paperbot_leader", ())] == 1


async def test_readyz_ready_while_running(fake_telegram: FakeTelegram,
                                          settings: Settings) -> None:
    async with running(settings) as service, aiohttp.ClientSession() as session:
        # The Application runs before start-up ends (setWebhook comes after it), so ask
        # until the service reports itself started; each answer comes within a second.
        for _ in range(50):
            async with session.get(f"{_base(service)}/readyz") as response:
                status, body = response.status, await response.json()
            if body["checks"]["service"]["ok"]:
                break
            await asyncio.sleep(0.05)
    assert status == 200
    assert body["checks"] == {"service": {"ok": True}, "database": {"ok": True},
                              "telegram": {"ok": True}}
