"""Logging set-up: one format for the whole process, with secrets masked in every line."""

from __future__ import annotations

import logging
from collections.abc import Iterable

_MASK = "***"


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
        if masked != message or record.args:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str, *, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at ``level``.

    The HTTP client logs only warnings, because its request URLs contain the bot token.
    """
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler.executors", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
