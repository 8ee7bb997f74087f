"""A fake Telegram Bot API server on 127.0.0.1 that the real python-telegram-bot talks to.

Point python-telegram-bot at ``FakeTelegram.base_url`` (or use ``make_bot`` and
``application_builder``). The fake replies over real HTTP with the Bot API's JSON
envelopes. Tests queue incoming messages with ``push_message``, read what the bot sent
from ``sent`` and ``rejected``, and switch on failures: blocked and migrated chats,
flood control (``fail_next`` or ``enable_rate_limits``) and outages. Register the
``fake_telegram`` fixture with ``pytest_plugins = ["tests.fakes.telegram_api"]``.

Error descriptions copy the Bot API's where they are known (blocked, kicked, migrated,
flood control, entity parsing, text length, message to edit). The others are close
paraphrases.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from telegram import Bot
from telegram.ext import ApplicationBuilder

from tests.fakes.telegram_html import (
    ApiError,
    ParsedText,
    check_message_text,
    check_reply_markup,
    utf16_units,
)

logger = logging.getLogger(__name__)

TOKEN = "123456789:TEST-paperbot-fake-token"
BOT_USERNAME = "paperbot_test_bot"
DEFAULT_USER_ID = 1001
MEMBER_STATUSES = frozenset({"creator", "administrator", "member", "left", "kicked"})
WAIT_GUARD_SECONDS = 10.0
# Telegram gives supergroups and channels ids below -10**12 ("-100…").
_SUPERGROUP_ID_LIMIT = -(10**12)
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![A-Za-z0-9_])")
_BOT_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_JSON_FIELDS = frozenset({"reply_markup", "entities", "link_preview_options", "reply_parameters",
                          "commands", "scope", "allowed_updates"})
_INT_FIELDS = frozenset({"message_id", "offset", "limit", "timeout", "message_thread_id",
                         "user_id", "cache_time", "max_connections"})
_BOOL_FIELDS = frozenset({"drop_pending_updates", "disable_notification", "protect_content",
                          "show_alert", "allow_sending_without_reply"})
_NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply "
                 "markup are exactly the same as a current content and reply markup of the message")

Handler = Callable[[dict[str, Any]], Awaitable[Any]]


class ManualClock:
    """A clock for rate limits that moves only when a test calls ``advance``."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds``."""
        self.now += seconds


@dataclass(frozen=True)
class ApiCall:
    """One request the fake received, with its parameters decoded."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class SentMessage:
    """A message the fake accepted from ``sendMessage``.

    ``display_text`` and ``entities`` are the text after Telegram's parsing of
    ``parse_mode``. ``time`` is the fake's clock at acceptance.
    """

    chat_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    message_thread_id: int | None
    message_id: int
    time: float
    display_text: str
    entities: list[dict[str, Any]]


@dataclass(frozen=True)
class EditedMessage:
    """An accepted ``editMessageText`` call."""

    chat_id: int
    message_id: int
    text: str
    parse_mode: str | None
    reply_markup: dict[str, Any] | None
    time: float
    display_text: str


@dataclass(frozen=True)
class RejectedRequest:
    """A request the fake rejected with an error response."""

    method: str
    chat_id: int | str | None
    text: str | None
    error_code: int
    description: str
    time: float


@dataclass
class _Failure:
    error: ApiError
    methods: frozenset[str]


@dataclass
class _TokenBucket:
    rate: float
    capacity: float
    tokens: float
    updated: float

    def wait_time(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class _RateLimits:
    per_chat_rate: float
    per_chat_burst: int
    global_bucket: _TokenBucket
    chat_buckets: dict[int, _TokenBucket] = field(default_factory=dict)


class _Signal:
    """A change notice that wakes every waiting coroutine and can be sent from sync code."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self) -> None:
        await self._event.wait()


