"""End to end on Slack: the whole bot against the fake Slack, in Socket Mode and HTTP mode."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from bot.parser.markdown import parse_file
from bot.platform.slack.app import EVENTS_PATH
from bot.service import Service
from bot.settings import Settings, load_settings
from bot.store import ChatRef
from tests.conftest import SAMPLE_DIGEST
from tests.fakes.slack_api import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    FakeSlack,
    Post,
    member_joined,
    mention,
    sign,
)
from tests.fakes.slack_blocks import displayed_text

GENERAL = "C0GENERAL"
QUIET = "C0QUIET"
RESEARCH = "C0RESEARCH"
GOOGLE_PAPERS = ["2602.17270", "2602.16928"]
SAMPLE_PAPERS = [paper.key for paper in parse_file(SAMPLE_DIGEST).papers]
BEST_PAPERS = ["2602.13515", "2602.16855", "2602.17270"]


class ManualClock:
    """A service clock that moves only when a test calls ``advance``."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 2, 20, 9, 0, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def slack_settings(fake: FakeSlack, tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a bot that serves only Slack, through ``fake``, in Socket Mode."""
    digest_dir = tmp_path / "digests"
    digest_dir.mkdir(exist_ok=True)
    values: dict[str, object] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_app_token": APP_TOKEN,
        "slack_api_url": fake.api_url,
        "digest_dir": digest_dir,
        "database_url": f"sqlite:///{tmp_path / 'paperbot.db'}",
        # Scans are triggered by the tests; the scheduled one only runs at start-up.
        "poll_interval": 3600,
        "bot_language": "en",
        "telegram_max_messages_per_second": 1000,
        "telegram_max_per_chat_per_second": 1000,
        "slack_max_per_channel_per_second": 1000,
    }
    values.update(overrides)
    return load_settings(**values)


@contextlib.asynccontextmanager
async def running(settings: Settings, fake: FakeSlack,
                  clock: ManualClock | None = None) -> AsyncIterator[Service]:
    """Start a ``Service`` until its Slack frontend takes requests; stop it on exit."""
    service = Service(settings, clock=clock) if clock is not None else Service(settings)
    stop = asyncio.Event()
    task = asyncio.create_task(service.run(stop), name="service")
    while not _slack_ready(service, fake):
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield service
    finally:
        stop.set()
        await task


def _slack_ready(service: Service, fake: FakeSlack) -> bool:
    if service.slack is None:
        return False
    if service.slack.mode == "socket":
        return fake.connected
    return service.slack.http_port is not None


def arxiv_ids(posts: list[Post]) -> list[str]:
    """The arXiv ids of the cards among ``posts``, read from their arXiv buttons or text."""
    ids = []
    for post in posts:
        for block in post.blocks or []:
            if block["type"] == "actions":
                ids.append(block["elements"][0]["url"].rsplit("/", 1)[-1])
        if post.blocks is None and "[arXiv] https://arxiv.org/abs/" in displayed_text(post.text):
            ids.append(displayed_text(post.text).split("[arXiv] https://arxiv.org/abs/")[1]
                       .split()[0])
    return ids


def in_channel(channel: str) -> Callable[[Post], bool]:
    """Select the posts visible to everyone in ``channel``."""
    return lambda post: post.channel == channel and not post.ephemeral


async def slash(fake: FakeSlack, text: str, *, replies: int = 1, **where: str) -> list[Post]:
    """Send ``/papers <text>`` and return the bot's responses."""
    before = len(fake.posts)
    await fake.slash_command(text, **where)
    posts = await fake.wait_for_posts(before + replies)
    return posts[before:]


def add_sample_digest(settings: Settings) -> None:
    shutil.copy(SAMPLE_DIGEST, settings.digest_dir / SAMPLE_DIGEST.name)


@pytest.fixture
def settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    return slack_settings(fake_slack, tmp_path)


# -- Socket Mode ------------------------------------------------------------------------


async def test_subscribe_then_digest_posts_google_cards(fake_slack: FakeSlack,
                                                        settings: Settings) -> None:
    async with running(settings, fake_slack) as service:
        [reply] = await slash(fake_slack, "subscribe Google")
        add_sample_digest(settings)
        await service.scan_and_send()
        cards = await fake_slack.wait_for_posts(2, where=in_channel(GENERAL))

    assert displayed_text(reply.text).startswith("Subscribed: papers from Google.")
    assert reply.ephemeral is True
    assert arxiv_ids(cards) == GOOGLE_PAPERS
    assert [post.method for post in cards] == ["chat.postMessage"] * 2
    assert fake_slack.rejected == []


async def test_top_three_in_score_order(fake_slack: FakeSlack, settings: Settings) -> None:
    add_sample_digest(settings)
    async with running(settings, fake_slack) as service:
        await service.scan_and_send()
        [cards, note] = await slash(fake_slack, "top 3", replies=2)

    assert arxiv_ids([cards]) == BEST_PAPERS
    assert cards.ephemeral is True
    assert displayed_text(note.text).startswith("Only you can see these cards.")


