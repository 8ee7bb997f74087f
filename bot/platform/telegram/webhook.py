"""Telegram webhook mode: register the public URL and feed the updates posted to it to PTB.

Telegram sends each update as a POST with the ``X-Telegram-Bot-Api-Secret-Token`` header
set to the ``secret_token`` given to setWebhook. Any number of instances can serve the
URL behind a load balancer, unlike long polling, which allows one consumer per bot.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105  # a header name, not a secret
# Rejected requests are logged once per window, with the number seen since the last line.
REJECTION_LOG_WINDOW_SECONDS = 60.0


def webhook_path(url: str) -> str:
    """Return the path of ``url`` that the web server serves, ``/`` when it has none."""
    return urlsplit(url).path or "/"


class TelegramWebhook:
    """Check each posted update's secret header and queue the update for the Application."""

    def __init__(self, application: Application,  # type: ignore[type-arg]
                 *, url: str, secret: str,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self._application = application
        self.url = url
        self.path = webhook_path(url)
        self._secret = secret.encode()
        self._monotonic = monotonic
        self._rejected_since_log = 0
        self._last_rejection_log: float | None = None

    async def register(self) -> None:
        """Call setWebhook, so Telegram posts every update type to ``url`` with the secret."""
        await self._application.bot.set_webhook(
            url=self.url, secret_token=self._secret.decode(), allowed_updates=Update.ALL_TYPES)
        logger.info("telegram webhook set path=%s", self.path)

    async def handle(self, request: web.Request) -> web.Response:
        """Queue a posted update; respond 403 to a wrong or missing secret, 400 to a non-update."""
        received = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(received, self._secret):
            self._log_rejection(request, missing=not received)
            return web.Response(status=HTTPStatus.FORBIDDEN)
        try:
            data: Any = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.Response(status=HTTPStatus.BAD_REQUEST, text="the body is not JSON")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=HTTPStatus.BAD_REQUEST,
                                text="the body is not a Telegram update")
        update = Update.de_json(data, self._application.bot)
        # Queued rather than processed here: Telegram gets its response at once, and
        # Application.stop() still handles what is queued before shutting down.
        await self._application.update_queue.put(update)
        return web.Response(status=HTTPStatus.OK)

    def _log_rejection(self, request: web.Request, *, missing: bool) -> None:
        self._rejected_since_log += 1
        now = self._monotonic()
        if (self._last_rejection_log is not None
                and now - self._last_rejection_log < REJECTION_LOG_WINDOW_SECONDS):
            return
        logger.warning("telegram webhook request rejected: %s secret header remote=%s "
                       "rejected_since_last_log=%d", "missing" if missing else "wrong",
                       request.remote, self._rejected_since_log)
        self._last_rejection_log = now
        self._rejected_since_log = 0
