"""End to end on Telegram: chat commands, digests appearing, cards arriving once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import Settings
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios.harness import arxiv_ids, command, running, telegram_settings

CHAT = 5001
GROUP = -1001234567890
GOOGLE_PAPERS = ["2602.17270", "2602.16928"]



@pytest.fixture
def settings(fake_telegram: FakeTelegram, tmp_path: Path) -> Settings:
    return telegram_settings(fake_telegram, tmp_path)


async def test_subscribe_then_digest_sends_matching_cards(
        fake_telegram: FakeTelegram, settings: Settings) -> None:
    async with running(settings) as service:
        [reply] = await command(fake_telegram, CHAT, "/subscribe Google")
        assert reply.startswith("Subscribed: papers from Google")
        assert "No digest is stored yet" in reply
        shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
        await service.scan_and_send()
    assert arxiv_ids(fake_telegram, CHAT) == GOOGLE_PAPERS
    assert fake_telegram.rejected == []
    first_card = fake_telegram.messages_to(CHAT)[1]
    assert first_card.parse_mode == "HTML"
    assert "Unified Latents (UL): How to train your latents" in first_card.display_text


async def test_top_three_in_score_order(fake_telegram: FakeTelegram, settings: Settings) -> None:
    shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
    async with running(settings) as service:
        await service.scan_and_send()
        await command(fake_telegram, CHAT, "/top 3", replies=3)
    assert arxiv_ids(fake_telegram, CHAT) == ["2602.13515", "2602.16855", "2602.17270"]


async def test_restart_sends_nothing_twice(fake_telegram: FakeTelegram, settings: Settings) -> None:
    async with running(settings) as service:
        await command(fake_telegram, CHAT, "/subscribe all")
        shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
        await service.scan_and_send()
    sent_before_restart = len(fake_telegram.sent)
    async with running(settings) as service:
        # The file changes on disk but keeps its papers: it is parsed again, sent again never.
        path = settings.digest_dir / SAMPLE_DIGEST.name
        path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        await service.scan_and_send()
        await service.sender.drain()
    assert sent_before_restart == 1 + 6
    assert len(fake_telegram.sent) == sent_before_restart


async def test_republished_digest_sends_only_new_papers(
        fake_telegram: FakeTelegram, settings: Settings, corpus_dir: Path) -> None:
    real = corpus_dir / "real"
    path = settings.digest_dir / "2026-02-04.md"
    async with running(settings) as service:
        await command(fake_telegram, CHAT, "/subscribe all")
        shutil.copy(real / "dailynews_2026-02-04_first-run.md", path)
        await service.scan_and_send()
        first = arxiv_ids(fake_telegram, CHAT)
        shutil.copy(real / "dailynews_2026-02-04_final-run.md", path)
        await service.scan_and_send()
    added = arxiv_ids(fake_telegram, CHAT)[len(first):]
    assert len(first) == 10
    assert sorted(added) == ["2602.03183", "2602.03747", "2602.03845"]


async def test_non_admin_in_group_is_refused(fake_telegram: FakeTelegram,
                                             settings: Settings) -> None:
    async with running(settings) as service:
        [refusal] = await command(fake_telegram, GROUP, "/subscribe all", user_id=7)
        fake_telegram.set_admin(GROUP, 8)
        [accepted] = await command(fake_telegram, GROUP, "/subscribe all", user_id=8)
        chat = await service.store.chats.find_platform_chat("telegram", str(GROUP))
    assert "only administrators" in refusal
    assert accepted.startswith("Subscribed: all papers")
    assert chat is not None


async def test_command_addressed_to_bot_in_group(fake_telegram: FakeTelegram,
                                                 settings: Settings) -> None:
    shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
    async with running(settings) as service:
        await service.scan_and_send()
        await command(fake_telegram, GROUP, f"/top@{fake_telegram.username} 1", user_id=7)
    assert arxiv_ids(fake_telegram, GROUP) == ["2602.13515"]


@pytest.mark.parametrize(("filter_text", "expected"), [
    ("score>=abc", 'Invalid filter term "score>=abc"'),
    ("foo:bar", 'Invalid filter term "foo:bar"'),
    ('tag:"Frontier Lab', "Invalid filter term"),
], ids=["bad-number", "unknown-key", "unclosed-quote"])
async def test_invalid_filter_gets_explanation(fake_telegram: FakeTelegram, settings: Settings,
                                               filter_text: str, expected: str) -> None:
    async with running(settings):
        [reply] = await command(fake_telegram, CHAT, f"/subscribe {filter_text}")
        [listing] = await command(fake_telegram, CHAT, "/list")
    assert expected in reply
    assert "Example: /subscribe" in reply
    assert "no subscriptions" in listing


async def test_malformed_digest_skipped_others_delivered(
        fake_telegram: FakeTelegram, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    bad = settings.digest_dir / "2026-02-19.md"
    good_text = SAMPLE_DIGEST.read_text(encoding="utf-8")
    async with running(settings) as service:
        await command(fake_telegram, CHAT, "/subscribe Google")
        bad.write_text(good_text.replace("**得分**: 36.84", "**得分**: high")
                       .replace("2026-02-20", "2026-02-19"), encoding="utf-8")
        shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
        await service.scan_and_send()
        assert arxiv_ids(fake_telegram, CHAT) == GOOGLE_PAPERS
        assert f"{bad}:" in caplog.text
        assert "得分" in caplog.text
        # The corrected file of another day, whose Google papers are new ones.
        bad.write_text(good_text.replace("2026-02-20", "2026-02-19")
                       .replace("2602.17270", "2602.99999").replace("2602.16928", "2602.99998"),
                       encoding="utf-8")
        await service.scan_and_send()
    assert arxiv_ids(fake_telegram, CHAT) == [*GOOGLE_PAPERS, "2602.99999", "2602.99998"]


async def test_blocked_chat_is_paused_and_others_served(
        fake_telegram: FakeTelegram, settings: Settings) -> None:
    async with running(settings) as service:
        await command(fake_telegram, CHAT, "/subscribe Google")
        await command(fake_telegram, CHAT + 1, "/subscribe Google")
        fake_telegram.block(CHAT)
        shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
        await service.scan_and_send()
        chat = await service.store.chats.find_platform_chat("telegram", str(CHAT))
    assert arxiv_ids(fake_telegram, CHAT + 1) == GOOGLE_PAPERS
    assert arxiv_ids(fake_telegram, CHAT) == []
    assert chat is not None
    assert chat.active is False
    assert "blocked" in (chat.inactive_reason or "")


async def test_migrated_group_gets_cards_at_new_id(
        fake_telegram: FakeTelegram, settings: Settings) -> None:
    old, new = -4001, -1004001
    fake_telegram.set_admin(old, 9)
    async with running(settings) as service:
        await command(fake_telegram, old, "/subscribe Google", user_id=9)
        fake_telegram.migrate(old, new)
        shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
        await service.scan_and_send()
        await service.sender.drain()
    assert arxiv_ids(fake_telegram, new) == GOOGLE_PAPERS
