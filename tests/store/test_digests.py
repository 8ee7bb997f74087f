"""Stored digests: saved, replaced on republication, read back in order."""

from __future__ import annotations

import datetime as dt

from bot.store import Store
from tests.store.factories import make_digest, make_paper

NOW = dt.datetime(2026, 2, 20, 8, 0, tzinfo=dt.UTC)


async def test_latest_returns_newest_date(store: Store) -> None:
    await store.digests.save(make_digest(dt.date(2026, 2, 21), [make_paper(1)]), source="b",
                             now=NOW)
    await store.digests.save(make_digest(dt.date(2026, 2, 20), [make_paper(1)]), source="a",
                             now=NOW)
    latest = await store.digests.latest()
    assert latest is not None
    assert latest.date == dt.date(2026, 2, 21)


async def test_latest_is_none_when_empty(store: Store) -> None:
    assert await store.digests.latest() is None


async def test_save_replaces_papers_of_same_date(store: Store) -> None:
    date = dt.date(2026, 2, 4)
    first = make_digest(date, [make_paper(1, arxiv_id="2601.19103"), make_paper(2)])
    final = make_digest(date, [make_paper(1, arxiv_id="2602.03183", score=54.8),
                               make_paper(2, score=53.0)])
    await store.digests.save(first, source="first", now=NOW)
    await store.digests.save(final, source="final", now=NOW)
    stored = await store.digests.get(date)
    assert stored is not None
    assert [p.key for p in stored.papers] == ["2602.03183", "2602.10002"]
    assert [p.score for p in stored.papers] == [54.8, 53.0]


async def test_papers_round_trip_every_field(store: Store) -> None:
    paper = make_paper(3, title_zh="统一潜变量 (UL)：指南", tags=["Super Lab", "Must Read"],
                       summary="p<0.0001 & $5", highlights=["a", "b"], featured=True,
                       upvotes=261, stars=49)
    await store.digests.save(make_digest(dt.date(2026, 3, 9), [paper]), source="x", now=NOW)
    found = await store.digests.papers(dt.date(2026, 3, 9), [paper.key, "missing"])
    assert found == {paper.key: paper}
