"""Logging never shows a secret, in messages or tracebacks."""

from __future__ import annotations

import logging

import pytest

from bot.logs import SecretFilter

TOKEN = "123456789:AAE-very-secret"


@pytest.fixture
def records() -> list[logging.LogRecord]:
    return []


def _logger(records: list[logging.LogRecord]) -> logging.Logger:
    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    handler = Collect()
    handler.addFilter(SecretFilter([TOKEN]))
    logger = logging.getLogger("tests.logs.secret")
    logger.handlers[:] = [handler]
    logger.propagate = False
    return logger


def test_secret_masked_in_message_args(records: list[logging.LogRecord]) -> None:
    _logger(records).warning("request to https://api.telegram.org/bot%s/getMe failed", TOKEN)
    assert records[0].getMessage() == "request to https://api.telegram.org/bot***/getMe failed"


def test_secret_masked_in_traceback(records: list[logging.LogRecord]) -> None:
    logger = _logger(records)
    try:
        raise RuntimeError(f"boom with {TOKEN}")
    except RuntimeError:
        logger.exception("failed")
    formatted = logging.Formatter().format(records[0])
    assert TOKEN not in formatted
    assert "boom with ***" in formatted

