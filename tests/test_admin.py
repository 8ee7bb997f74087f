"""Admin notices: the ADMIN_CHAT_IDS setting, rate-limited summaries, and end to end on Telegram."""

from __future__ import annotations

import logging
import shutil
from http import HTTPStatus
from pathlib import Path

import pytest

from bot.admin.notifier import MAX_LISTED, AdminNotifier, admin_chats
from bot.admin.targets import parse_admin_chat_ids
from bot.errors import ConfigError, DigestParseError, TemporaryFailure
from bot.platform.base import Target
from bot.settings import load_settings
from bot.store import ChatRef
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios.harness import command, running, telegram_settings

ADMIN = ChatRef("telegram", "777")
TOKEN = "123456789:AAE-admin-secret"


class FakeSender:
    """Records the texts sent to each chat; ``fail`` makes every send raise."""

    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[tuple[ChatRef, str]] = []
        self.fail = fail

    async def send_text(self, target: Target, text: str) -> str:
        if self.fail:
            raise TemporaryFailure("Bad Gateway")
        self.sent.append((target.chat, text))
        return str(len(self.sent))


class ManualClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _notifier(sender: FakeSender, clock: ManualClock, *,
              chats: tuple[ChatRef, ...] = (ADMIN,)) -> AdminNotifier:
    return AdminNotifier(chats=chats, messengers={"telegram": sender}, store=None,
                         default_language="en", interval=300, monotonic=clock)


@pytest.mark.parametrize(("value", "expected"), [
    ("telegram:12345", ("telegram:12345",)),
    ("12345", ("telegram:12345",)),
    ("telegram:-1001234567890", ("telegram:-1001234567890",)),
    ("slack:C0123ABC", ("slack:C0123ABC",)),
    (" telegram:1 , slack:U42,", ("telegram:1", "slack:U42")),
    ("Telegram:5,telegram:5", ("telegram:5",)),
    ("", ()),
], ids=["telegram", "bare-number", "supergroup", "slack", "spaces-trailing-comma",
        "repeat", "empty"])
def test_admin_chat_ids_accepted(value: str, expected: tuple[str, ...]) -> None:
    assert parse_admin_chat_ids(value) == expected


@pytest.mark.parametrize("entry", ["telegram:abc", "slack:c0123", "matrix:!room", "@admin",
                                   "telegram:"],
                         ids=["telegram-letters", "slack-lowercase", "unknown-platform",
                              "username", "no-id"])
def test_admin_chat_ids_rejected(entry: str) -> None:
    with pytest.raises(ValueError, match="expected comma-separated platform:chat_id") as raised:
        parse_admin_chat_ids(f"telegram:1,{entry}")
    assert repr(entry) in str(raised.value)


def test_invalid_admin_chat_ids_stop_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_CHAT_IDS", "telegram:1,slack:#general")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    [line] = [line for line in str(raised.value).splitlines() if "ADMIN_CHAT_IDS" in line]
    assert line.strip().startswith("ADMIN_CHAT_IDS=")
    assert "'slack:#general'" in line
    assert "telegram:12345" in line


def test_admin_chat_ids_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_CHAT_IDS", "12345,slack:C0123")
    settings = load_settings()
    assert admin_chats(settings.admin_chat_ids) == [ChatRef("telegram", "12345"),
                                                    ChatRef("slack", "C0123")]


async def test_first_notice_sent_at_once() -> None:
    sender, clock = FakeSender(), ManualClock()
    notifier = _notifier(sender, clock)
    notifier.digest_rejected(DigestParseError("score 'high' is not a number", path="d.md",
                                              line=12))
    assert await notifier.flush() is True
    assert sender.sent == [(ADMIN, "Digest file rejected: d.md:12: score 'high' is not a number")]


async def test_burst_sends_one_summary() -> None:
    sender, clock = FakeSender(), ManualClock()
    notifier = _notifier(sender, clock)
    notifier.work_dropped("card dropped chat=telegram:1 arxiv_id=2602.00000 reason=first")
    await notifier.flush()
    for number in range(1, 50):
        notifier.work_dropped(f"card dropped chat=telegram:1 arxiv_id=2602.{number:05d} "
                              "reason=Bad Request")
        assert await notifier.flush() is False
    clock.now += 300
    assert await notifier.flush() is True
    assert await notifier.flush() is False
    summary = sender.sent[1][1].splitlines()
    assert len(sender.sent) == 2
    assert summary[0] == "49 problems since the last notice:"
    assert summary[1] == ("• Delivery dropped: card dropped chat=telegram:1 "
                          "arxiv_id=2602.00001 reason=Bad Request")
    assert len([line for line in summary if line.startswith("• ")]) == MAX_LISTED
    assert summary[-1] == f"…and {49 - MAX_LISTED} more; see the log for the rest."