class FakeTelegram:
    """The fake Bot API server and the state tests inspect and steer.

    ``max_poll_wait`` caps how long ``getUpdates`` waits for an update, whatever
    ``timeout`` the client asks for, so that a stopping client never waits long.
    ``clock`` times the rate limits and the ``time`` of records.
    """

    def __init__(self, *, token: str = TOKEN, username: str = BOT_USERNAME,
                 max_poll_wait: float = 0.5, clock: Callable[[], float] = time.monotonic) -> None:
        self.token = token
        self.username = username
        self.bot_id = int(token.split(":", 1)[0])
        self.max_poll_wait = max_poll_wait
        self.clock = clock
        self.calls: list[ApiCall] = []
        self.sent: list[SentMessage] = []
        self.edited: list[EditedMessage] = []
        self.rejected: list[RejectedRequest] = []
        self.answered_callbacks: list[dict[str, Any]] = []
        self.webhook_url = ""
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self._closing = False
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._updates_signal = _Signal()
        self._sent_signal = _Signal()
        self._chats: dict[int, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._next_message_id: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._member_status: dict[tuple[int, int], str] = {}
        self._blocked: set[int] = set()
        self._kicked: set[int] = set()
        self._migrated: dict[int, int] = {}
        self._failures: list[_Failure] = []
        self._outage: ApiError | None = None
        self._rate_limits: _RateLimits | None = None
        self._stall_from: int | None = None
        self._stall_seconds: float | None = None
        self._release = asyncio.Event()
        self.held: list[SentMessage] = []
        self._max_text_length: int | None = None
        self._random_failures: tuple[float, tuple[ApiError, ...], random.Random] | None = None
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in (
                ("getMe", self._get_me),
                ("getUpdates", self._get_updates),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._delete_webhook),
                ("getWebhookInfo", self._get_webhook_info),
                ("setMyCommands", self._set_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("sendMessage", self._send_message),
                ("editMessageText", self._edit_message_text),
                ("getChat", self._get_chat),
                ("getChatMember", self._get_chat_member),
                ("answerCallbackQuery", self._answer_callback_query),
                ("close", self._no_op),
                ("logOut", self._no_op),
            )
        }

    # -- lifecycle --------------------------------------------------------------------

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]
        logger.debug("fake telegram listening port=%s", self._port)

    async def stop(self) -> None:
        """Release waiting long polls and close the server."""
        self._closing = True
        self._release.set()
        self._updates_signal.notify()
        self._sent_signal.notify()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def root_url(self) -> str:
        """``http://127.0.0.1:<port>``, once started."""
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started: call start() first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def base_url(self) -> str:
        """The ``base_url`` for python-telegram-bot, which appends the token."""
        return f"{self.root_url}/bot"

    @property
    def base_file_url(self) -> str:
        """The ``base_file_url`` for python-telegram-bot. The fake serves no files."""
        return f"{self.root_url}/file/bot"

    def make_bot(self) -> Bot:
        """Return an uninitialised ``telegram.Bot`` that talks to this fake."""
        return Bot(self.token, base_url=self.base_url, base_file_url=self.base_file_url)

    def application_builder(self) -> ApplicationBuilder:  # type: ignore[type-arg]
        """Return an ``ApplicationBuilder`` with token and URLs set for this fake."""
        return (ApplicationBuilder().token(self.token).base_url(self.base_url)
                .base_file_url(self.base_file_url))

    # -- steering from tests ----------------------------------------------------------

    def push_message(self, chat_id: int, text: str, *, user_id: int | None = None,
                     chat_type: str | None = None, message_thread_id: int | None = None,
                     username: str | None = None, first_name: str | None = None,
                     language_code: str | None = None, title: str | None = None) -> dict[str, Any]:
        """Queue an Update carrying a text message from a user and return it.

        ``chat_type`` defaults from the id: positive ids are private chats, ids below
        -10**12 supergroups, other negative ids groups. ``user_id`` defaults to the chat
        id in a private chat. A text starting with a command gets its ``bot_command``
        entity, its length in UTF-16 code units, as Telegram sends it.
        """
        chat = self._register_chat(chat_id, chat_type=chat_type, title=title,
                                   username=username, first_name=first_name,
                                   is_forum=message_thread_id is not None or None)
        sender_id = user_id if user_id is not None else (
            chat_id if chat["type"] == "private" else DEFAULT_USER_ID)
        sender = self._register_user(sender_id, username=username, first_name=first_name,
                                     language_code=language_code)
        message = self._message(chat, self._take_message_id(chat_id), text, sender=sender,
                                thread_id=message_thread_id)
        command = _COMMAND.match(text)
        if command is not None:
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": utf16_units(command.group())}]
        return self._queue_update({"message": message})

    def push_callback_query(self, chat_id: int, message_id: int, data: str, *,
                            user_id: int | None = None) -> dict[str, Any]:
        """Queue an Update for a press on an inline button of a message the bot sent."""
        chat = self._chat(chat_id)
        sender_id = user_id if user_id is not None else (
            chat_id if chat["type"] == "private" else DEFAULT_USER_ID)
        stored = self._messages.get((chat_id, message_id))
        message = dict(stored) if stored is not None else {
            "message_id": message_id, "date": int(time.time()), "chat": chat}
        query = {"id": str(self._next_update_id), "from": self._register_user(sender_id),
                 "chat_instance": str(chat_id), "data": data, "message": message}
        return self._queue_update({"callback_query": query})

    def set_admin(self, chat_id: int, user_id: int) -> None:
        """Make ``getChatMember`` report ``user_id`` as an administrator of ``chat_id``."""
        self.set_member_status(chat_id, user_id, "administrator")

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """Set the ``getChatMember`` status, which is creator in private chats, else member."""
        if status not in MEMBER_STATUSES:
            raise ValueError(f"unknown member status {status!r}; expected one of "
                             f"{sorted(MEMBER_STATUSES)}")
        self._member_status[chat_id, user_id] = status

    def block(self, chat_id: int) -> None:
        """Answer sends to ``chat_id`` with 403 ``Forbidden: bot was blocked by the user``."""
        self._blocked.add(chat_id)

    def kick(self, chat_id: int) -> None:
        """Answer sends to ``chat_id`` with 403 ``Forbidden: bot was kicked from the … chat``."""
        self._kicked.add(chat_id)

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """Turn group ``chat_id`` into supergroup ``new_chat_id``: sends to the old id fail."""
        old = self._chat(chat_id)
        self._migrated[chat_id] = new_chat_id
        self._register_chat(new_chat_id, chat_type="supergroup", title=old.get("title"))

    def fail_next(self, count: int = 1, *, status: int = HTTPStatus.TOO_MANY_REQUESTS,
                  retry_after: int = 1, description: str | None = None,
                  methods: Iterable[str] = ("sendMessage",)) -> None:
        """Answer the next ``count`` calls of ``methods`` with an error of HTTP ``status``.

        429 carries ``parameters.retry_after``. Other statuses get the standard phrase
        (502 ``Bad Gateway``) unless ``description`` is given.
        """
        error = _error_for_status(status, retry_after=retry_after, description=description)
        names = frozenset(name.lower() for name in methods)
        self._failures.extend(_Failure(error, names) for _ in range(count))

    def start_outage(self, status: int = HTTPStatus.BAD_GATEWAY) -> None:
        """Answer every call with ``status`` (502 ``Bad Gateway`` by default) until ended."""
        self._outage = _error_for_status(status, retry_after=1, description=None)

    def end_outage(self) -> None:
        """Answer calls normally again."""
        self._outage = None

    def enable_rate_limits(self, *, per_chat_per_second: float = 1.0, per_chat_burst: int = 3,
                           global_per_second: float = 30.0) -> None:
        """Limit ``sendMessage`` per chat and overall, answering 429 with ``retry_after``.

        Each limit is a token bucket that starts full: a chat may send ``per_chat_burst``
        messages at once, then one per ``1 / per_chat_per_second`` seconds of ``clock``.
        """
        bucket = _TokenBucket(global_per_second, global_per_second, global_per_second,
                              self.clock())
        self._rate_limits = _RateLimits(per_chat_per_second, per_chat_burst, bucket)

    def fail_at_random(self, rate: float, *, statuses: Iterable[int] = (
            HTTPStatus.TOO_MANY_REQUESTS, HTTPStatus.BAD_GATEWAY), seed: int = 0,
            retry_after: int = 1) -> None:
        """Answer a ``rate`` share of ``sendMessage`` calls with one of ``statuses``, at random.

        The draws come from a ``random.Random(seed)``, so a run repeats exactly for the
        same sequence of calls. ``rate=0`` switches it off.
        """
        errors = tuple(_error_for_status(status, retry_after=retry_after, description=None)
                       for status in statuses)
        draws = random.Random(seed)  # noqa: S311  # a reproducible test schedule
        self._random_failures = (rate, errors, draws) if rate > 0 else None

    def stall_responses(self, *, after: int = 0, seconds: float | None = None) -> None:
        """Accept ``sendMessage`` calls as usual, but answer late once ``after`` more were accepted.

        Each later message is recorded in ``sent`` (and ``held``) when it arrives, as
        Telegram would deliver it, and its response waits ``seconds``, or without
        ``seconds`` until ``release_responses`` or ``stop``. A client with a shorter read
        timeout sees a timeout for a message that did arrive.
        """
        self._stall_from = len(self.sent) + after
        self._stall_seconds = seconds
        self._release = asyncio.Event()

    def release_responses(self) -> None:
        """Answer held responses now and stop holding new ones."""
        self._stall_from = None
        self._release.set()

    def limit_text_length(self, units: int | None) -> None:
        """Reject texts longer than ``units`` UTF-16 code units as "message is too long".

        Telegram's limit is 4096 after entity parsing; a lower one stands in for a text
        Telegram counts differently than the bot does. None restores the usual limit.
        """
        self._max_text_length = units

    def disable_rate_limits(self) -> None:
        """Stop enforcing rate limits (the default)."""
        self._rate_limits = None

    def messages_to(self, chat_id: int) -> list[SentMessage]:
        """Return the accepted messages sent to ``chat_id``, oldest first."""
        return [message for message in self.sent if message.chat_id == chat_id]

    def commands(self, *, scope: dict[str, Any] | None = None,
                 language_code: str | None = None) -> list[dict[str, str]]:
        """Return the command menu stored by ``setMyCommands`` for a scope and language."""
        return list(self._commands.get(_commands_key(scope, language_code), []))

    async def wait_for_sent(self, count: int) -> list[SentMessage]:
        """Wait until at least ``count`` messages were accepted, and return all of them.

        Raises TimeoutError after ``WAIT_GUARD_SECONDS``, which only keeps a broken test
        from hanging.
        """
        async with asyncio.timeout(WAIT_GUARD_SECONDS):
            while len(self.sent) < count:
                await self._sent_signal.wait()
        return list(self.sent)

    async def wait_for_held(self, count: int) -> list[SentMessage]:
        """Wait until at least ``count`` responses are held by ``stall_responses``.

        Returns the held messages. Raises TimeoutError after ``WAIT_GUARD_SECONDS``.
        """
        async with asyncio.timeout(WAIT_GUARD_SECONDS):
            while len(self.held) < count:
                await self._sent_signal.wait()
        return list(self.held)

    # -- HTTP -------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(HTTPStatus.UNAUTHORIZED, "Unauthorized"))
        found = self._methods.get(request.match_info["method"].lower())
        if found is None:
            return _error_response(ApiError(HTTPStatus.NOT_FOUND, "Not Found"))
        method, handler = found
        params: dict[str, Any] = {}
        try:
            params = await _read_params(request)
            self.calls.append(ApiCall(method, params))
            self._inject_failure(method)
            result = await handler(params)
        except ApiError as error:
            self._record_rejection(method, params, error)
            return _error_response(error)
        return web.json_response({"ok": True, "result": result})

    def _inject_failure(self, method: str) -> None:
        if self._outage is not None:
            raise self._outage
        if self._random_failures is not None and method == "sendMessage":
            rate, errors, draws = self._random_failures
            if draws.random() < rate:
                raise draws.choice(errors)
        for index, failure in enumerate(self._failures):
            if method.lower() in failure.methods:
                del self._failures[index]
                raise failure.error

    def _record_rejection(self, method: str, params: dict[str, Any], error: ApiError) -> None:
        text = params.get("text")
        self.rejected.append(RejectedRequest(
            method=method, chat_id=params.get("chat_id"),
            text=text if isinstance(text, str) else None, error_code=error.error_code,
            description=error.description, time=self.clock()))
        logger.debug("fake telegram rejected method=%s error_code=%s", method, error.error_code)

    # -- methods ----------------------------------------------------------------------

    async def _no_op(self, params: dict[str, Any]) -> bool:
        return True

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**self._bot_user(), "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(HTTPStatus.CONFLICT, "Conflict: can't use getUpdates method while "
                           "webhook is active; use deleteWebhook to delete the webhook first")
        offset = params.get("offset")
        if isinstance(offset, int) and offset > 0:
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        limit = params.get("limit") or 100
        timeout = min(float(params.get("timeout") or 0), self.max_poll_wait)
        if not self._updates and timeout > 0 and not self._closing:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._updates_signal.wait()
        return self._updates[:limit]

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = params.get("url") or ""
        if url and urlsplit(url).scheme != "https":
            raise ApiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for "
                                "webhook")
        self.webhook_url = url
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url, "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: parameter \"commands\" is required")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            description = command.get("description", "") if isinstance(command, dict) else ""
            if not _BOT_COMMAND_NAME.fullmatch(name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = _commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [{"command": command["command"],
                                "description": command["description"]} for command in commands]
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands(scope=params.get("scope"), language_code=params.get("language_code"))

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self._commands.pop(_commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._resolve_chat_id(params)
        self._check_reachable(chat_id)
        parsed = check_message_text(_text_param(params), params.get("parse_mode"))
        if self._max_text_length is not None and utf16_units(parsed.text) > self._max_text_length:
            raise ApiError(400, "Bad Request: message is too long")
        markup = check_reply_markup(params.get("reply_markup"))
        self._check_rate_limits(chat_id)

        chat = self._chat(chat_id)
        thread_id = params.get("message_thread_id")
        message_id = self._take_message_id(chat_id)
        message = self._message(chat, message_id, parsed.text, sender=self._bot_user(),
                                thread_id=thread_id, parsed=parsed, reply_markup=markup)
        self._messages[chat_id, message_id] = message
        self.sent.append(SentMessage(
            chat_id=chat_id, text=params["text"], parse_mode=params.get("parse_mode"),
            reply_markup=markup, message_thread_id=thread_id, message_id=message_id,
            time=self.clock(), display_text=parsed.text, entities=parsed.entities))
        self._sent_signal.notify()
        if self._stall_from is not None and len(self.sent) > self._stall_from:
            await self._hold_response(self.sent[-1])
        return message

    async def _hold_response(self, sent: SentMessage) -> None:
        self.held.append(sent)
        self._sent_signal.notify()
        release = self._release
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._stall_seconds):
                await release.wait()

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if "inline_message_id" in params:
            check_message_text(_text_param(params), params.get("parse_mode"))
            return True
        chat_id = self._resolve_chat_id(params)
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise ApiError(400, "Bad Request: message identifier is not specified")
        self._check_reachable(chat_id)
        stored = self._messages.get((chat_id, message_id))
        if stored is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        parsed = check_message_text(_text_param(params), params.get("parse_mode"))
        markup = check_reply_markup(params.get("reply_markup"))
        if (parsed.text == stored["text"] and parsed.entities == stored.get("entities", [])
                and markup == stored.get("reply_markup")):
            raise ApiError(400, _NOT_MODIFIED)

        message = self._message(self._chat(chat_id), message_id, parsed.text,
                                sender=self._bot_user(), parsed=parsed, reply_markup=markup,
                                thread_id=stored.get("message_thread_id"))
        message["edit_date"] = int(time.time())
        self._messages[chat_id, message_id] = message
        self.edited.append(EditedMessage(
            chat_id=chat_id, message_id=message_id, text=params["text"],
            parse_mode=params.get("parse_mode"), reply_markup=markup, time=self.clock(),
            display_text=parsed.text))
        return message

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat(self._resolve_chat_id(params))
        gifts = dict.fromkeys(("unlimited_gifts", "limited_gifts", "unique_gifts",
                               "premium_subscription", "gifts_from_channels"), False)
        return {**chat, "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": gifts}

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = self._resolve_chat_id(params)
        user_id = params.get("user_id")
        if not isinstance(user_id, int):
            raise ApiError(400, "Bad Request: invalid user_id specified")
        default = "creator" if self._chat(chat_id)["type"] == "private" else "member"
        status = self._member_status.get((chat_id, user_id), default)
        return _chat_member(self._register_user(user_id), status)

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        if not params.get("callback_query_id"):
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        self.answered_callbacks.append(params)
        return True

    # -- chats, users, messages -------------------------------------------------------

    def _resolve_chat_id(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat_id, int):
            return chat_id
        for known in self._chats.values():
            if known.get("username") and f"@{known['username']}" == chat_id:
                return int(known["id"])
        raise ApiError(400, "Bad Request: chat not found")

    def _check_reachable(self, chat_id: int) -> None:
        if chat_id in self._blocked:
            raise ApiError(HTTPStatus.FORBIDDEN, "Forbidden: bot was blocked by the user")
        if chat_id in self._kicked:
            kind = "supergroup" if self._chat(chat_id)["type"] == "supergroup" else "group"
            raise ApiError(HTTPStatus.FORBIDDEN, f"Forbidden: bot was kicked from the {kind} chat")
        if chat_id in self._migrated:
            raise ApiError(400, "Bad Request: group chat was upgraded to a supergroup chat",
                           {"migrate_to_chat_id": self._migrated[chat_id]})

    def _check_rate_limits(self, chat_id: int) -> None:
        limits = self._rate_limits
        if limits is None:
            return
        now = self.clock()
        chat_bucket = limits.chat_buckets.setdefault(chat_id, _TokenBucket(
            limits.per_chat_rate, limits.per_chat_burst, limits.per_chat_burst, now))
        wait = max(limits.global_bucket.wait_time(now), chat_bucket.wait_time(now))
        if wait > 0:
            retry_after = max(1, math.ceil(wait))
            raise ApiError(HTTPStatus.TOO_MANY_REQUESTS,
                           f"Too Many Requests: retry after {retry_after}",
                           {"retry_after": retry_after})
        limits.global_bucket.tokens -= 1
        chat_bucket.tokens -= 1

    def _register_chat(self, chat_id: int, *, chat_type: str | None = None,
                       title: str | None = None, username: str | None = None,
                       first_name: str | None = None,
                       is_forum: bool | None = None) -> dict[str, Any]:
        chat = self._chat(chat_id)
        if chat_type is not None:
            chat["type"] = chat_type
        if chat["type"] == "private":
            chat.pop("title", None)
            chat.setdefault("first_name", first_name or f"User {chat_id}")
            if username:
                chat["username"] = username
        else:
            chat.pop("first_name", None)
            chat["title"] = title or chat.get("title") or f"Group {chat_id}"
            if is_forum and chat["type"] == "supergroup":
                chat["is_forum"] = True
        return chat

    def _chat(self, chat_id: int) -> dict[str, Any]:
        if chat_id not in self._chats:
            if chat_id > 0:
                self._chats[chat_id] = {"id": chat_id, "type": "private",
                                        "first_name": f"User {chat_id}"}
            else:
                kind = "supergroup" if chat_id < _SUPERGROUP_ID_LIMIT else "group"
                self._chats[chat_id] = {"id": chat_id, "type": kind, "title": f"Group {chat_id}"}
        return self._chats[chat_id]

    def _register_user(self, user_id: int, *, username: str | None = None,
                       first_name: str | None = None,
                       language_code: str | None = None) -> dict[str, Any]:
        user = self._users.setdefault(user_id, {"id": user_id, "is_bot": False,
                                                "first_name": first_name or f"User {user_id}"})
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        return user

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "paperbot test",
                "username": self.username}

    def _take_message_id(self, chat_id: int) -> int:
        message_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = message_id + 1
        return message_id

    def _message(self, chat: dict[str, Any], message_id: int, text: str, *,
                 sender: dict[str, Any], thread_id: int | None = None,
                 parsed: ParsedText | None = None,
                 reply_markup: dict[str, Any] | None = None) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()),
                                   "chat": dict(chat), "from": sender, "text": text}
        if parsed is not None and parsed.entities:
            message["entities"] = parsed.entities
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = chat["type"] == "supergroup"
        if reply_markup is not None and "inline_keyboard" in reply_markup:
            message["reply_markup"] = reply_markup
        return message

    def _queue_update(self, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self._next_update_id, **payload}
        self._next_update_id += 1
        self._updates.append(update)
        self._updates_signal.notify()
        return update


