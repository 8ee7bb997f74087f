"""The web server: health, readiness with the failed check named, metrics, port errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.errors import ConfigError
from bot.metrics import Metrics
from bot.store import ChatRef, DueCard, Store
from bot.store.database import Database
from bot.web.health import NotReady, Readiness, database_probe
from bot.web.server import WebServer

NOW = dt.datetime(2026, 2, 20, 8, 0, tzinfo=dt.UTC)


def fixed_clock() -> dt.datetime:
    return NOW


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = Store.open(f"sqlite:///{tmp_path / 'web.db'}")
    await opened.db.connect()
    yield opened
    await opened.db.close()


async def _serve(store: Store, readiness: Readiness,
                 metrics: Metrics | None = None) -> WebServer:
    server = WebServer(host="127.0.0.1", port=0, readiness=readiness,
                       metrics=metrics or Metrics(), outbox=store.outbox, clock=fixed_clock)
    await server.start()
    return server


async def _get(server: WebServer, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{server.port}{path}") as response:
        return response.status, await response.text()


async def _get_json(server: WebServer, path: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as session, session.get(
            f"http://127.0.0.1:{server.port}{path}") as response:
        return response.status, await response.json()


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: bound once, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_healthz_answers_ok(store: Store) -> None:
    server = await _serve(store, Readiness())
    try:
        status, body = await _get_json(server, "/healthz")
    finally:
        await server.stop()
    assert status == 200
    assert body == {"status": "ok"}


async def test_readyz_ready_when_database_answers(store: Store) -> None:
    readiness = Readiness()
    readiness.add("database", database_probe(store.db))
    server = await _serve(store, readiness)
    try:
        status, body = await _get_json(server, "/readyz")
    finally:
        await server.stop()
    assert status == 200
    assert body == {"status": "ready", "checks": {"database": {"ok": True}}}


async def test_readyz_names_failed_check(store: Store) -> None:
    async def not_logged_in() -> None:
        raise NotReady("getMe has not succeeded yet")

    readiness = Readiness()
    readiness.add("database", database_probe(store.db))
    readiness.add("telegram", not_logged_in)
    server = await _serve(store, readiness)
    try:
        status, body = await _get_json(server, "/readyz")
    finally:
        await server.stop()
    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"] == {"database": {"ok": True},
                              "telegram": {"ok": False, "error": "getMe has not succeeded yet"}}


async def test_readyz_503_when_database_unreachable(store: Store) -> None:
    unreachable = Database(f"postgresql://paperbot:hunter2@127.0.0.1:{_closed_port()}/paperbot")
    readiness = Readiness()
    readiness.add("database", database_probe(unreachable))
    server = await _serve(store, readiness)
    try:
        status, body = await _get_json(server, "/readyz")
    finally:
        await server.stop()
        await unreachable.close()
    checks = body["checks"]
    assert isinstance(checks, dict)
    assert status == 503
    assert checks["database"]["ok"] is False
    assert "hunter2" not in checks["database"]["error"]


async def test_readyz_reports_probe_timeout(store: Store) -> None:
    async def hangs() -> None:
        await asyncio.Event().wait()

    readiness = Readiness(timeout=0.05)
    readiness.add("slow", hangs)
    server = await _serve(store, readiness)
    try:
        status, body = await _get_json(server, "/readyz")
    finally:
        await server.stop()
    assert status == 503
    assert body["checks"] == {"slow": {"ok": False, "error": "timed out after 0.05s"}}


async def test_metrics_reads_outbox_gauges_from_database(store: Store) -> None:
    chat = await store.chats.ensure(ChatRef("telegram", "1"), kind="private", now=NOW)
    day = dt.date(2026, 2, 20)
    await store.outbox.enqueue([
        DueCard(digest_date=day, paper_key="a", chat_pk=chat.pk,
                due_at=NOW - dt.timedelta(seconds=90)),
        DueCard(digest_date=day, paper_key="b", chat_pk=chat.pk, due_at=NOW),
        DueCard(digest_date=day, paper_key="c", chat_pk=chat.pk,
                due_at=NOW + dt.timedelta(hours=2)),
    ], now=NOW)
    metrics = Metrics()
    metrics.count_command("top", known=True)
    server = await _serve(store, Readiness(), metrics)
    try:
        status, text = await _get(server, "/metrics")
    finally:
        await server.stop()
    lines = text.splitlines()
    assert status == 200
    assert "paperbot_outbox_pending 3.0" in lines
    assert "paperbot_outbox_oldest_due_age_seconds 90.0" in lines
    assert 'paperbot_commands_total{command="top"} 1.0' in lines


async def test_busy_port_error_names_port(store: Store) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        server = WebServer(host="127.0.0.1", port=port, readiness=Readiness(),
                           metrics=Metrics(), outbox=store.outbox, clock=fixed_clock)
        with pytest.raises(ConfigError) as raised:
            await server.start()
    assert f"PORT={port}" in str(raised.value)
    assert "already in use" in str(raised.value)


async def test_route_at_reserved_path_rejected(store: Store) -> None:
    server = WebServer(host="127.0.0.1", port=0, readiness=Readiness(), metrics=Metrics(),
                       outbox=store.outbox, clock=fixed_clock)

    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    with pytest.raises(ConfigError, match="/metrics is reserved"):
        server.add_route("POST", "/metrics", handler)
