"""Tests of the Slack frontend: /papers, mentions and direct messages through real slack-bolt."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.clock import utcnow
from bot.commands import CommandRouter, Services
from bot.errors import ConfigError
from bot.matcher.orgs import OrgMatcher
from bot.parser.markdown import parse_file
from bot.platform.slack.app import EVENTS_PATH, SlackFrontend, build_app
from bot.store import ChatRef, Store
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    Post,
    direct_message,
    member_joined,
    mention,
    sign,
)
from tests.fakes.slack_blocks import displayed_text

CHANNEL = "C0GENERAL"
TOP_THREE = ["2602.13515", "2602.16855", "2602.17270"]


@dataclass
class SlackBot:
    """A started Slack frontend, its store and the fake Slack it talks to."""

    frontend: SlackFrontend
    store: Store
    fake: FakeSlack

    async def slash(self, text: str, *, replies: int = 1, **where: str) -> list[Post]:
        """Send ``/papers <text>`` and return the bot's response messages."""
        before = len(self.fake.posts)
        ack = await self.fake.slash_command(text, **where)
        assert ack.payload is None
        posts = await self.fake.wait_for_posts(before + replies)
        return posts[before:]

    async def event(self, event: dict[str, Any], *, replies: int = 1) -> list[Post]:
        """Send an Events API event and return the bot's replies."""
        before = len(self.fake.posts)
        await self.fake.send_event(event)
        posts = await self.fake.wait_for_posts(before + replies)
        return posts[before:]

    async def load_sample_digest(self) -> None:
        await self.store.digests.save(parse_file(SAMPLE_DIGEST), source=str(SAMPLE_DIGEST),
                                      now=utcnow())


async def open_store(tmp_path: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'paperbot.db'}")
    await store.db.connect()
    return store


def make_router(store: Store) -> CommandRouter:
    return CommandRouter(Services(store=store, orgs=OrgMatcher(), clock=utcnow,
                                  default_language="en"))


@pytest.fixture
async def slack_bot(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackBot]:
    store = await open_store(tmp_path)
    app = build_app(bot_token=BOT_TOKEN, api_url=fake_slack.api_url)
    frontend = SlackFrontend(app, make_router(store), app_token=APP_TOKEN)
    await frontend.start()
    yield SlackBot(frontend, store, fake_slack)
    await frontend.stop()
    await store.db.close()


def arxiv_ids(post: Post) -> list[str]:
    """The arXiv ids of the cards in a post, read from their arXiv buttons."""
    ids = []
    for block in post.blocks or []:
        if block["type"] == "actions":
            ids.append(block["elements"][0]["url"].rsplit("/", 1)[-1])
    return ids


def shown(post: Post) -> str:
    return displayed_text(post.text)


# -- slash command ----------------------------------------------------------------------


async def test_slash_subscribe_replies_ephemeral(slack_bot: SlackBot) -> None:
    [reply] = await slack_bot.slash("subscribe Google")

    assert reply.method == "response_url"
    assert reply.ephemeral is True
    assert reply.user == "U0ALICE"
    assert shown(reply).startswith("Subscribed: papers from Google.")


async def test_slash_subscribe_stores_channel_subscription(slack_bot: SlackBot) -> None:
    await slack_bot.slash("subscribe Google")

    chat = await slack_bot.store.chats.find(ChatRef("slack", CHANNEL))
    assert chat is not None
    assert chat.kind == "channel"
    [subscription] = await slack_bot.store.chats.subscriptions(chat.pk)
    assert subscription.rule == "Google"


async def test_slash_filter_with_comparison_unescaped(slack_bot: SlackBot) -> None:
    await slack_bot.slash('subscribe tag:"Frontier Lab" score>=35')

    chat = await slack_bot.store.chats.find(ChatRef("slack", CHANNEL))
    assert chat is not None
    [subscription] = await slack_bot.store.chats.subscriptions(chat.pk)
    assert subscription.rule == 'tag:"Frontier Lab" score>=35'


@pytest.mark.parametrize("text", [pytest.param("", id="empty"), pytest.param("help", id="help")])
async def test_slash_help_names_papers_commands(slack_bot: SlackBot, text: str) -> None:
    [reply] = await slack_bot.slash(text)

    assert "/papers subscribe Google" in shown(reply)
    assert "\n/subscribe" not in shown(reply)


