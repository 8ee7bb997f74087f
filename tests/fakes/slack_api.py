"""A fake Slack on 127.0.0.1: Web API, response URLs and a Socket Mode WebSocket.

The real slack-sdk and slack-bolt talk to it over HTTP and WebSocket when given
``FakeSlack.api_url`` as their base URL. The Web API checks the ``Authorization: Bearer``
token of each call, checks messages as Slack does (see ``tests.fakes.slack_blocks``) and
records every accepted post in ``posts`` and every rejected one in ``rejected``. Tests
send slash commands and events through the Socket Mode connection with
``slash_command`` and ``send_event`` (which return the bot's acknowledgement), or build
signed HTTP requests for HTTP mode with ``slash_command_form`` and ``sign``. Failures
are switched on per channel (``remove_bot_from``) or for the next posts
(``rate_limit_next``, ``reject_blocks_next``).

Register the ``fake_slack`` fixture by importing it into a conftest module.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

import pytest
from aiohttp import WSMsgType, web

from tests.fakes.slack_blocks import MessageError, check_message

logger = logging.getLogger(__name__)

BOT_TOKEN = "xoxb-1111-2222-paperbotfaketoken"
APP_TOKEN = "xapp-1-A0PAPERBOT-3333-paperbotfakeapptoken"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER_ID = "U0PAPERBOT"
BOT_ID = "B0PAPERBOT"
BOT_NAME = "paperbot"
TEAM_ID = "T0PAPERS"
APP_ID = "A0PAPERBOT"
DEFAULT_USER = "U0ALICE"
# An upper bound for waits, so a broken test fails instead of hanging.
WAIT_GUARD_SECONDS = 10.0
# Slack lets an app use a slash command's response_url five times.
RESPONSE_URL_USES = 5


@dataclass(frozen=True)
class Post:
    """A message the fake accepted.

    ``method`` is ``chat.postMessage``, ``chat.postEphemeral`` or ``response_url``;
    ``ephemeral`` is true for messages visible only to ``user``.
    """

    method: str
    channel: str
    text: str
    blocks: list[dict[str, Any]] | None
    ephemeral: bool
    user: str | None
    thread_ts: str | None
    ts: str
    mrkdwn: bool = True

    @property
    def summary(self) -> str:
        """A short description for assertion messages: method, channel and text start."""
        return f"{self.method} {self.channel}: {self.text[:60]!r}"


@dataclass(frozen=True)
class Rejection:
    """A post the fake rejected, with the error code it returned."""

    method: str
    channel: str
    error: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ack:
    """The bot's acknowledgement of a Socket Mode envelope; ``payload`` is None when empty."""

    envelope_id: str
    payload: dict[str, Any] | None


@dataclass
class _ResponseUrl:
    channel: str
    user: str
    uses: int = 0


@dataclass
class _Failures:
    not_in_channel: set[str] = field(default_factory=set)
    rate_limited: int = 0
    retry_after: int = 1
    rejected_blocks: int = 0
    dropped: int = 0


