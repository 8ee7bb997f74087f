"""Alembic environment: runs revisions on the connection that ``bot.store.migrate`` passes in.

The engine is async, so ``bot.store.migrate`` opens the connection and calls Alembic's
commands inside ``AsyncConnection.run_sync``; this module never creates an engine itself.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.store.schema import Base


def run_migrations(connection: Connection) -> None:
    """Run the requested Alembic command on ``connection`` inside its open transaction."""
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot alter most column and constraint properties in place, so revisions
        # use batch operations, which copy the table there and alter in place elsewhere.
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; "
                       "run `paperbot db upgrade` against the database")
connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through bot.store.migrate (`paperbot db upgrade`), "
                       "which passes the database connection to Alembic")
run_migrations(connection)