async def test_slash_unknown_command_points_to_help(slack_bot: SlackBot) -> None:
    [reply] = await slack_bot.slash("frobnicate")

    assert shown(reply) == "Unknown command /frobnicate. Send /papers help to see the commands."


async def test_slash_list_then_unsubscribe(slack_bot: SlackBot) -> None:
    await slack_bot.slash("subscribe Google")
    await slack_bot.slash("subscribe kw:diffusion")

    [listed] = await slack_bot.slash("list")
    [removed] = await slack_bot.slash("unsubscribe 2")

    assert shown(listed) == "Subscriptions of this chat:\n1. Google\n2. kw:diffusion"
    assert shown(removed) == "Removed subscription 2: kw:diffusion"


async def test_slash_lang_switches_replies(slack_bot: SlackBot) -> None:
    [reply] = await slack_bot.slash("lang zh")
    [listed] = await slack_bot.slash("list")

    chat = await slack_bot.store.chats.find(ChatRef("slack", CHANNEL))
    assert chat is not None
    assert chat.language == "zh"
    assert any("\u4e00" <= char <= "\u9fff" for char in shown(reply))
    assert any("\u4e00" <= char <= "\u9fff" for char in shown(listed))
    assert "/papers subscribe Google" in shown(listed)


async def test_slash_top_cards_ephemeral_in_score_order(slack_bot: SlackBot) -> None:
    await slack_bot.load_sample_digest()

    [cards, note] = await slack_bot.slash("top 3", replies=2)

    assert cards.ephemeral is True
    assert arxiv_ids(cards) == TOP_THREE
    assert [block["type"] for block in cards.blocks or []].count("divider") == 2
    assert shown(note) == ("Only you can see these cards. To post them for the whole channel, "
                           "send: @paperbot top 3")


async def test_slash_top_in_direct_message_has_no_note(slack_bot: SlackBot) -> None:
    await slack_bot.load_sample_digest()

    [cards] = await slack_bot.slash("top 1", channel="D0ALICE", channel_name="directmessage")

    assert arxiv_ids(cards) == ["2602.13515"]
    chat = await slack_bot.store.chats.find(ChatRef("slack", "D0ALICE"))
    assert chat is not None
    assert chat.kind == "private"


async def test_slash_top_twenty_fits_response_url_uses(slack_bot: SlackBot) -> None:
    await slack_bot.load_sample_digest()

    [cards, note] = await slack_bot.slash("top 20", replies=2)

    assert len(arxiv_ids(cards)) == 6
    assert note.blocks is None


async def test_slash_rejected_cards_resent_as_text(slack_bot: SlackBot) -> None:
    await slack_bot.load_sample_digest()
    slack_bot.fake.reject_blocks_next(1)

    [plain, note] = await slack_bot.slash("top 1", replies=2)

    assert plain.blocks is None
    assert "[arXiv] https://arxiv.org/abs/2602.13515" in shown(plain)
    assert [rejection.error for rejection in slack_bot.fake.rejected] == ["invalid_blocks"]
    assert shown(note).startswith("Only you can see these cards.")


async def test_slash_in_paused_channel_hints_invite(slack_bot: SlackBot) -> None:
    chats = slack_bot.store.chats
    chat = await chats.ensure(ChatRef("slack", "C0QUIET"), kind="channel", now=utcnow())
    await chats.set_active(chat.pk, active=False, reason="Slack error not_in_channel")

    [reply] = await slack_bot.slash("list", channel="C0QUIET")

    assert shown(reply) == (
        "I could not post the latest cards here because I am not a member of this channel. "
        "Invite me with /invite @paperbot and the waiting cards will follow.\n"
        "This chat has no subscriptions. Try /papers subscribe Google or /papers subscribe all.")
    resumed = await chats.find(ChatRef("slack", "C0QUIET"))
    assert resumed is not None
    assert resumed.active is True


async def test_slash_in_active_channel_has_no_hint(slack_bot: SlackBot) -> None:
    [reply] = await slack_bot.slash("list")

    assert "/invite" not in shown(reply)


# -- mentions and direct messages -------------------------------------------------------