async def test_mention_top_posts_cards_in_channel(fake_slack: FakeSlack,
                                                  settings: Settings) -> None:
    add_sample_digest(settings)
    async with running(settings, fake_slack) as service:
        await service.scan_and_send()
        await fake_slack.send_event(mention("top 2", channel=RESEARCH))
        cards = await fake_slack.wait_for_posts(2, where=in_channel(RESEARCH))

    assert arxiv_ids(cards) == BEST_PAPERS[:2]


async def test_mention_subscription_in_thread_delivers_there(fake_slack: FakeSlack,
                                                             settings: Settings) -> None:
    async with running(settings, fake_slack) as service:
        await fake_slack.send_event(mention("subscribe Google", thread_ts="1700000000.000042"))
        await fake_slack.wait_for_posts(1)
        add_sample_digest(settings)
        await service.scan_and_send()
        cards = await fake_slack.wait_for_posts(2, where=in_channel(GENERAL))

    assert [post.thread_ts for post in cards] == ["1700000000.000042"] * 2


async def test_every_corpus_card_accepted(fake_slack: FakeSlack, settings: Settings,
                                          corpus_dir: Path) -> None:
    real = corpus_dir / "real"
    # The first run of 2026-02-04 before its republished final run, as they were published.
    files = [real / "dailynews_2026-02-04_first-run.md",
             *sorted(path for path in real.glob("dailynews_*.md")
                     if path.name != "dailynews_2026-02-04_first-run.md"),
             SAMPLE_DIGEST]
    expected = {(digest.date, paper.key) for digest in map(parse_file, files)
                for paper in digest.papers}
    async with running(settings, fake_slack) as service:
        await slash(fake_slack, "subscribe all")
        for number, path in enumerate(files):
            # One file at a time, each sent before the next replaces a digest of its date.
            shutil.copy(path, settings.digest_dir / f"{number:02d}-{path.name}")
            await service.scan_and_send()
            sent = len({(digest.date, paper.key) for digest in map(parse_file, files[:number + 1])
                        for paper in digest.papers})
            await fake_slack.wait_for_posts(sent, where=in_channel(GENERAL))
        cards = [post for post in fake_slack.posts if in_channel(GENERAL)(post)]

    assert fake_slack.rejected == []
    assert len(cards) == len(expected)
    assert len(set(arxiv_ids(cards))) == len(expected)
    for post in cards:
        assert post.blocks is not None
        for text in _mrkdwn_texts(post):
            displayed_text(text)


def _mrkdwn_texts(post: Post) -> list[str]:
    texts = [post.text]
    for block in post.blocks or []:
        if block["type"] == "section":
            texts.append(block["text"]["text"])
        elif block["type"] == "context":
            texts.extend(element["text"] for element in block["elements"])
    return texts


