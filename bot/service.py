"""The running bot: store, scheduler, sender and chat frontends, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.admin.notifier import AdminNotifier, admin_chats
from bot.clock import Clock, utcnow
from bot.cluster import open_cluster, recover_claims
from bot.commands import CommandRouter, Services
from bot.delivery.planner import Planner
from bot.delivery.ratelimit import Limits, RateLimiter, telegram_is_group
from bot.delivery.sender import Sender
from bot.errors import ConfigError
from bot.ingest import Ingestor
from bot.logs import secret_values
from bot.matcher.orgs import OrgMatcher
from bot.metrics import Metrics
from bot.platform.base import Messenger
from bot.platform.console import ConsoleChat, ConsoleMessenger, stdin_reader
from bot.platform.slack.app import EVENTS_PATH, SlackFrontend, build_app
from bot.platform.telegram.app import TelegramFrontend, build_application
from bot.platform.telegram.messenger import TELEGRAM_PER_CHAT_BURST
from bot.platform.telegram.webhook import TelegramWebhook
from bot.settings import Settings
from bot.source.folder import FolderSource
from bot.store import Store
from bot.web.health import NotReady, Readiness, database_probe, flag_probe, telegram_probe
from bot.web.server import WebServer

logger = logging.getLogger(__name__)

# How often cards waiting for a retry or a later due time are looked at.
DELIVERY_CHECK_SECONDS = 2.0
# How often the claims of instances that stopped are looked for and given back.
CLAIM_RECOVERY_SECONDS = 10.0


class Service:
    """Everything ``paperbot run`` starts, in one object that tests can drive too.

    With ``worker`` it is ``paperbot worker`` instead: the sender and the web server only,
    with no digest scans, no chat frontends and no bid for the leadership.
    """

    def __init__(self, settings: Settings, *, clock: Clock = utcnow,
                 console_input: asyncio.StreamReader | None = None,
                 console_output: TextIO = sys.stdout, worker: bool = False) -> None:
        self.settings = settings
        self.clock = clock
        self.worker = worker
        self.metrics = Metrics()
        self.store = Store.open(settings.database_url)
        if worker and self.store.db.dialect != "postgresql":
            raise ConfigError("paperbot worker needs PostgreSQL (DATABASE_URL=postgresql://…): "
                              "with SQLite, one `paperbot run` is the only supported set-up")
        self.orgs = OrgMatcher.from_alias_file(settings.org_aliases_file)
        services = Services(store=self.store, orgs=self.orgs, clock=clock,
                            default_language=settings.bot_language,
                            default_timezone=settings.timezone)
        self.router = CommandRouter(services, metrics=self.metrics)
        self.telegram: TelegramFrontend | None = None
        self.slack: SlackFrontend | None = None
        self.console: ConsoleChat | None = None
        messengers: dict[str, Messenger] = {}
        if settings.telegram_bot_token is not None:
            application = build_application(
                token=settings.telegram_bot_token.get_secret_value(),
                base_url=settings.telegram_api_url)
            self.telegram = TelegramFrontend(application, self.router)
            self.telegram.messenger.limiter = _telegram_limiter(settings)
            messengers["telegram"] = self.telegram.messenger
        if settings.slack_bot_token is not None:
            self.slack = _slack_frontend(settings, self.router)
            self.slack.messenger.limiter = _slack_limiter(settings)
            messengers["slack"] = self.slack.messenger
        if not messengers and worker:
            raise ConfigError("paperbot worker sends through Telegram or Slack, but neither "
                              "TELEGRAM_BOT_TOKEN nor SLACK_BOT_TOKEN is set")
        if not messengers:
            console_messenger = ConsoleMessenger(console_output)
            self.console = ConsoleChat(self.router, console_messenger)
            messengers["console"] = console_messenger
        self._console_input = console_input
        self.admin = AdminNotifier(chats=admin_chats(settings.admin_chat_ids),
                                   messengers=messengers, store=self.store,
                                   default_language=settings.bot_language)
        self.sender = Sender(
            store=self.store, messengers=messengers, clock=clock,
            default_language=settings.bot_language, metrics=self.metrics)
        self.ingestor = Ingestor(
            source=FolderSource(settings.digest_dir), store=self.store, clock=clock,
            planner=Planner(store=self.store, orgs=self.orgs, clock=clock,
                            default_timezone=settings.timezone))
        self.scheduler = AsyncIOScheduler(timezone=settings.timezone)
        self._job_tasks: set[asyncio.Task[object]] = set()
        self._scan_lock = asyncio.Lock()
        self.cluster = open_cluster(self.store.db, instance_id=self.store.outbox.instance_id,
                                    candidate=not worker, on_change=self._on_leadership)
        self._phase = "starting"
        self._frontends_started = False
        self._polling_lock = asyncio.Lock()
        self.telegram_webhook: TelegramWebhook | None = None
        if self.telegram is not None and settings.telegram_webhook_url and not worker:
            assert settings.telegram_webhook_secret is not None  # noqa: S101  # validated
            self.telegram_webhook = TelegramWebhook(
                self.telegram.application, url=settings.telegram_webhook_url,
                secret=settings.telegram_webhook_secret.get_secret_value())
        self.web: WebServer | None = None
        if settings.web_enabled:
            self.web = WebServer(host=settings.host, port=settings.port,
                                 readiness=self._readiness(), metrics=self.metrics,
                                 outbox=self.store.outbox, clock=clock)
            if self.telegram_webhook is not None:
                self.web.add_route("POST", self.telegram_webhook.path,
                                   self.telegram_webhook.handle)
            if self.slack is not None and self.slack.mode == "http" and not worker:
                # Also on PORT, so one address can serve everything; SLACK_PORT still works.
                self.web.add_route("POST", EVENTS_PATH, self.slack.handle_events)

    async def scan_and_send(self) -> None:
        """Pick up new digests if this instance leads, then send what is due.

        One scan runs at a time; instances that do not lead only send.
        """
        if self.cluster.is_leader:
            async with self._scan_lock:
                report = await self.ingestor.scan()
                self.metrics.digests_ingested.inc(len(report.digests))
                self.metrics.digests_rejected.inc(len(report.errors))
                for error in report.errors:
                    self.admin.digest_rejected(error)
                if report.digests or report.errors:
                    logger.info("digest scan stored=%d rejected=%d new_cards=%d",
                                len(report.digests), len(report.errors), report.new_cards)
        await self.sender.drain()

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set (or the console input ends), then shut down cleanly.

        Raises ``ConfigError`` when the web server cannot listen on ``HOST``:``PORT``.
        """
        if self.web is not None:
            # First, so a taken PORT stops start-up before anything else has begun.
            await self.web.start()
        try:
            await self.store.db.connect(auto_migrate=self.settings.database_auto_migrate)
            self.admin.start(secrets=secret_values(self.settings))
            await self.cluster.start()
        except BaseException:
            if self.web is not None:
                await self.web.stop()
            raise
        self.metrics.leader.set(1 if self.cluster.is_leader else 0)
        await recover_claims(self.store.outbox, self.cluster, now=self.clock())
        if not self.worker:
            self.scheduler.add_job(self._tracked(self.scan_and_send), "interval",
                                   id="digest-scan", seconds=self.settings.poll_interval,
                                   max_instances=1, coalesce=True,
                                   next_run_time=dt.datetime.now(dt.UTC))
        self.scheduler.add_job(self._tracked(self.sender.drain), "interval", id="deliver",
                               seconds=DELIVERY_CHECK_SECONDS, max_instances=1, coalesce=True)
        self.scheduler.add_job(self._tracked(self._recover_claims), "interval",
                               id="recover-claims", seconds=CLAIM_RECOVERY_SECONDS,
                               max_instances=1, coalesce=True)
        self.scheduler.start()
        console_task: asyncio.Task[None] | None = None
        try:
            if self.telegram is not None and self.worker:
                # A worker only sends: getMe, but no handlers, polling or webhook.
                await self.telegram.application.initialize()
            elif self.telegram is not None:
                await self.telegram.start(polling=False)
                if self.telegram_webhook is not None:
                    await self.telegram_webhook.register()
            if self.slack is not None and not self.worker:
                await self.slack.start()
            self._frontends_started = True
            await self._sync_polling()
            if self.console is not None:
                # Load the digests first, so the first command can use them.
                await self.scan_and_send()
                reader = self._console_input or await stdin_reader()
                console_task = asyncio.create_task(self._run_console(reader, stop),
                                                   name="console-chat")
            self._phase = "running"
            logger.info("paperbot running digest_dir=%s poll_interval=%ss worker=%s "
                        "instance_id=%s", self.settings.digest_dir, self.settings.poll_interval,
                        self.worker, self.cluster.instance_id)
            await stop.wait()
        finally:
            logger.info("paperbot stopping")
            self._phase = "stopping"
            # First, so no webhook update is accepted that the stopping Application would drop.
            if self.web is not None:
                await self.web.stop()
            self.scheduler.shutdown(wait=False)
            await self._wait_for_jobs()
            await self.admin.stop()
            if console_task is not None:
                console_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await console_task
            if self.telegram is not None:
                await self.telegram.stop()
            if self.slack is not None:
                await self.slack.stop()
            await self.sender.close()
            await self.cluster.stop()
            await self.store.db.close()
            logger.info("paperbot stopped")

    def _readiness(self) -> Readiness:
        readiness = Readiness()
        readiness.add("service", self._service_probe)
        readiness.add("database", database_probe(self.store.db))
        if self.telegram is not None:
            readiness.add("telegram", telegram_probe(self.telegram.application.bot))
        if self.slack is not None and not self.worker:
            slack = self.slack
            readiness.add("slack", flag_probe(lambda: slack.bot_user_id is not None,
                                              "auth.test has not succeeded yet"))
        return readiness

    async def _service_probe(self) -> None:
        if self._phase != "running":
            raise NotReady(self._phase)

    async def _recover_claims(self) -> None:
        await recover_claims(self.store.outbox, self.cluster, now=self.clock())

    async def _on_leadership(self, leader: bool) -> None:
        self.metrics.leader.set(1 if leader else 0)
        if leader and not self.worker and self.scheduler.running:
            # Scan now, not at the next interval: the old leader may have died mid-scan.
            self.scheduler.modify_job("digest-scan", next_run_time=dt.datetime.now(dt.UTC))
        await self._sync_polling()

    async def _sync_polling(self) -> None:
        """Long-poll on the leader only, because Telegram allows one getUpdates consumer."""
        if (self.telegram is None or self.worker or self.telegram_webhook is not None
                or not self._frontends_started):
            return
        async with self._polling_lock:
            if self.cluster.is_leader:
                await self.telegram.start_polling()
            else:
                await self.telegram.stop_polling()

    def _tracked(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        """Wrap a job so shutdown can wait for a run in progress after cancelling it."""

        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None  # noqa: S101  # always called inside a task
            self._job_tasks.add(task)
            try:
                await job()
            except asyncio.CancelledError:
                # Only shutdown cancels a job; the scheduler would log it as a failure.
                logger.debug("job cancelled at shutdown")
            finally:
                self._job_tasks.discard(task)

        return run

    async def _wait_for_jobs(self) -> None:
        for task in list(self._job_tasks):
            task.cancel()
        await asyncio.gather(*self._job_tasks, return_exceptions=True)

    async def _run_console(self, reader: asyncio.StreamReader, stop: asyncio.Event) -> None:
        assert self.console is not None  # noqa: S101  # only started when there is a console
        await self.console.run(reader)
        stop.set()


def _telegram_limiter(settings: Settings) -> RateLimiter:
    """Build the limiter of every Telegram message from the ``TELEGRAM_MAX_*`` settings."""
    limits = Limits(per_second=settings.telegram_max_messages_per_second,
                    per_chat_per_second=settings.telegram_max_per_chat_per_second,
                    per_chat_burst=TELEGRAM_PER_CHAT_BURST,
                    per_group_per_minute=settings.telegram_max_per_group_per_minute)
    return RateLimiter(limits, is_group=telegram_is_group)


def _slack_limiter(settings: Settings) -> RateLimiter:
    """Build the limiter of every Slack post: ``SLACK_MAX_PER_CHANNEL_PER_SECOND`` per channel.

    Slack's rate-limit guide sets no overall message limit for chat.postMessage, only
    about one message a second per channel.
    """
    limits = Limits(per_second=math.inf,
                    per_chat_per_second=settings.slack_max_per_channel_per_second)
    return RateLimiter(limits)


def _slack_frontend(settings: Settings, router: CommandRouter) -> SlackFrontend:
    """Build the Slack frontend: Socket Mode with an app token, else HTTP on SLACK_PORT."""
    assert settings.slack_bot_token is not None  # noqa: S101  # checked by the caller
    secret = settings.slack_signing_secret
    app_token = settings.slack_app_token
    app = build_app(bot_token=settings.slack_bot_token.get_secret_value(),
                    api_url=settings.slack_api_url,
                    signing_secret=secret.get_secret_value() if secret is not None else None)
    return SlackFrontend(app, router, port=settings.slack_port, host=settings.slack_host or None,
                         app_token=app_token.get_secret_value() if app_token is not None else None)
