"""Stored digests and their papers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.parser.models import Digest, Paper
from bot.store.database import Database
from bot.store.schema import DigestRow, PaperRow


class DigestStore:
    """Save digests and read them back as ``Digest`` models."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def save(self, digest: Digest, *, source: str, now: dt.datetime) -> None:
        """Store ``digest``, replacing any earlier version of the same date.

        Papers are replaced as a set: a paper dropped from a republished digest is
        gone from the stored one too, while the delivery ledger keeps what was sent.
        """
        async with self._db.session() as session, session.begin():
            await session.execute(delete(PaperRow).where(PaperRow.digest_date == digest.date))
            await session.merge(DigestRow(
                date=digest.date, title=digest.title, source=source,
                paper_count=len(digest.papers), ingested_at=now,
            ))
            session.add_all(_paper_row(digest.date, paper) for paper in _unique(digest.papers))

    async def latest(self) -> Digest | None:
        """Return the digest with the newest date, or None when nothing is stored."""
        async with self._db.session() as session:
            row = await session.scalar(select(DigestRow).order_by(DigestRow.date.desc()).limit(1))
            if row is None:
                return None
            return await self._load(session, row)

    async def get(self, date: dt.date) -> Digest | None:
        """Return the digest of ``date``, or None."""
        async with self._db.session() as session:
            row = await session.get(DigestRow, date)
            if row is None:
                return None
            return await self._load(session, row)

    async def papers(self, date: dt.date, keys: Iterable[str]) -> dict[str, Paper]:
        """Return the stored papers of ``date`` among ``keys``, by key."""
        wanted = list(set(keys))
        if not wanted:
            return {}
        async with self._db.session() as session:
            rows = await session.scalars(select(PaperRow).where(
                PaperRow.digest_date == date, PaperRow.key.in_(wanted)))
            return {row.key: Paper.model_validate(row.data) for row in rows}

    async def ingested_at(self, date: dt.date) -> dt.datetime | None:
        """Return when the digest of ``date`` was last stored."""
        async with self._db.session() as session:
            row = await session.get(DigestRow, date)
            return None if row is None else row.ingested_at

    @staticmethod
    async def _load(session: AsyncSession, row: DigestRow) -> Digest:
        papers = await session.scalars(
            select(PaperRow).where(PaperRow.digest_date == row.date).order_by(PaperRow.rank))
        return Digest(date=row.date, title=row.title,
                      papers=[Paper.model_validate(paper.data) for paper in papers])


def _paper_row(date: dt.date, paper: Paper) -> PaperRow:
    return PaperRow(digest_date=date, key=paper.key, rank=paper.rank, score=paper.score,
                    data=paper.model_dump(mode="json"))


def _unique(papers: Iterable[Paper]) -> list[Paper]:
    # A digest listing one paper twice keeps the first: the key is the primary key.
    seen: dict[str, Paper] = {}
    for paper in papers:
        seen.setdefault(paper.key, paper)
    return list(seen.values())