class FakeSlack:
    """The fake Slack server; start it with ``start`` and stop it with ``close``."""

    def __init__(self) -> None:
        self.posts: list[Post] = []
        self.rejected: list[Rejection] = []
        self.calls: list[str] = []
        self.acks: list[Ack] = []
        self.failures = _Failures()
        self._changed = asyncio.Condition()
        self._app = web.Application()
        self._app.router.add_post("/api/{method}", self._api)
        self._app.router.add_get("/api/{method}", self._api)
        self._app.router.add_post("/response/{key}", self._response_url)
        self._app.router.add_get("/link/", self._websocket)
        self._runner = web.AppRunner(self._app)
        self._port = 0
        self._ts = itertools.count(1)
        self._envelopes = itertools.count(1)
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._sockets: list[web.WebSocketResponse] = []
        self._pending_acks: dict[str, asyncio.Future[Ack]] = {}

    @property
    def api_url(self) -> str:
        """The Web API base URL, as ``SLACK_API_URL`` takes it."""
        return f"http://127.0.0.1:{self._port}/api/"

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Close the WebSocket connections and stop listening."""
        for socket in list(self._sockets):
            await socket.close()
        await self._runner.cleanup()

    # Failures switched on by tests.

    def remove_bot_from(self, channel: str) -> None:
        """Return ``not_in_channel`` for posts in ``channel`` from now on."""
        self.failures.not_in_channel.add(channel)

    def invite_bot_to(self, channel: str) -> None:
        """Accept posts in ``channel`` again."""
        self.failures.not_in_channel.discard(channel)

    def rate_limit_next(self, count: int, *, retry_after: int = 1) -> None:
        """Return HTTP 429 ``ratelimited`` with ``Retry-After`` for the next ``count`` posts."""
        self.failures.rate_limited = count
        self.failures.retry_after = retry_after

    def drop_after_posting_next(self, count: int) -> None:
        """Accept the next ``count`` posts, then close the connection without a response."""
        self.failures.dropped = count

    def reject_blocks_next(self, count: int) -> None:
        """Return ``invalid_blocks`` for the next ``count`` posts that carry blocks."""
        self.failures.rejected_blocks = count

    # Waiting for the bot.

    async def wait_for_posts(self, count: int, *,
                             where: Callable[[Post], bool] = lambda post: True) -> list[Post]:
        """Wait until at least ``count`` accepted posts match ``where``; return those posts."""

        def matching() -> list[Post]:
            return [post for post in self.posts if where(post)]

        await self._wait_until(lambda: len(matching()) >= count,
                               f"{count} matching posts (have {len(matching())}: "
                               f"{[post.summary for post in matching()[-5:]]} at the end)")
        return matching()

    async def wait_for_rejections(self, count: int) -> list[Rejection]:
        """Wait until at least ``count`` posts were rejected; return every rejection."""
        await self._wait_until(lambda: len(self.rejected) >= count,
                               f"{count} rejections (have {self.rejected!r})")
        return list(self.rejected)

    @property
    def connected(self) -> bool:
        """Whether a Socket Mode client is connected."""
        return bool(self._sockets)

    async def wait_connected(self) -> None:
        """Wait until the bot's Socket Mode client is connected."""
        await self._wait_until(lambda: bool(self._sockets), "a Socket Mode connection")

    async def _wait_until(self, predicate: Callable[[], bool], what: str) -> None:
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(predicate), WAIT_GUARD_SECONDS)
            except TimeoutError:
                raise AssertionError(f"fake Slack: no {what} within "
                                     f"{WAIT_GUARD_SECONDS:g} s") from None

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # Incoming requests for the bot.

    def slash_command_payload(self, text: str, *, channel: str = "C0GENERAL",
                              user: str = DEFAULT_USER,
                              channel_name: str = "general") -> dict[str, str]:
        """Return a ``/papers`` payload as Slack sends it, with a fresh response_url."""
        key = f"r{len(self._response_urls) + 1}"
        self._response_urls[key] = _ResponseUrl(channel=channel, user=user)
        return {
            "token": "unused-verification-token", "team_id": TEAM_ID, "team_domain": "papers",
            "channel_id": channel, "channel_name": channel_name, "user_id": user,
            "user_name": user.lower(), "command": "/papers", "text": slack_escape(text),
            "api_app_id": APP_ID, "is_enterprise_install": "false",
            "response_url": f"http://127.0.0.1:{self._port}/response/{key}",
            "trigger_id": f"trigger.{key}",
        }

    def slash_command_form(self, text: str, **where: str) -> bytes:
        """Return a ``/papers`` request body for HTTP mode, form-encoded as Slack sends it."""
        return urlencode(self.slash_command_payload(text, **where)).encode()

    def event_callback(self, event: dict[str, Any]) -> dict[str, Any]:
        """Wrap ``event`` in the Events API envelope Slack sends."""
        number = next(self._envelopes)
        return {
            "token": "unused-verification-token", "team_id": TEAM_ID, "api_app_id": APP_ID,
            "event": event, "type": "event_callback", "event_id": f"Ev{number:08d}",
            "event_time": int(time.time()), "authorizations": [{
                "team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
        }

    async def slash_command(self, text: str, **where: str) -> Ack:
        """Send ``/papers <text>`` over Socket Mode and return the bot's ack."""
        return await self._send_envelope("slash_commands",
                                         self.slash_command_payload(text, **where))

    async def send_event(self, event: dict[str, Any]) -> Ack:
        """Send an Events API event over Socket Mode and return the bot's ack."""
        return await self._send_envelope("events_api", self.event_callback(event))

    async def _send_envelope(self, kind: str, payload: dict[str, Any]) -> Ack:
        await self.wait_connected()
        envelope_id = f"envelope-{next(self._envelopes)}"
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        self._pending_acks[envelope_id] = future
        await self._sockets[-1].send_json({
            "envelope_id": envelope_id, "type": kind, "payload": payload,
            "accepts_response_payload": kind == "slash_commands", "retry_attempt": 0,
            "retry_reason": "",
        })
        try:
            return await asyncio.wait_for(future, WAIT_GUARD_SECONDS)
        except TimeoutError:
            raise AssertionError(f"fake Slack: no ack for {kind} {envelope_id}") from None

    # Server side.

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"type": "hello", "num_connections": len(self._sockets),
                                "connection_info": {"app_id": APP_ID}})
        await self._notify()
        try:
            async for message in socket:
                if message.type == WSMsgType.TEXT:
                    self._receive_ack(json.loads(message.data))
        finally:
            self._sockets.remove(socket)
        return socket

    def _receive_ack(self, data: dict[str, Any]) -> None:
        ack = Ack(envelope_id=str(data.get("envelope_id")), payload=data.get("payload"))
        self.acks.append(ack)
        future = self._pending_acks.pop(ack.envelope_id, None)
        if future is not None and not future.done():
            future.set_result(ack)

    async def _api(self, request: web.Request) -> web.Response:
        try:
            return await self._api_call(request)
        except _DropConnection:
            assert request.transport is not None
            request.transport.close()
            return web.Response()

    async def _api_call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        arguments = await _arguments(request)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        authorization = request.headers.get("Authorization", "")
        if not authorization:
            return _error("not_authed")
        if authorization != f"Bearer {expected}":
            return _error("invalid_auth")
        handler = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._connections_open,
            "chat.postMessage": self._post_message,
            "chat.postEphemeral": self._post_message,
        }.get(method)
        if handler is None:
            return _error("unknown_method")
        return await handler(method, arguments)

    async def _auth_test(self, method: str, arguments: dict[str, Any]) -> web.Response:
        return web.json_response({
            "ok": True, "url": "https://papers.slack.com/", "team": "Papers",
            "user": BOT_NAME, "team_id": TEAM_ID, "user_id": BOT_USER_ID, "bot_id": BOT_ID,
            "is_enterprise_install": False,
        })

    async def _connections_open(self, method: str, arguments: dict[str, Any]) -> web.Response:
        return web.json_response({
            "ok": True, "url": f"ws://127.0.0.1:{self._port}/link/?ticket=fake-ticket"})

    async def _post_message(self, method: str, arguments: dict[str, Any]) -> web.Response:
        channel = str(arguments.get("channel") or "")
        ephemeral = method == "chat.postEphemeral"
        if not channel:
            return _error("channel_not_found")
        if self.failures.rate_limited > 0:
            self.failures.rate_limited -= 1
            await self._reject(method, channel, MessageError("ratelimited"))
            return web.json_response({"ok": False, "error": "ratelimited"},
                                     status=HTTPStatus.TOO_MANY_REQUESTS,
                                     headers={"Retry-After": str(self.failures.retry_after)})
        if channel in self.failures.not_in_channel:
            await self._reject(method, channel, MessageError("not_in_channel"))
            return _error("not_in_channel")
        if ephemeral and not arguments.get("user"):
            return _error("user_not_in_channel")
        problem = self._check(arguments)
        if problem is not None:
            await self._reject(method, channel, problem)
            return web.json_response({"ok": False, "error": problem.code,
                                      "errors": list(problem.details)})

        ts = f"{1_700_000_000 + next(self._ts)}.000100"
        await self._record(Post(
            method=method, channel=channel, text=str(arguments["text"]),
            blocks=arguments.get("blocks"), ephemeral=ephemeral,
            user=arguments.get("user"), thread_ts=arguments.get("thread_ts"), ts=ts,
            mrkdwn=arguments.get("mrkdwn") not in (False, "false", "0")))
        if self.failures.dropped > 0:
            self.failures.dropped -= 1
            # The message is posted, but its response is lost with the connection.
            raise _DropConnection
        if ephemeral:
            return web.json_response({"ok": True, "message_ts": ts})
        return web.json_response({"ok": True, "channel": channel, "ts": ts,
                                  "message": {"text": arguments["text"], "ts": ts}})

    async def _response_url(self, request: web.Request) -> web.Response:
        target = self._response_urls.get(request.match_info["key"])
        if target is None:
            return web.Response(status=HTTPStatus.NOT_FOUND, text="invalid_url")
        target.uses += 1
        if target.uses > RESPONSE_URL_USES:
            return web.Response(status=HTTPStatus.NOT_FOUND, text="used_url")
        arguments = await request.json()
        problem = self._check(arguments)
        if problem is not None:
            await self._reject("response_url", target.channel, problem)
            return web.Response(status=HTTPStatus.BAD_REQUEST, text=problem.code)
        ephemeral = arguments.get("response_type", "ephemeral") != "in_channel"
        await self._record(Post(
            method="response_url", channel=target.channel, text=str(arguments["text"]),
            blocks=arguments.get("blocks"), ephemeral=ephemeral,
            user=target.user if ephemeral else None, thread_ts=None,
            ts=f"{1_700_000_000 + next(self._ts)}.000200"))
        return web.Response(text="ok")

    def _check(self, arguments: dict[str, Any]) -> MessageError | None:
        blocks = arguments.get("blocks")
        if blocks is not None and self.failures.rejected_blocks > 0:
            self.failures.rejected_blocks -= 1
            return MessageError("invalid_blocks", ("rejected on request of the test",))
        return check_message(arguments.get("text"), blocks)

    async def _record(self, post: Post) -> None:
        self.posts.append(post)
        await self._notify()

    async def _reject(self, method: str, channel: str, problem: MessageError) -> None:
        self.rejected.append(Rejection(method, channel, problem.code, problem.details))
        await self._notify()