async def test_mention_top_posts_card_in_channel(slack_bot: SlackBot) -> None:
    await slack_bot.load_sample_digest()

    [card] = await slack_bot.event(mention("top 1"))

    assert card.method == "chat.postMessage"
    assert card.channel == CHANNEL
    assert card.ephemeral is False
    assert arxiv_ids(card) == ["2602.13515"]


async def test_mention_subscribe_replies_ephemeral(slack_bot: SlackBot) -> None:
    [reply] = await slack_bot.event(mention("subscribe Google"))

    assert reply.method == "chat.postEphemeral"
    assert reply.user == "U0ALICE"
    assert shown(reply).startswith("Subscribed: papers from Google.")


async def test_mention_in_thread_replies_in_thread(slack_bot: SlackBot) -> None:
    await slack_bot.load_sample_digest()

    [card] = await slack_bot.event(mention("top 1", thread_ts="1700000000.000009"))

    assert card.thread_ts == "1700000000.000009"


async def test_mention_alone_shows_help(slack_bot: SlackBot) -> None:
    [reply] = await slack_bot.event(mention(""))

    assert shown(reply).startswith("Commands:\n/papers subscribe FILTER")


async def test_direct_message_replies_in_conversation(slack_bot: SlackBot) -> None:
    [reply] = await slack_bot.event(direct_message("subscribe Google"))

    assert reply.method == "chat.postMessage"
    assert reply.channel == "D0ALICE"
    assert reply.mrkdwn is False
    assert shown(reply).startswith("Subscribed: papers from Google.")


async def test_direct_message_top_posts_card(slack_bot: SlackBot) -> None:
    await slack_bot.load_sample_digest()

    [card] = await slack_bot.event(direct_message("top 1"))

    assert card.channel == "D0ALICE"
    assert arxiv_ids(card) == ["2602.13515"]


@pytest.mark.parametrize("extra", [
    pytest.param({"subtype": "message_changed"}, id="edited"),
    pytest.param({"bot_id": "B0OTHER"}, id="other-bot"),
    pytest.param({"channel_type": "channel"}, id="channel-message"),
])
async def test_non_command_message_ignored(slack_bot: SlackBot, extra: dict[str, str]) -> None:
    await slack_bot.fake.send_event(direct_message("subscribe Google", **extra))
    # The list shows no subscription only if the first message was ignored.
    [reply] = await slack_bot.event(direct_message("list"))

    assert shown(reply).startswith("This chat has no subscriptions.")


# -- membership -------------------------------------------------------------------------


async def test_bot_joining_channel_resumes_chat(slack_bot: SlackBot) -> None:
    chats = slack_bot.store.chats
    chat = await chats.ensure(ChatRef("slack", "C0QUIET"), kind="channel", now=utcnow())
    await chats.set_active(chat.pk, active=False, reason="Slack error not_in_channel")

    await slack_bot.fake.send_event(member_joined("C0QUIET"))
    await slack_bot.event(mention("list"))

    resumed = await chats.find(ChatRef("slack", "C0QUIET"))
    assert resumed is not None
    assert resumed.active is True


async def test_other_member_joining_keeps_chat_paused(slack_bot: SlackBot) -> None:
    chats = slack_bot.store.chats
    chat = await chats.ensure(ChatRef("slack", "C0QUIET"), kind="channel", now=utcnow())
    await chats.set_active(chat.pk, active=False, reason="Slack error not_in_channel")

    await slack_bot.fake.send_event(member_joined("C0QUIET", user="U0BOB"))
    await slack_bot.event(mention("list"))

    paused = await chats.find(ChatRef("slack", "C0QUIET"))
    assert paused is not None
    assert paused.active is False


# -- start-up ---------------------------------------------------------------------------


async def test_start_learns_bot_identity(slack_bot: SlackBot) -> None:
    assert slack_bot.frontend.bot_user_id == BOT_USER_ID
    assert slack_bot.frontend.bot_name == "paperbot"
    assert slack_bot.frontend.mode == "socket"