def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""


def _text_param(params: dict[str, Any]) -> str:
    text = params.get("text")
    if not isinstance(text, str) or not text:
        raise ApiError(400, "Bad Request: message text is empty")
    return text


def _error_for_status(status: int, *, retry_after: int, description: str | None) -> ApiError:
    if status == HTTPStatus.TOO_MANY_REQUESTS:
        return ApiError(status, description or f"Too Many Requests: retry after {retry_after}",
                        {"retry_after": retry_after})
    return ApiError(status, description or HTTPStatus(status).phrase)


def _error_response(error: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": int(error.error_code),
                            "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=int(error.error_code))


async def _read_params(request: web.Request) -> dict[str, Any]:
    """Collect parameters from the query string and a JSON, form or multipart body."""
    raw: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as error:
                raise ApiError(400, "Bad Request: can't parse JSON request body") from error
            if isinstance(body, dict):
                raw.update(body)
        else:
            form = await request.post()
            raw.update({name: value for name, value in form.items() if isinstance(value, str)})
    return {name: _decode_param(name, value) for name, value in raw.items()}


def _decode_param(name: str, value: Any) -> Any:
    """Turn a form string into the type the Bot API reads it as. JSON values pass through."""
    if not isinstance(value, str):
        return value
    if name in _JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError as error:
            subject = "reply keyboard markup" if name == "reply_markup" else name
            raise ApiError(400, f"Bad Request: can't parse {subject} JSON object") from error
    if name in _INT_FIELDS or (name == "chat_id" and value.lstrip("-").isdigit()):
        try:
            return int(value)
        except ValueError as error:
            raise ApiError(400, f"Bad Request: invalid {name} specified") from error
    if name in _BOOL_FIELDS:
        return value.lower() in ("true", "1")
    return value


def _chat_member(user: dict[str, Any], status: str) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(dict.fromkeys(
            ("can_be_edited", "is_anonymous", "can_restrict_members", "can_promote_members",
             "can_post_stories", "can_edit_stories", "can_delete_stories"), False))
        member.update(dict.fromkeys(
            ("can_manage_chat", "can_delete_messages", "can_manage_video_chats",
             "can_change_info", "can_invite_users", "can_pin_messages"), True))
    elif status == "kicked":
        member["until_date"] = 0
    return member


@pytest.fixture
async def fake_telegram() -> AsyncIterator[FakeTelegram]:
    """A started FakeTelegram, stopped after the test."""
    async with FakeTelegram() as fake:
        yield fake
