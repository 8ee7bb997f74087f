"""The last version seen of each digest file, by content hash."""

from __future__ import annotations

import datetime as dt

from bot.store.database import Database
from bot.store.schema import SourceFileRow


class SourceFileStore:
    """Remember which digest file versions were already processed."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def sha256(self, path: str) -> str | None:
        """Return the hash recorded for ``path``, or None when it was never seen."""
        async with self._db.session() as session:
            row = await session.get(SourceFileRow, path)
            return None if row is None else row.sha256

    async def record(self, path: str, *, sha256: str, digest_date: dt.date | None,
                     error: str | None, now: dt.datetime) -> None:
        """Record the outcome of processing one version of ``path``."""
        async with self._db.session() as session, session.begin():
            await session.merge(SourceFileRow(path=path, sha256=sha256, digest_date=digest_date,
                                              error=error, seen_at=now))