@pytest.mark.parametrize(("bot_token", "app_token", "setting"), [
    pytest.param("xoxb-wrong", APP_TOKEN, "SLACK_BOT_TOKEN", id="bot-token"),
    pytest.param(BOT_TOKEN, "xapp-wrong", "SLACK_APP_TOKEN", id="app-token"),
])
async def test_start_with_rejected_token_fails(fake_slack: FakeSlack, tmp_path: Path,
                                               bot_token: str, app_token: str,
                                               setting: str) -> None:
    store = await open_store(tmp_path)
    app = build_app(bot_token=bot_token, api_url=fake_slack.api_url)
    frontend = SlackFrontend(app, make_router(store), app_token=app_token)

    with pytest.raises(ConfigError) as caught:
        await frontend.start()
    await frontend.stop()
    await store.db.close()

    assert str(caught.value).startswith(f"{setting}: rejected by Slack (invalid_auth)")
    assert bot_token not in str(caught.value)
    assert app_token not in str(caught.value)


# -- HTTP mode --------------------------------------------------------------------------


@pytest.fixture
async def http_bot(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[SlackBot]:
    store = await open_store(tmp_path)
    app = build_app(bot_token=BOT_TOKEN, api_url=fake_slack.api_url,
                    signing_secret=SIGNING_SECRET)
    frontend = SlackFrontend(app, make_router(store), port=0, host="127.0.0.1")
    await frontend.start()
    yield SlackBot(frontend, store, fake_slack)
    await frontend.stop()
    await store.db.close()


async def deliver(bot: SlackBot, body: bytes, headers: dict[str, str],
                  content_type: str = "application/x-www-form-urlencoded") -> tuple[int, str]:
    """POST a request to the bot's events endpoint as Slack would; return status and body."""
    url = f"http://127.0.0.1:{bot.frontend.http_port}{EVENTS_PATH}"
    async with aiohttp.ClientSession() as session, session.post(
            url, data=body, headers={**headers, "Content-Type": content_type}) as response:
        return response.status, await response.text()


async def test_http_signed_slash_command_answered(http_bot: SlackBot) -> None:
    body = http_bot.fake.slash_command_form("subscribe Google")

    status, _ = await deliver(http_bot, body, sign(body))
    [reply] = await http_bot.fake.wait_for_posts(1)

    assert status == 200
    assert http_bot.frontend.mode == "http"
    assert shown(reply).startswith("Subscribed: papers from Google.")


async def test_http_signed_mention_posts_card(http_bot: SlackBot) -> None:
    await http_bot.load_sample_digest()
    body = json.dumps(http_bot.fake.event_callback(mention("top 1"))).encode()

    status, _ = await deliver(http_bot, body, sign(body), content_type="application/json")
    [card] = await http_bot.fake.wait_for_posts(1)

    assert status == 200
    assert arxiv_ids(card) == ["2602.13515"]


@pytest.mark.parametrize("headers", [
    pytest.param(lambda body: sign(body, secret="not-the-signing-secret"), id="forged"),
    pytest.param(lambda body: sign(body, timestamp=int(time.time()) - 600), id="stale"),
    pytest.param(lambda body: sign(body, timestamp=int(time.time()) + 600), id="future"),
    pytest.param(lambda body: {}, id="unsigned"),
])
async def test_http_bad_signature_rejected(http_bot: SlackBot, headers: Any) -> None:
    body = http_bot.fake.slash_command_form("subscribe Google")

    status, _ = await deliver(http_bot, body, headers(body))
    # A valid command sent afterwards is the first one to reach the store.
    good = http_bot.fake.slash_command_form("list")
    await deliver(http_bot, good, sign(good))
    [reply] = await http_bot.fake.wait_for_posts(1)

    assert status == 401
    assert shown(reply).startswith("This chat has no subscriptions.")


async def test_http_tampered_body_rejected(http_bot: SlackBot) -> None:
    body = http_bot.fake.slash_command_form("list")
    headers = sign(body)
    tampered = http_bot.fake.slash_command_form("subscribe all")

    status, _ = await deliver(http_bot, tampered, headers)

    assert status == 401


async def test_http_url_verification_echoes_challenge(http_bot: SlackBot) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "3eZbrw1aB",
                       "token": "unused"}).encode()

    status, text = await deliver(http_bot, body, sign(body), content_type="application/json")

    assert status == 200
    assert "3eZbrw1aB" in text
