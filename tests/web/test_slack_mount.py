"""Slack's HTTP mode mounted on the instance web server: signed requests in, replies out."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot.clock import utcnow
from bot.commands import CommandRouter, Services
from bot.matcher.orgs import OrgMatcher
from bot.metrics import Metrics
from bot.platform.slack.app import EVENTS_PATH, SlackFrontend, build_app
from bot.store import Store
from bot.web.health import Readiness
from bot.web.server import WebServer
from tests.fakes.slack_api import BOT_TOKEN, SIGNING_SECRET, FakeSlack, sign
from tests.fakes.slack_blocks import displayed_text

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
async def server(fake_slack: FakeSlack, tmp_path: Path) -> AsyncIterator[WebServer]:
    store = Store.open(f"sqlite:///{tmp_path / 'slack.db'}")
    await store.db.connect()
    router = CommandRouter(Services(store=store, orgs=OrgMatcher.from_alias_file(None),
                                    clock=utcnow, default_language="en"))
    app = build_app(bot_token=BOT_TOKEN, api_url=fake_slack.api_url,
                    signing_secret=SIGNING_SECRET)
    frontend = SlackFrontend(app, router)
    web = WebServer(host="127.0.0.1", port=0, readiness=Readiness(), metrics=Metrics(),
                    outbox=store.outbox, clock=lambda: dt.datetime.now(dt.UTC))
    web.add_route("POST", EVENTS_PATH, frontend.handle_events)
    await web.start()
    yield web
    await web.stop()
    await store.db.close()


async def _post(server: WebServer, body: bytes, headers: dict[str, str]) -> int:
    async with aiohttp.ClientSession() as session, session.post(
            f"http://127.0.0.1:{server.port}{EVENTS_PATH}", data=body,
            headers={**headers, "Content-Type": FORM}) as response:
        return response.status


async def test_signed_command_answered(fake_slack: FakeSlack, server: WebServer) -> None:
    body = fake_slack.slash_command_form("list")
    status = await _post(server, body, sign(body))
    [reply] = await fake_slack.wait_for_posts(1)
    assert status == 200
    assert displayed_text(reply.text).startswith("This chat has no subscriptions.")


async def test_forged_signature_rejected(fake_slack: FakeSlack, server: WebServer) -> None:
    body = fake_slack.slash_command_form("subscribe all")
    status = await _post(server, body, sign(body, secret="forged-signing-secret"))
    assert status == 401
    assert fake_slack.posts == []
