"""The aiohttp server of one instance: ``/healthz``, ``/readyz``, ``/metrics`` and webhooks."""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.clock import Clock
from bot.errors import ConfigError
from bot.metrics import CONTENT_TYPE_LATEST, Metrics
from bot.store.outbox import Outbox
from bot.web.health import Readiness

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RESERVED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
# A scrape must not hang on a slow database; the outbox gauges then keep their last value.
OUTBOX_QUERY_TIMEOUT = 2.0


class WebServer:
    """Serve health, readiness and metrics, plus the routes platforms add before ``start``."""

    def __init__(self, *, host: str, port: int, readiness: Readiness, metrics: Metrics,
                 outbox: Outbox, clock: Clock) -> None:
        self._host = host
        self._requested_port = port
        self._readiness = readiness
        self._metrics = metrics
        self._outbox = outbox
        self._clock = clock
        self._runner: web.AppRunner | None = None
        self._bound_port: int | None = None
        self._outbox_query_failing = False
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self.app.router.add_get("/metrics", self._metrics_page)

    @property
    def port(self) -> int:
        """The port listened on: ``PORT``, or the one the system chose when ``PORT`` is 0."""
        if self._bound_port is None:
            raise RuntimeError("the web server is not started")
        return self._bound_port

    def add_route(self, method: str, path: str, handler: Handler) -> None:
        """Serve ``handler`` at ``path``; only before ``start``, and not at a built-in path."""
        if path in RESERVED_PATHS:
            raise ConfigError(f"{path} is reserved for the web server's own endpoint")
        self.app.router.add_route(method, path, handler)

    async def start(self) -> None:
        """Listen on ``HOST``:``PORT``; raise ``ConfigError`` naming them if that fails."""
        runner = web.AppRunner(self.app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self._host, self._requested_port)
        try:
            await site.start()
        except OSError as error:
            await runner.cleanup()
            raise ConfigError(self._listen_error(error)) from error
        self._runner = runner
        self._bound_port = _bound_port(runner, self._requested_port)
        logger.info("web server listening host=%s port=%s", self._host, self._bound_port)

    async def stop(self) -> None:
        """Stop accepting requests and close the open connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            logger.info("web server stopped")

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def _readyz(self, request: web.Request) -> web.Response:
        results = await self._readiness.check()
        ready = all(result.ok for result in results)
        checks: dict[str, dict[str, object]] = {}
        for result in results:
            checks[result.name] = ({"ok": True} if result.ok
                                   else {"ok": False, "error": result.error})
        body = {"status": "ready" if ready else "not ready", "checks": checks}
        return web.json_response(body, status=200 if ready else 503)

    async def _metrics_page(self, request: web.Request) -> web.Response:
        try:
            async with asyncio.timeout(OUTBOX_QUERY_TIMEOUT):
                await self._metrics.refresh_outbox(self._outbox, now=self._clock())
        except Exception as error:  # the other metrics are still worth serving
            if not self._outbox_query_failing:
                logger.warning("outbox gauges not refreshed error=%s", type(error).__name__)
            self._outbox_query_failing = True
        else:
            self._outbox_query_failing = False
        return web.Response(body=self._metrics.render(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _listen_error(self, error: OSError) -> str:
        where = f"HOST={self._host} PORT={self._requested_port}"
        if error.errno == errno.EADDRINUSE:
            return (f"{where}: the port is already in use by another process; set PORT to a "
                    "free port, or WEB_ENABLED=false to run without the web server")
        return (f"{where}: cannot listen there ({error.strerror or error}); check HOST and "
                "PORT, or set WEB_ENABLED=false to run without the web server")


def _bound_port(runner: web.AppRunner, requested: int) -> int:
    for address in runner.addresses:
        if isinstance(address, tuple) and len(address) >= 2:
            return int(address[1])
    return requested
