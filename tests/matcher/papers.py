"""A builder of hand-made papers for the matcher tests."""

from __future__ import annotations

from bot.parser.models import Paper


def paper(rank: int = 1, *, org: str = "Google", score: float = 40.0, **fields: object) -> Paper:
    """Build a paper whose arXiv id is derived from ``rank``, with defaults for the rest."""
    values: dict[str, object] = {
        "rank": rank,
        "title_en": f"Paper {rank}",
        "arxiv_id": f"2603.{10000 + rank}",
        "org": org,
        "score": score,
    }
    values.update(fields)
    return Paper.model_validate(values)
