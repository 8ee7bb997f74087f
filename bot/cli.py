"""The ``paperbot`` command line: run the bot, parse or preview a digest file."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Annotated

import typer

from bot.dbcli import db_app, subscriptions_app
from bot.errors import ConfigError, DatabaseUnavailable, DigestParseError, PlatformUnavailable
from bot.i18n import SUPPORTED_LANGUAGES, get_translator
from bot.logs import configure_logging, secret_values
from bot.parser.markdown import date_in_path, parse_file
from bot.parser.models import Digest
from bot.platform.plaintext import render_card_text
from bot.settings import load_settings
from bot.store.migrate import SchemaError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Push daily research-paper digests to Telegram and Slack as cards.")
app.add_typer(db_app, name="db")
app.add_typer(subscriptions_app, name="subscriptions")


@app.command()
def run() -> None:
    """Run the bot: watch DIGEST_DIR and serve the configured chats until SIGINT/SIGTERM."""
    _serve(worker=False)


@app.command()
def worker() -> None:
    """Only send due cards (no digest scans, no chat commands) until SIGINT/SIGTERM.

    Start any number beside `paperbot run` on the same PostgreSQL database.
    """
    _serve(worker=True)


def _serve(*, worker: bool) -> None:
    try:
        settings = load_settings()
    except ConfigError as error:
        typer.echo(f"paperbot: {error}", err=True)
        raise typer.Exit(2) from None
    level = settings.log_level
    console = settings.telegram_bot_token is None and settings.slack_bot_token is None
    if console and not worker and "log_level" not in settings.model_fields_set:
        # The terminal is the chat: routine log lines would interleave with the replies.
        level = "WARNING"
    configure_logging(level, secrets=secret_values(settings),
                      fmt=settings.log_format)

    from bot.service import Service  # imported late: it pulls in every platform library

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            await service.run(stop)
        finally:
            await _cancel_leftover_tasks()

    try:
        service = Service(settings, worker=worker)
    except ConfigError as error:
        typer.echo(f"paperbot: {error}", err=True)
        raise typer.Exit(2) from None
    status = 0
    try:
        asyncio.run(main())
    except ConfigError as error:
        # Raised at start-up, for example when the web server's PORT is taken.
        typer.echo(f"paperbot: {error}", err=True)
        status = 2
    except (SchemaError, DatabaseUnavailable, PlatformUnavailable) as error:
        typer.echo(f"paperbot: {error}", err=True)
        status = 1
    # The service has stopped and closed what it opened. A database driver thread left by
    # a query cancelled at shutdown must not keep the process alive, so exit right here.
    # NOTE: this hides such leaked threads instead of fixing them one by one.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)


async def _cancel_leftover_tasks() -> None:
    """Cancel tasks a library left running after the service stopped, waiting a few seconds.

    ``asyncio.run`` would otherwise wait forever for a task that ignores cancellation.
    """
    leftovers = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in leftovers:
        logging.getLogger(__name__).debug("cancelling leftover task %r", task)
        task.cancel()
    if leftovers:
        await asyncio.wait(leftovers, timeout=5)


@app.command()
def parse(
    file: Annotated[Path, typer.Argument(help="Digest Markdown file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the model as JSON.")] = False,
) -> None:
    """Parse a digest file; print its papers, or the whole model with --json."""
    digest = _parse_or_exit(file)
    if as_json:
        typer.echo(json.dumps(digest.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    count = len(digest.papers)
    typer.echo(f"{file}: {digest.date}, {count} {'paper' if count == 1 else 'papers'}")
    for paper in digest.papers:
        typer.echo(f"{paper.rank:>3}. [{paper.key}] {paper.score:g}  {paper.org}  {paper.title_en}")


@app.command()
def preview(
    file: Annotated[Path, typer.Argument(help="Digest Markdown file.")],
    lang: Annotated[str, typer.Option(help="Card language: zh or en.")] = "zh",
) -> None:
    """Print the cards of a digest as a chat would show them."""
    if lang not in SUPPORTED_LANGUAGES:
        typer.echo(f"paperbot: --lang {lang!r} is not supported; use zh or en", err=True)
        raise typer.Exit(2)
    digest = _parse_or_exit(file)
    t = get_translator(lang)
    for paper in digest.papers:
        typer.echo("─" * 60)
        typer.echo(render_card_text(paper, t=t))


def _parse_or_exit(file: Path) -> Digest:
    try:
        return parse_file(file, fallback_date=date_in_path(file))
    except DigestParseError as error:
        typer.echo(f"paperbot: {error}", err=True)
        raise typer.Exit(1) from None
    except OSError as error:
        typer.echo(f"paperbot: cannot read {file}: {error.strerror}", err=True)
        raise typer.Exit(1) from None


def main() -> None:
    """Console-script entry point."""
    # python-telegram-bot 22 then reports durations such as retry_after as timedelta,
    # the form that replaces its deprecated integer seconds.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    app(prog_name="paperbot")


if __name__ == "__main__":
    main()
