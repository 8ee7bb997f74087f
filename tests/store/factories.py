"""Small builders of model objects for tests."""

from __future__ import annotations

import datetime as dt

from bot.parser.models import Digest, Paper


def make_paper(rank: int = 1, *, arxiv_id: str | None = None, org: str = "Google",
               score: float = 30.0, **fields: object) -> Paper:
    """Build a paper with sensible defaults; ``arxiv_id`` defaults to one derived from rank."""
    values: dict[str, object] = {
        "rank": rank, "title_en": f"Paper {rank}", "org": org, "score": score,
        "arxiv_id": arxiv_id or f"2602.{10000 + rank}",
        "url": f"https://arxiv.org/abs/{arxiv_id or f'2602.{10000 + rank}'}",
    }
    values.update(fields)
    return Paper.model_validate(values)


def make_digest(date: dt.date, papers: list[Paper]) -> Digest:
    """Build a digest of ``papers`` for ``date``."""
    return Digest(date=date, title=f"每日论文汇总 - {date.isoformat()}", papers=papers)