async def test_stop_sends_queued_notices() -> None:
    sender, clock = FakeSender(), ManualClock()
    notifier = _notifier(sender, clock)
    notifier.work_dropped("first")
    await notifier.flush()
    notifier.work_dropped("second")
    notifier.work_dropped("third")
    await notifier.stop()
    assert sender.sent[1][1] == ("2 problems since the last notice:\n"
                                 "• Delivery dropped: second\n• Delivery dropped: third")


async def test_long_notice_is_cut() -> None:
    sender, clock = FakeSender(), ManualClock()
    notifier = _notifier(sender, clock)
    notifier.work_dropped("x" * 1000)
    await notifier.flush()
    text = sender.sent[0][1]
    assert text.endswith("…")
    assert len(text) < 400


async def test_failed_send_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    notifier = _notifier(FakeSender(fail=True), ManualClock())
    notifier.work_dropped("card dropped")
    assert await notifier.flush() is True
    assert "admin notice not sent chat=telegram:777" in caplog.text
    assert not [record for record in caplog.records if record.levelno >= logging.CRITICAL]


async def test_unconfigured_platform_skipped(caplog: pytest.LogCaptureFixture) -> None:
    sender = FakeSender()
    notifier = _notifier(sender, ManualClock(), chats=(ChatRef("slack", "C1"), ADMIN))
    notifier.work_dropped("card dropped")
    await notifier.flush()
    assert [chat for chat, _ in sender.sent] == [ADMIN]
    assert "platform is not configured chat=slack:C1" in caplog.text


async def test_critical_log_becomes_masked_notice() -> None:
    sender, clock = FakeSender(), ManualClock()
    notifier = _notifier(sender, clock)
    notifier.start(secrets=[TOKEN])
    try:
        logging.getLogger("bot.delivery.test").critical(
            "card dropped chat=%s arxiv_id=%s reason=%s", "telegram:5", "2602.1",
            f"POST /bot{TOKEN}/sendMessage failed")
        logging.getLogger("bot.delivery.test").error("not dropped, only an error")
    finally:
        await notifier.stop()
    assert sender.sent == [(ADMIN, "Delivery dropped: card dropped chat=telegram:5 "
                                   "arxiv_id=2602.1 reason=POST /bot***/sendMessage failed")]


async def test_malformed_digest_notifies_admin_chat(fake_telegram: FakeTelegram,
                                                    tmp_path: Path) -> None:
    settings = telegram_settings(fake_telegram, tmp_path, admin_chat_ids=ADMIN.chat_id)
    bad = settings.digest_dir / "2026-02-19.md"
    lines = SAMPLE_DIGEST.read_text(encoding="utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith("**得分**: 36.84"))
    lines[number - 1] = "**得分**: high"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    async with running(settings) as service:
        await service.scan_and_send()
        sent = await fake_telegram.wait_for_sent(1)
    [notice] = [message for message in sent if message.chat_id == int(ADMIN.chat_id)]
    assert notice.text.startswith(f"Digest file rejected: {bad}:{number}: ")
    assert "得分" in notice.text


async def test_dropped_card_notifies_admin_chat(fake_telegram: FakeTelegram,
                                                tmp_path: Path) -> None:
    settings = telegram_settings(fake_telegram, tmp_path,
                                 admin_chat_ids=f"telegram:{ADMIN.chat_id}")
    async with running(settings) as service:
        await command(fake_telegram, 5001, "/subscribe all")
        # The card and then its plain-text fallback are both rejected: the card is dropped.
        fake_telegram.fail_next(2, status=HTTPStatus.BAD_REQUEST,
                                description="Bad Request: can't parse entities: boom")
        shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
        await service.scan_and_send()
        notice = await _next_message_to(fake_telegram, int(ADMIN.chat_id))
    assert notice.startswith("Delivery dropped: card dropped chat=telegram:5001 ")
    assert notice.endswith("reason=Can't parse entities: boom")


async def _next_message_to(fake: FakeTelegram, chat_id: int) -> str:
    """Wait for the first message to ``chat_id``; the fake's guard raises after 10 s."""
    while not fake.messages_to(chat_id):
        await fake.wait_for_sent(len(fake.sent) + 1)
    return fake.messages_to(chat_id)[0].text
