"""Recovery of delivery claims: dead instances' cards return or fail, live ones keep theirs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot.clock import as_utc
from bot.cluster import SingleInstance, recover_claims
from bot.store import ChatRef, DueCard, Store
from bot.store.outbox import FAILED, IN_FLIGHT, PENDING, SENDING, Outbox
from bot.store.schema import DeliveryRow

NOW = dt.datetime(2026, 2, 20, 8, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 2, 20)


async def _queue(store: Store, keys: str) -> int:
    chat = await store.chats.ensure(ChatRef("telegram", "1"), kind="private", now=NOW)
    await store.outbox.enqueue([DueCard(digest_date=DAY, paper_key=key, chat_pk=chat.pk,
                                        due_at=NOW) for key in keys], now=NOW)
    return chat.pk


async def _states(store: Store, chat_pk: int) -> dict[str, str]:
    return {row.paper_key: row.state for row in await store.outbox.for_chat(chat_pk, DAY)}


async def test_claim_records_instance_id(store: Store) -> None:
    chat = await _queue(store, "a")
    dead = Outbox(store.db, instance_id="dead-1")
    await dead.claim(platforms=["telegram"], now=NOW)
    assert await store.outbox.claim_owners() == {"dead-1"}
    assert await _states(store, chat) == {"a": SENDING}


async def test_recover_returns_unattempted_cards_of_dead_instance(store: Store) -> None:
    chat = await _queue(store, "abc")
    dead = Outbox(store.db, instance_id="dead-1")
    first, *_ = await dead.claim(platforms=["telegram"], now=NOW)
    await dead.start_send(first.id, now=NOW)
    recovered = await store.outbox.recover(alive=[store.outbox.instance_id], now=NOW)
    rows = {row.paper_key: row for row in await store.outbox.for_chat(chat, DAY)}
    assert sorted(d.paper_key for d in recovered.released) == ["b", "c"]
    assert [d.paper_key for d in recovered.failed] == ["a"]
    assert rows["a"].state == FAILED
    assert rows["b"].state == PENDING
    assert rows["b"].attempts == 0
    assert rows["c"].state == PENDING


async def test_recover_leaves_live_instance_alone(store: Store) -> None:
    chat = await _queue(store, "ab")
    live = Outbox(store.db, instance_id="live-1")
    first, _ = await live.claim(platforms=["telegram"], now=NOW)
    await live.start_send(first.id, now=NOW)
    recovered = await store.outbox.recover(alive=["live-1"], now=NOW + dt.timedelta(minutes=1))
    assert recovered.released == []
    assert recovered.failed == []
    assert await _states(store, chat) == {"a": IN_FLIGHT, "b": SENDING}


async def test_recover_takes_back_claims_older_than_lease(store: Store) -> None:
    chat = await _queue(store, "ab")
    stuck = Outbox(store.db, instance_id="stuck-1")
    first, _ = await stuck.claim(platforms=["telegram"], now=NOW)
    await stuck.start_send(first.id, now=NOW)
    later = NOW + dt.timedelta(minutes=16)
    recovered = await store.outbox.recover(alive=["stuck-1"], now=later,
                                           lease=dt.timedelta(minutes=15))
    assert [d.paper_key for d in recovered.released] == ["b"]
    assert [d.paper_key for d in recovered.failed] == ["a"]
    assert await _states(store, chat) == {"a": FAILED, "b": PENDING}


async def test_lost_claim_cannot_be_sent_by_old_owner(store: Store) -> None:
    await _queue(store, "a")
    slow = Outbox(store.db, instance_id="slow-1")
    [claimed] = await slow.claim(platforms=["telegram"], now=NOW)
    await store.outbox.recover(alive=[store.outbox.instance_id], now=NOW)
    [reclaimed] = await store.outbox.claim(platforms=["telegram"], now=NOW)
    assert reclaimed.id == claimed.id
    assert await slow.start_send(claimed.id, now=NOW) is False
    assert await store.outbox.start_send(reclaimed.id, now=NOW) is True


async def test_release_ignores_rows_claimed_by_another_instance(store: Store) -> None:
    chat = await _queue(store, "a")
    other = Outbox(store.db, instance_id="other-1")
    [claimed] = await other.claim(platforms=["telegram"], now=NOW)
    await store.outbox.release([claimed.id])
    assert await _states(store, chat) == {"a": SENDING}


async def test_recover_fails_claims_without_owner(store: Store) -> None:
    chat = await _queue(store, "a")
    [claimed] = await store.outbox.claim(platforms=["telegram"], now=NOW)
    # Rows claimed by a version that did not record the owner may have been sent.
    async with store.db.session() as session, session.begin():
        await session.execute(update(DeliveryRow).where(DeliveryRow.id == claimed.id)
                              .values(claimed_by=None))
    recovered = await store.outbox.recover(alive=[store.outbox.instance_id], now=NOW)
    assert [d.paper_key for d in recovered.failed] == ["a"]
    assert recovered.released == []
    assert await _states(store, chat) == {"a": FAILED}


async def test_single_instance_recovers_every_other_owner(store: Store) -> None:
    chat = await _queue(store, "ab")
    earlier = Outbox(store.db, instance_id="earlier-process")
    await earlier.claim(platforms=["telegram"], now=NOW, limit=1)
    await store.outbox.claim(platforms=["telegram"], now=NOW, limit=1)
    cluster = SingleInstance(store.outbox.instance_id)
    recovered = await recover_claims(store.outbox, cluster, now=NOW)
    assert [d.paper_key for d in recovered.released] == ["a"]
    assert await _states(store, chat) == {"a": PENDING, "b": SENDING}


async def test_summary_counts_pending_and_oldest_due(store: Store) -> None:
    chat = await store.chats.ensure(ChatRef("telegram", "1"), kind="private", now=NOW)
    cards = [DueCard(digest_date=DAY, paper_key="a", chat_pk=chat.pk,
                     due_at=NOW - dt.timedelta(minutes=5)),
             DueCard(digest_date=DAY, paper_key="b", chat_pk=chat.pk, due_at=NOW),
             DueCard(digest_date=DAY, paper_key="c", chat_pk=chat.pk,
                     due_at=NOW + dt.timedelta(hours=1))]
    await store.outbox.enqueue(cards, now=NOW)
    summary = await store.outbox.summary(now=NOW)
    assert summary.pending == 3
    assert summary.oldest_due_at is not None
    assert as_utc(summary.oldest_due_at) == NOW - dt.timedelta(minutes=5)
