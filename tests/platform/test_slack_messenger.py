"""Tests of the Slack messenger against the fake Slack Web API."""

from __future__ import annotations

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import MessageRejected, RateLimited, RecipientGone
from bot.i18n import get_translator
from bot.platform.base import Target
from bot.platform.slack import messenger as messenger_module
from bot.platform.slack.blocks import MAX_TEXT_LENGTH, SlackMessage
from bot.platform.slack.messenger import ChannelPacer, SlackMessenger
from bot.store import ChatRef
from tests.fakes.slack_api import BOT_TOKEN, FakeSlack
from tests.fakes.slack_blocks import displayed_text
from tests.platform.cards import HAZARDS, make_paper

EN = get_translator("en")
GENERAL = Target(ChatRef("slack", "C0GENERAL"))


@pytest.fixture
def messenger(fake_slack: FakeSlack) -> SlackMessenger:
    return SlackMessenger(AsyncWebClient(token=BOT_TOKEN, base_url=fake_slack.api_url))


async def test_send_card_posts_blocks(fake_slack: FakeSlack, messenger: SlackMessenger) -> None:
    ts = await messenger.send_card(GENERAL, make_paper(), t=EN)

    [post] = fake_slack.posts
    assert post.method == "chat.postMessage"
    assert post.channel == "C0GENERAL"
    assert post.ts == ts
    assert post.blocks is not None
    assert post.blocks[0]["type"] == "header"
    assert displayed_text(post.text).startswith("3. 统一潜变量")


async def test_send_card_in_thread(fake_slack: FakeSlack, messenger: SlackMessenger) -> None:
    target = Target(ChatRef("slack", "C0GENERAL"), thread_id="1700000000.000009")

    await messenger.send_card(target, make_paper(), t=EN)

    assert fake_slack.posts[0].thread_ts == "1700000000.000009"


async def test_send_plain_card_is_literal_text(fake_slack: FakeSlack,
                                               messenger: SlackMessenger) -> None:
    await messenger.send_plain_card(GENERAL, make_paper(summary=HAZARDS), t=EN)

    [post] = fake_slack.posts
    assert post.blocks is None
    assert post.mrkdwn is False
    assert HAZARDS in displayed_text(post.text)
    assert "[PDF] https://arxiv.org/pdf/2602.17270" in displayed_text(post.text)


async def test_send_text_splits_long_text(fake_slack: FakeSlack,
                                          messenger: SlackMessenger) -> None:
    text = "first line\n" + "x" * MAX_TEXT_LENGTH

    ts = await messenger.send_text(GENERAL, text)

    assert [displayed_text(post.text) for post in fake_slack.posts] == [
        "first line", "x" * MAX_TEXT_LENGTH]
    assert ts == fake_slack.posts[-1].ts


async def test_send_text_blank_rejected(messenger: SlackMessenger) -> None:
    with pytest.raises(MessageRejected):
        await messenger.send_text(GENERAL, " \n ")


async def test_not_in_channel_is_recipient_gone(fake_slack: FakeSlack,
                                                messenger: SlackMessenger) -> None:
    fake_slack.remove_bot_from("C0GENERAL")

    with pytest.raises(RecipientGone, match="not_in_channel"):
        await messenger.send_card(GENERAL, make_paper(), t=EN)


async def test_rate_limit_carries_retry_after(fake_slack: FakeSlack,
                                              messenger: SlackMessenger) -> None:
    fake_slack.rate_limit_next(1, retry_after=3)

    with pytest.raises(RateLimited) as caught:
        await messenger.send_card(GENERAL, make_paper(), t=EN)

    assert caught.value.retry_after == 3.0


async def test_rejected_blocks_is_message_rejected(fake_slack: FakeSlack,
                                                   messenger: SlackMessenger) -> None:
    fake_slack.reject_blocks_next(1)

    with pytest.raises(MessageRejected, match="invalid_blocks"):
        await messenger.send_card(GENERAL, make_paper(), t=EN)


async def test_post_ephemeral_reaches_one_user(fake_slack: FakeSlack,
                                               messenger: SlackMessenger) -> None:
    await messenger.post_ephemeral(channel="C0GENERAL", user="U0ALICE",
                                   message=SlackMessage(text="only for you"))

    [post] = fake_slack.posts
    assert post.method == "chat.postEphemeral"
    assert post.ephemeral is True
    assert post.user == "U0ALICE"


class ManualClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_pacer_spaces_posts_per_channel(monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []

    async def record_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(messenger_module.asyncio, "sleep", record_sleep)
    pacer = ChannelPacer(per_second=2.0, monotonic=ManualClock())

    await pacer.wait("C0GENERAL")
    await pacer.wait("C0OTHER")
    await pacer.wait("C0GENERAL")

    assert delays == [0.5]


async def test_pacer_no_wait_after_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    delays: list[float] = []

    async def record_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr(messenger_module.asyncio, "sleep", record_sleep)
    clock = ManualClock()
    pacer = ChannelPacer(per_second=1.0, monotonic=clock)

    await pacer.wait("C0GENERAL")
    clock.now += 1.0
    await pacer.wait("C0GENERAL")

    assert delays == []
