"""Readiness checks behind ``/readyz``: named probes that each pass or report what failed."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text
from telegram import Bot

from bot.errors import PaperbotError
from bot.store.database import Database

logger = logging.getLogger(__name__)

# A probe returns when the component is ready and raises when it is not.
Probe = Callable[[], Awaitable[None]]
DEFAULT_TIMEOUT = 2.0
_MAX_DETAIL = 200


class NotReady(PaperbotError):
    """A probe result: its component is not ready, for the reason in the message."""


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One probe's outcome; ``error`` is None when it passed."""

    name: str
    error: str | None

    @property
    def ok(self) -> bool:
        """Whether the probe passed."""
        return self.error is None


class Readiness:
    """The probes of one instance, run together with a time limit each."""

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self._timeout = timeout
        self._probes: dict[str, Probe] = {}

    def add(self, name: str, probe: Probe) -> None:
        """Register ``probe`` under ``name``; a later one with the same name replaces it."""
        self._probes[name] = probe

    async def check(self) -> list[CheckResult]:
        """Run every probe concurrently and return the results in registration order."""
        names = list(self._probes)
        errors = await asyncio.gather(*(self._run(self._probes[name]) for name in names))
        return [CheckResult(name, error) for name, error in zip(names, errors, strict=True)]

    async def _run(self, probe: Probe) -> str | None:
        try:
            async with asyncio.timeout(self._timeout):
                await probe()
        except TimeoutError:
            return f"timed out after {self._timeout:g}s"
        except NotReady as error:
            return str(error)
        except Exception as error:  # any failure of a probe means "not ready"
            return _describe(error)
        return None


def database_probe(db: Database) -> Probe:
    """Return a probe that runs ``SELECT 1`` on ``db``."""

    async def probe() -> None:
        async with db.session() as session:
            await session.execute(text("SELECT 1"))

    return probe


def flag_probe(passed: Callable[[], bool], reason: str) -> Probe:
    """Return a probe that passes while ``passed()`` is true and otherwise reports ``reason``."""

    async def probe() -> None:
        if not passed():
            raise NotReady(reason)

    return probe


def telegram_probe(bot: Bot) -> Probe:
    """Return a probe that passes once the bot's getMe call succeeded.

    python-telegram-bot calls getMe in ``initialize`` and keeps the result, so the probe
    sends nothing to Telegram.
    """

    def authenticated() -> bool:
        try:
            bot.bot  # noqa: B018  # raises RuntimeError until getMe succeeded
        except RuntimeError:
            return False
        return True

    return flag_probe(authenticated, "getMe has not succeeded yet")


def _describe(error: BaseException) -> str:
    # The first line only: SQLAlchemy appends the statement and a help link on later lines.
    # Database errors name host and port at most, never the password of the URL.
    lines = str(error).strip().splitlines()
    message = lines[0] if lines else ""
    detail = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return detail[:_MAX_DETAIL]
