"""Logging never shows a secret, in messages or tracebacks."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from typing import Literal

import pytest

from bot.logs import JsonFormatter, SecretFilter, configure_logging, secret_values
from bot.settings import load_settings

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



@pytest.fixture
def root_logging() -> Iterator[None]:
    """Restore the root logger's handlers and level after ``configure_logging`` replaced them."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("fmt", ["text", "json"], ids=["text", "json"])
@pytest.mark.usefixtures("root_logging")
def test_configured_format_masks_token(fmt: Literal["text", "json"],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", secrets=[TOKEN], fmt=fmt)
    logging.getLogger("tests.logs.format").warning("calling bot%s/getMe", TOKEN)
    output = capsys.readouterr().err
    assert TOKEN not in output
    assert "calling bot***/getMe" in output


@pytest.mark.usefixtures("root_logging")
def test_json_format_one_object_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", secrets=[TOKEN], fmt="json")
    logger = logging.getLogger("tests.logs.json")
    logger.info("first line\nsecond line chat=%s", 42)
    try:
        raise RuntimeError(f"boom with {TOKEN}")
    except RuntimeError:
        logger.exception("send failed chat=%s", 42)
    lines = capsys.readouterr().err.splitlines()
    first, second = (json.loads(line) for line in lines)
    assert len(lines) == 2
    assert list(first) == ["time", "level", "logger", "message"]
    assert first["message"] == "first line\nsecond line chat=42"
    assert first["level"] == "INFO"
    assert first["logger"] == "tests.logs.json"
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert second["message"] == "send failed chat=42"
    assert "RuntimeError: boom with ***" in second["exception"]
    assert TOKEN not in second["exception"]


def test_json_format_keeps_exception_without_secrets() -> None:
    try:
        raise ValueError("no secret here")
    except ValueError:
        record = logging.LogRecord("tests", logging.ERROR, __file__, 1, "failed", None,
                                   sys.exc_info())
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed"
    assert "ValueError: no secret here" in entry["exception"]


def test_secret_values_lists_tokens_and_database_password() -> None:
    settings = load_settings(telegram_bot_token=TOKEN,
                             database_url="postgresql://bot:p%40ss-word@127.0.0.1:5432/paperbot")
    values = secret_values(settings)
    assert TOKEN in values
    assert "p%40ss-word" in values
    assert "p@ss-word" in values
