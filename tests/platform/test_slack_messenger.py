"""Tests of the Slack messenger against the fake Slack Web API."""

from __future__ import annotations

import math

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.ratelimit import Limits, RateLimiter
from bot.errors import MessageRejected, RateLimited, RecipientGone
from bot.i18n import get_translator
from bot.platform.base import SendOutcomeUnknown, Target
from bot.platform.slack.app import build_app
from bot.platform.slack.blocks import MAX_TEXT_LENGTH, SlackMessage
from bot.platform.slack.messenger import SlackMessenger
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


async def test_lost_response_not_resent(fake_slack: FakeSlack) -> None:
    app = build_app(bot_token=BOT_TOKEN, api_url=fake_slack.api_url)
    messenger = SlackMessenger(app.client)
    fake_slack.drop_after_posting_next(1)

    with pytest.raises(SendOutcomeUnknown):
        await messenger.send_card(GENERAL, make_paper(), t=EN)

    assert len(fake_slack.posts) == 1


async def test_post_ephemeral_reaches_one_user(fake_slack: FakeSlack,
                                               messenger: SlackMessenger) -> None:
    await messenger.post_ephemeral(channel="C0GENERAL", user="U0ALICE",
                                   message=SlackMessage(text="only for you"))

    [post] = fake_slack.posts
    assert post.method == "chat.postEphemeral"
    assert post.ephemeral is True
    assert post.user == "U0ALICE"


class ManualClock:
    """A monotonic clock that only moves when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def paced_messenger(fake: FakeSlack, clock: ManualClock) -> SlackMessenger:
    limiter = RateLimiter(Limits(per_second=math.inf, per_chat_per_second=2.0),
                          monotonic=clock, sleep=clock.sleep)
    return SlackMessenger(AsyncWebClient(token=BOT_TOKEN, base_url=fake.api_url),
                          limiter=limiter)


async def test_limiter_spaces_posts_per_channel(fake_slack: FakeSlack) -> None:
    clock = ManualClock()
    messenger = paced_messenger(fake_slack, clock)

    await messenger.send_text(GENERAL, "one")
    await messenger.send_text(Target(ChatRef("slack", "C0OTHER")), "other channel")
    await messenger.send_text(GENERAL, "two")

    assert clock.sleeps == [0.5]
    assert [post.channel for post in fake_slack.posts] == ["C0GENERAL", "C0OTHER", "C0GENERAL"]


async def test_ephemeral_reply_not_paced(fake_slack: FakeSlack) -> None:
    clock = ManualClock()
    messenger = paced_messenger(fake_slack, clock)

    await messenger.send_text(GENERAL, "one")
    await messenger.post_ephemeral(channel="C0GENERAL", user="U0ALICE",
                                   message=SlackMessage(text="only for you"))

    assert clock.sleeps == []
