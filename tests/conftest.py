"""Shared fixtures: an isolated environment, the digest corpus, and databases."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from bot.settings import Settings
from bot.store import Store
from bot.store.migrate import VERSION_TABLE
from bot.store.schema import Base

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO_ROOT.parent / "shared" / "corpus"
SAMPLE_DIGEST = REPO_ROOT / "bot" / "data" / "sample" / "2026-02-20.md"
pytest_plugins = ["tests.fakes.telegram_api", "tests.fakes.slack_api"]

POSTGRES_URL = os.environ.get("PAPERBOT_TEST_POSTGRES_URL")

_SETTINGS_VARIABLES = [name.upper() for name in Settings.model_fields]


@pytest.fixture(autouse=True)
def isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's settings and .env file out of every test."""
    for name in _SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    # python-telegram-bot 22 warns when RetryAfter.retry_after is read as an int.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    # Each bot a test starts serves its web endpoints on a free port of its own.
    monkeypatch.setenv("PORT", "0")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that opens a connection to a host other than this machine."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex

    def check(address: object) -> None:
        if isinstance(address, tuple) and not ipaddress.ip_address(address[0]).is_loopback:
            raise AssertionError(f"test tried to connect to {address[0]}; only loopback is allowed")

    def connect(sock: socket.socket, address: Any) -> None:
        check(address)
        original_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(address)
        return original_connect_ex(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)


@pytest.fixture
def corpus_dir() -> Path:
    """The real-world digest corpus beside the checkout; tests skip when it is absent."""
    if not (CORPUS_DIR / "real").is_dir():
        pytest.skip(f"digest corpus not found at {CORPUS_DIR} (it sits beside the checkout "
                    "in development and CI; the files are not redistributed)")
    return CORPUS_DIR


def _database_params() -> list[object]:
    params: list[object] = [pytest.param("sqlite", id="sqlite")]
    params.append(pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres))
    return params


@pytest.fixture(params=_database_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database URL for an empty database: SQLite always, PostgreSQL when configured."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'paperbot.db'}"
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need PAPERBOT_TEST_POSTGRES_URL "
                    "(.ci/run sets it to the local server's paperbot_test database)")
    return POSTGRES_URL


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """A connected store over an empty database migrated to the current schema."""
    opened = Store.open(database_url)
    async with opened.db.engine.begin() as connection:
        await connection.run_sync(Base.metadata.drop_all)
        await connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))
    await opened.db.connect()
    yield opened
    await opened.db.close()