async def test_not_in_channel_pauses_only_that_channel(
        fake_slack: FakeSlack, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with running(settings, fake_slack) as service:
        await slash(fake_slack, "subscribe all", channel=GENERAL)
        await slash(fake_slack, "subscribe all", channel=QUIET)
        fake_slack.remove_bot_from(QUIET)
        add_sample_digest(settings)
        await service.scan_and_send()
        general = await fake_slack.wait_for_posts(6, where=in_channel(GENERAL))
        chat = await service.store.chats.find(ChatRef("slack", QUIET))

    assert arxiv_ids(general) == SAMPLE_PAPERS
    assert [post for post in fake_slack.posts if in_channel(QUIET)(post)] == []
    assert [(r.channel, r.error) for r in fake_slack.rejected] == [(QUIET, "not_in_channel")]
    assert chat is not None
    assert chat.active is False
    assert chat.inactive_reason == "Slack error not_in_channel"
    paused = [record for record in caplog.records if record.getMessage().startswith(
        f"chat paused chat=slack:{QUIET}")]
    assert len(paused) == 1


async def test_paused_channel_gets_invite_hint_then_cards(fake_slack: FakeSlack,
                                                         settings: Settings) -> None:
    async with running(settings, fake_slack) as service:
        await slash(fake_slack, "subscribe all", channel=QUIET)
        fake_slack.remove_bot_from(QUIET)
        add_sample_digest(settings)
        await service.scan_and_send()
        await fake_slack.wait_for_rejections(1)

        [hint] = await slash(fake_slack, "list", channel=QUIET)
        fake_slack.invite_bot_to(QUIET)
        await fake_slack.send_event(member_joined(QUIET))
        await service.sender.drain()
        cards = await fake_slack.wait_for_posts(6, where=in_channel(QUIET))

    assert displayed_text(hint.text).startswith(
        "I could not post the latest cards here because I am not a member of this channel. "
        "Invite me with /invite @paperbot")
    assert hint.ephemeral is True
    assert arxiv_ids(cards) == SAMPLE_PAPERS


async def test_rate_limit_then_one_copy(fake_slack: FakeSlack, settings: Settings) -> None:
    clock = ManualClock()
    async with running(settings, fake_slack, clock) as service:
        await slash(fake_slack, "subscribe Google")
        fake_slack.rate_limit_next(1, retry_after=2)
        add_sample_digest(settings)
        await service.scan_and_send()
        clock.advance(3)
        await service.sender.drain()
        await service.sender.drain()
        cards = await fake_slack.wait_for_posts(2, where=in_channel(GENERAL))

    assert arxiv_ids(cards) == GOOGLE_PAPERS
    assert [rejection.error for rejection in fake_slack.rejected] == ["ratelimited"]


async def test_rejected_card_sent_as_plain_text(
        fake_slack: FakeSlack, settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING)
    async with running(settings, fake_slack) as service:
        await slash(fake_slack, "subscribe Google")
        fake_slack.reject_blocks_next(1)
        add_sample_digest(settings)
        await service.scan_and_send()
        cards = await fake_slack.wait_for_posts(2, where=in_channel(GENERAL))

    plain, formatted = cards
    assert arxiv_ids(cards) == GOOGLE_PAPERS
    assert plain.blocks is None
    assert plain.mrkdwn is False
    assert "Unified Latents (UL): How to train your latents" in displayed_text(plain.text)
    assert formatted.blocks is not None
    assert [rejection.error for rejection in fake_slack.rejected] == ["invalid_blocks"]
    assert any(record.getMessage().startswith("card rejected, sending plain text")
               for record in caplog.records)


async def test_restart_posts_nothing_twice(fake_slack: FakeSlack, settings: Settings) -> None:
    async with running(settings, fake_slack) as service:
        await slash(fake_slack, "subscribe Google")
        add_sample_digest(settings)
        await service.scan_and_send()
        await fake_slack.wait_for_posts(2, where=in_channel(GENERAL))
    async with running(settings, fake_slack) as service:
        await service.scan_and_send()
        await service.sender.drain()
        [reply] = await slash(fake_slack, "list")

    assert len([post for post in fake_slack.posts if in_channel(GENERAL)(post)]) == 2
    assert displayed_text(reply.text) == "Subscriptions of this chat:\n1. Google"


# -- HTTP mode --------------------------------------------------------------------------


@pytest.fixture
def http_settings(fake_slack: FakeSlack, tmp_path: Path) -> Settings:
    return slack_settings(fake_slack, tmp_path, slack_app_token=None,
                          slack_signing_secret=SIGNING_SECRET, slack_port=0,
                          slack_host="127.0.0.1")


async def post_events(service: Service, body: bytes, headers: dict[str, str],
                      content_type: str) -> int:
    """POST a request to the running bot's events endpoint; return the HTTP status."""
    assert service.slack is not None
    url = f"http://127.0.0.1:{service.slack.http_port}{EVENTS_PATH}"
    async with aiohttp.ClientSession() as session, session.post(
            url, data=body, headers={**headers, "Content-Type": content_type}) as response:
        return response.status


FORM = "application/x-www-form-urlencoded"


async def test_http_mode_signed_command_and_mention(fake_slack: FakeSlack,
                                                    http_settings: Settings) -> None:
    add_sample_digest(http_settings)
    async with running(http_settings, fake_slack) as service:
        await service.scan_and_send()
        body = fake_slack.slash_command_form("subscribe Google")
        command_status = await post_events(service, body, sign(body), FORM)
        [reply] = await fake_slack.wait_for_posts(1)
        event = json.dumps(fake_slack.event_callback(mention("top 1"))).encode()
        mention_status = await post_events(service, event, sign(event), "application/json")
        [card] = await fake_slack.wait_for_posts(1, where=in_channel(GENERAL))

    assert command_status == 200
    assert displayed_text(reply.text).startswith("Subscribed: papers from Google.")
    assert mention_status == 200
    assert arxiv_ids([card]) == BEST_PAPERS[:1]


@pytest.mark.parametrize("headers", [
    pytest.param(lambda body: sign(body, secret="forged-signing-secret"), id="forged"),
    pytest.param(lambda body: sign(body, timestamp=int(time.time()) - 6 * 60), id="stale"),
])
async def test_http_mode_rejects_bad_signature(fake_slack: FakeSlack, http_settings: Settings,
                                               headers: Callable[[bytes], dict[str, str]]
                                               ) -> None:
    async with running(http_settings, fake_slack) as service:
        body = fake_slack.slash_command_form("subscribe all")
        status = await post_events(service, body, headers(body), FORM)
        good = fake_slack.slash_command_form("list")
        await post_events(service, good, sign(good), FORM)
        [reply] = await fake_slack.wait_for_posts(1)

    assert status == 401
    assert displayed_text(reply.text).startswith("This chat has no subscriptions.")


# -- wiring -----------------------------------------------------------------------------


async def test_service_starts_slack_beside_telegram(fake_slack: FakeSlack, tmp_path: Path) -> None:
    settings = slack_settings(fake_slack, tmp_path, telegram_bot_token="123456:ABC-token")

    service = Service(settings)

    assert service.slack is not None
    assert service.telegram is not None
    assert service.console is None


async def test_service_without_tokens_runs_console(tmp_path: Path) -> None:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'paperbot.db'}")

    service = Service(settings)

    assert service.slack is None
    assert service.console is not None
