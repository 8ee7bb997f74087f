"""One process serving Telegram and Slack from one digest."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import SAMPLE_DIGEST
from tests.fakes.slack_api import FakeSlack
from tests.fakes.telegram_api import FakeTelegram
from tests.scenarios.harness import arxiv_ids as telegram_arxiv_ids
from tests.scenarios.harness import command
from tests.scenarios.test_slack_flow import (
    GENERAL,
    GOOGLE_PAPERS,
    in_channel,
    running,
    slack_settings,
    slash,
)
from tests.scenarios.test_slack_flow import arxiv_ids as slack_arxiv_ids

CHAT = 5001


async def test_one_digest_reaches_telegram_chat_and_slack_channel(
        fake_telegram: FakeTelegram, fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = slack_settings(fake_slack, tmp_path, telegram_bot_token=fake_telegram.token,
                              telegram_api_url=fake_telegram.base_url)
    async with running(settings, fake_slack) as service:
        [telegram_reply] = await command(fake_telegram, CHAT, "/subscribe Google")
        [slack_reply] = await slash(fake_slack, "subscribe Google")
        shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)
        await service.scan_and_send()
        slack_cards = await fake_slack.wait_for_posts(2, where=in_channel(GENERAL))
        await fake_telegram.wait_for_sent(1 + len(GOOGLE_PAPERS))
    assert telegram_reply.startswith("Subscribed: papers from Google.")
    assert slack_reply.ephemeral is True
    assert telegram_arxiv_ids(fake_telegram, CHAT) == GOOGLE_PAPERS
    assert slack_arxiv_ids(slack_cards) == GOOGLE_PAPERS
    assert fake_telegram.rejected == []
    assert fake_slack.rejected == []
