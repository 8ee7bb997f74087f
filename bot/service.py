"""The running bot: store, scheduler, sender and chat frontends, started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import sys
from collections.abc import Awaitable, Callable
from typing import TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.admin.notifier import AdminNotifier, admin_chats
from bot.clock import Clock, utcnow
from bot.commands import CommandRouter, Services
from bot.delivery.planner import Planner
from bot.delivery.ratelimit import RateLimiter
from bot.delivery.sender import Sender
from bot.ingest import Ingestor
from bot.logs import secret_values
from bot.matcher.orgs import OrgMatcher
from bot.platform.base import Messenger
from bot.platform.console import ConsoleChat, ConsoleMessenger, stdin_reader
from bot.platform.telegram.app import TelegramFrontend, build_application
from bot.settings import Settings
from bot.source.folder import FolderSource
from bot.store import Store

logger = logging.getLogger(__name__)

# How often cards waiting for a retry or a later due time are looked at.
DELIVERY_CHECK_SECONDS = 2.0


class Service:
    """Everything ``paperbot run`` starts, in one object that tests can drive too."""

    def __init__(self, settings: Settings, *, clock: Clock = utcnow,
                 console_input: asyncio.StreamReader | None = None,
                 console_output: TextIO = sys.stdout) -> None:
        self.settings = settings
        self.clock = clock
        self.store = Store.open(settings.database_url)
        self.orgs = OrgMatcher.from_alias_file(settings.org_aliases_file)
        services = Services(store=self.store, orgs=self.orgs, clock=clock,
                            default_language=settings.bot_language,
                            default_timezone=settings.timezone)
        self.router = CommandRouter(services)
        self.telegram: TelegramFrontend | None = None
        self.console: ConsoleChat | None = None
        messengers: dict[str, Messenger] = {}
        if settings.telegram_bot_token is not None:
            application = build_application(
                token=settings.telegram_bot_token.get_secret_value(),
                base_url=settings.telegram_api_url)
            self.telegram = TelegramFrontend(application, self.router)
            messengers["telegram"] = self.telegram.messenger
        else:
            console_messenger = ConsoleMessenger(console_output)
            self.console = ConsoleChat(self.router, console_messenger)
            messengers["console"] = console_messenger
        self._console_input = console_input
        self.admin = AdminNotifier(chats=admin_chats(settings.admin_chat_ids),
                                   messengers=messengers, store=self.store,
                                   default_language=settings.bot_language)
        self.sender = Sender(
            store=self.store, messengers=messengers, clock=clock,
            default_language=settings.bot_language,
            limiter=RateLimiter(per_second=settings.telegram_max_messages_per_second,
                                per_chat_per_second=settings.telegram_max_per_chat_per_second))
        self.ingestor = Ingestor(
            source=FolderSource(settings.digest_dir), store=self.store, clock=clock,
            planner=Planner(store=self.store, orgs=self.orgs, clock=clock,
                            default_timezone=settings.timezone))
        self.scheduler = AsyncIOScheduler(timezone=settings.timezone)
        self._job_tasks: set[asyncio.Task[object]] = set()
        self._scan_lock = asyncio.Lock()

    async def scan_and_send(self) -> None:
        """Pick up new digests and send what they made due; one scan runs at a time."""
        async with self._scan_lock:
            report = await self.ingestor.scan()
            for error in report.errors:
                self.admin.digest_rejected(error)
            if report.digests or report.errors:
                logger.info("digest scan stored=%d rejected=%d new_cards=%d", len(report.digests),
                            len(report.errors), report.new_cards)
        await self.sender.drain()

    async def run(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set (or the console input ends), then shut down cleanly."""
        await self.store.db.connect(auto_migrate=self.settings.database_auto_migrate)
        self.admin.start(secrets=secret_values(self.settings))
        interrupted = await self.store.outbox.fail_interrupted(claimed_before=self.clock())
        for delivery in interrupted:
            logger.critical("card not resent after an interrupted send chat_pk=%s arxiv_id=%s",
                            delivery.chat_pk, delivery.paper_key)
        self.scheduler.add_job(self._tracked(self.scan_and_send), "interval", id="digest-scan",
                               seconds=self.settings.poll_interval, max_instances=1,
                               coalesce=True, next_run_time=dt.datetime.now(dt.UTC))
        self.scheduler.add_job(self._tracked(self.sender.drain), "interval", id="deliver",
                               seconds=DELIVERY_CHECK_SECONDS, max_instances=1, coalesce=True)
        self.scheduler.start()
        console_task: asyncio.Task[None] | None = None
        try:
            if self.telegram is not None:
                await self.telegram.start()
            if self.console is not None:
                # Load the digests first, so the first command already sees them.
                await self.scan_and_send()
                reader = self._console_input or await stdin_reader()
                console_task = asyncio.create_task(self._run_console(reader, stop),
                                                   name="console-chat")
            logger.info("paperbot running digest_dir=%s poll_interval=%ss",
                        self.settings.digest_dir, self.settings.poll_interval)
            await stop.wait()
        finally:
            logger.info("paperbot stopping")
            self.scheduler.shutdown(wait=False)
            await self._wait_for_jobs()
            await self.admin.stop()
            if console_task is not None:
                console_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await console_task
            if self.telegram is not None:
                await self.telegram.stop()
            await self.sender.close()
            await self.store.db.close()
            logger.info("paperbot stopped")

    def _tracked(self, job: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[None]]:
        """Wrap a job so shutdown can wait for a run in progress after cancelling it."""

        async def run() -> None:
            task = asyncio.current_task()
            assert task is not None  # noqa: S101  # always called inside a task
            self._job_tasks.add(task)
            try:
                await job()
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
