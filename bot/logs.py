"""Logging set-up: one format for the whole process, with secrets masked in every line."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import SecretStr

from bot.settings import Settings

_MASK = "***"
_TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class SecretFilter(logging.Filter):
    """Replace each secret value with ``***`` in a record's final message."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        masked = message
        for secret in self._secrets:
            masked = masked.replace(secret, _MASK)
        if record.exc_info and record.exc_info[1] is not None:
            # Tracebacks are formatted later from exc_info; format now so they can be masked.
            text = logging.Formatter().formatException(record.exc_info)
            for secret in self._secrets:
                text = text.replace(secret, _MASK)
            record.exc_text = text
            record.exc_info = None
        if record.stack_info:
            for secret in self._secrets:
                record.stack_info = record.stack_info.replace(secret, _MASK)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object on one line.

    Keys: ``time`` (ISO 8601, UTC), ``level``, ``logger``, ``message``, and ``exception``
    and ``stack`` when the record has a traceback or stack. Line breaks inside values are
    escaped by JSON, so a traceback never splits the record across lines.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, str] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        # SecretFilter has already replaced exc_info by masked exc_text when secrets are set.
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def secret_values(settings: Settings) -> list[str]:
    """Return the values logs must mask: every ``SecretStr`` setting and the database password."""
    values = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            values.append(value.get_secret_value())
    password = urlsplit(settings.database_url).password
    if password:
        # Drivers may quote the password as written in the URL or percent-decoded.
        values.extend({password, unquote(password)})
    return values


def configure_logging(level: str, *, secrets: Iterable[str] = (),
                      fmt: Literal["text", "json"] = "text") -> None:
    """Log to stderr at ``level``, as text lines or (``fmt="json"``) one JSON object per line.

    The HTTP client logs only warnings, because its request URLs contain the bot token.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(_TEXT_FORMAT))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Alembic logs its set-up at INFO on every start; bot.store.migrate logs each upgrade.
    for noisy in ("httpx", "httpcore", "apscheduler.executors", "apscheduler.scheduler",
                  "aiosqlite", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # slack-sdk and slack-bolt log every request, response and event payload at DEBUG.
    for payloads in ("slack_sdk", "slack_bolt"):
        logging.getLogger(payloads).setLevel(max(logging.INFO, root.level))