class _DropConnection(Exception):
    """Raised inside a handler to close the connection instead of responding."""


def sign(body: bytes, *, secret: str = SIGNING_SECRET,
         timestamp: int | None = None) -> dict[str, str]:
    """Return the headers Slack signs an HTTP request with: ``v0=`` HMAC-SHA256 of the body."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def slack_escape(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack does in the text of messages it delivers."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(text: str, *, channel: str = "C0GENERAL", user: str = DEFAULT_USER,
            thread_ts: str | None = None) -> dict[str, Any]:
    """Return an ``app_mention`` event for ``@paperbot <text>``."""
    event: dict[str, Any] = {
        "type": "app_mention", "user": user, "channel": channel,
        "text": f"<@{BOT_USER_ID}> {slack_escape(text)}", "ts": "1700000000.000001",
        "event_ts": "1700000000.000001", "team": TEAM_ID,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def direct_message(text: str, *, channel: str = "D0ALICE", user: str = DEFAULT_USER,
                   **extra: Any) -> dict[str, Any]:
    """Return a ``message`` event of a direct message to the bot."""
    return {"type": "message", "channel_type": "im", "channel": channel, "user": user,
            "text": slack_escape(text), "ts": "1700000000.000002",
            "event_ts": "1700000000.000002", "team": TEAM_ID, **extra}


def member_joined(channel: str, *, user: str = BOT_USER_ID) -> dict[str, Any]:
    """Return a ``member_joined_channel`` event, by default for the bot itself."""
    return {"type": "member_joined_channel", "user": user, "channel": channel,
            "channel_type": "C", "team": TEAM_ID, "event_ts": "1700000000.000003"}


async def _arguments(request: web.Request) -> dict[str, Any]:
    arguments: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            arguments.update(await request.json())
        else:
            arguments.update(await request.post())
    for name in ("blocks", "attachments"):
        value = arguments.get(name)
        if isinstance(value, str):
            with contextlib.suppress(json.JSONDecodeError):
                arguments[name] = json.loads(value)
    return arguments


def _error(code: str) -> web.Response:
    return web.json_response({"ok": False, "error": code})


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    """A started fake Slack server."""
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()
