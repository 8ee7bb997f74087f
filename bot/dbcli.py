"""The ``paperbot db`` and ``paperbot subscriptions`` commands: schema migrations and backups."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from bot.clock import utcnow
from bot.errors import ConfigError, PaperbotError
from bot.logs import configure_logging, secret_values
from bot.settings import Settings, load_settings
from bot.store import Store, migrate, transfer
from bot.store.database import async_url

T = TypeVar("T")

db_app = typer.Typer(no_args_is_help=True, help="Apply and inspect database schema migrations.")
subscriptions_app = typer.Typer(
    no_args_is_help=True,
    help="Export chats with their subscriptions to YAML, or import them from it.")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision id.")] = "head",
) -> None:
    """Apply the schema migrations up to REVISION (default: the newest)."""
    settings = _settings()

    async def upgrade(store: Store) -> str | None:
        return await migrate.upgrade(store.db.engine, revision)

    after = _with_store(settings, upgrade, connect=False)
    typer.echo(f"database at revision {after or 'none'}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and the newest one this version ships."""
    settings = _settings()

    async def current(store: Store) -> str | None:
        return await migrate.current_revision(store.db.engine)

    revision = _with_store(settings, current, connect=False)
    head = migrate.head_revision()
    typer.echo(f"current: {revision or 'none'}")
    typer.echo(f"head: {head}")
    if revision != head:
        typer.echo("the database is not up to date; run `paperbot db upgrade`", err=True)


@db_app.command("revision")
def db_revision(
    message: Annotated[str, typer.Argument(help="What it changes, e.g. 'add chats.note'.")],
) -> None:
    """Write a new migration from the changes in bot/store/schema.py (for developers)."""
    configure_logging("WARNING")
    try:
        path = asyncio.run(migrate.create_revision(message))
    except (PaperbotError, SQLAlchemyError) as error:
        _fail(f"cannot write the revision: {error}")
    typer.echo(f"wrote {path}; review it before committing")


@subscriptions_app.command("export")
def subscriptions_export(
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="File to write; standard output when omitted.")] = None,
) -> None:
    """Write every chat, its settings and its subscriptions as a YAML document."""
    settings = _settings()

    async def export(store: Store) -> str:
        return transfer.dump(await transfer.export_chats(store))

    document = _with_store(settings, export)
    if output is None:
        sys.stdout.write(document)
        return
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as error:
        _fail(f"cannot write {output}: {error.strerror}")
    typer.echo(f"wrote {output}", err=True)


@subscriptions_app.command("import")
def subscriptions_import(
    file: Annotated[Path, typer.Argument(help="YAML file written by `subscriptions export`.")],
) -> None:
    """Add the chats and subscriptions of FILE that the database lacks; nothing is deleted."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not valid UTF-8"
        _fail(f"cannot read {file}: {reason}")
    try:
        chats = transfer.load(text, source=str(file))
    except transfer.TransferError as error:
        _fail(str(error))
    settings = _settings()

    async def import_(store: Store) -> transfer.ImportReport:
        return await transfer.import_chats(store, chats, now=utcnow())

    report = _with_store(settings, import_)
    typer.echo(f"{file}: {report}")


def _settings() -> Settings:
    try:
        settings = load_settings()
    except ConfigError as error:
        typer.echo(f"paperbot: {error}", err=True)
        raise typer.Exit(2) from None
    configure_logging(settings.log_level, secrets=secret_values(settings),
                      fmt=settings.log_format)
    return settings


def _with_store(settings: Settings, action: Callable[[Store], Awaitable[T]], *,
                connect: bool = True) -> T:
    """Run ``action`` on a store over DATABASE_URL, connected (and migrated) when ``connect``."""

    async def main() -> T:
        store = Store.open(settings.database_url)
        try:
            if connect:
                await store.db.connect(auto_migrate=settings.database_auto_migrate)
            return await action(store)
        finally:
            await store.db.close()

    try:
        return asyncio.run(main())
    except PaperbotError as error:
        _fail(str(error))
    except (OSError, SQLAlchemyError) as error:
        # SQLAlchemy's own text adds the statement and a link; the driver's error is the fact.
        reason = getattr(error, "orig", None) or error
        url = async_url(settings.database_url).render_as_string(hide_password=True)
        _fail(f"database {url} failed: {reason}; check DATABASE_URL and that the server runs")


def _fail(message: str) -> NoReturn:
    typer.echo(f"paperbot: {message}", err=True)
    raise typer.Exit(1)
