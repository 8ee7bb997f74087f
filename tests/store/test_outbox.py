"""The delivery ledger: each card once, claimed by one sender, never silently lost."""

from __future__ import annotations

import asyncio
import datetime as dt

from bot.store import ChatRef, DueCard, Store
from bot.store.outbox import FAILED, PENDING, SENDING, SENT

NOW = dt.datetime(2026, 2, 20, 8, 0, tzinfo=dt.UTC)
DAY = dt.date(2026, 2, 20)


async def _chat(store: Store, chat_id: str = "1", platform: str = "telegram") -> int:
    chat = await store.chats.ensure(ChatRef(platform, chat_id), kind="private", now=NOW)
    return chat.pk


def _card(chat_pk: int, key: str, *, due: dt.datetime = NOW) -> DueCard:
    return DueCard(digest_date=DAY, paper_key=key, chat_pk=chat_pk, due_at=due)


async def test_enqueue_ignores_cards_already_in_ledger(store: Store) -> None:
    chat = await _chat(store)
    first = await store.outbox.enqueue([_card(chat, "a"), _card(chat, "b")], now=NOW)
    again = await store.outbox.enqueue([_card(chat, "b"), _card(chat, "c")], now=NOW)
    assert first == 2
    assert again == 1
    assert await store.outbox.count_by_state() == {PENDING: 3}


async def test_enqueue_keeps_sent_card_sent(store: Store) -> None:
    chat = await _chat(store)
    await store.outbox.enqueue([_card(chat, "a")], now=NOW)
    [claimed] = await store.outbox.claim(platforms=["telegram"], now=NOW)
    await store.outbox.mark_sent(claimed.id, message_id="77", now=NOW)
    added = await store.outbox.enqueue([_card(chat, "a")], now=NOW)
    rows = await store.outbox.for_chat(chat, DAY)
    assert added == 0
    assert [(row.state, row.message_id) for row in rows] == [(SENT, "77")]


async def test_claim_takes_only_due_rows_of_listed_platforms(store: Store) -> None:
    telegram = await _chat(store, "1", "telegram")
    console = await _chat(store, "local", "console")
    later = NOW + dt.timedelta(minutes=5)
    await store.outbox.enqueue([_card(telegram, "a"), _card(telegram, "b", due=later),
                                _card(console, "a")], now=NOW)
    claimed = await store.outbox.claim(platforms=["telegram"], now=NOW)
    assert [(row.chat_pk, row.paper_key, row.state) for row in claimed] == [
        (telegram, "a", SENDING)]
    assert claimed[0].attempts == 1


async def test_claim_skips_inactive_chats(store: Store) -> None:
    chat = await _chat(store)
    await store.outbox.enqueue([_card(chat, "a")], now=NOW)
    await store.chats.set_active(chat, active=False, reason="blocked")
    assert await store.outbox.claim(platforms=["telegram"], now=NOW) == []
    await store.chats.set_active(chat, active=True)
    assert len(await store.outbox.claim(platforms=["telegram"], now=NOW)) == 1


async def test_concurrent_claims_never_share_a_row(store: Store) -> None:
    chats = [await _chat(store, str(number)) for number in range(20)]
    await store.outbox.enqueue([_card(chat, key) for chat in chats for key in "abc"], now=NOW)

    async def claim_until_empty() -> list[int]:
        taken: list[int] = []
        while batch := await store.outbox.claim(platforms=["telegram"], now=NOW, limit=7):
            taken.extend(row.id for row in batch)
        return taken

    workers = await asyncio.gather(*(claim_until_empty() for _ in range(6)))
    ids = [row_id for worker in workers for row_id in worker]
    assert len(ids) == len(set(ids))
    assert len(ids) == 60


async def test_recover_fails_in_flight_rows_of_dead_instance(store: Store) -> None:
    chat = await _chat(store)
    await store.outbox.enqueue([_card(chat, "a"), _card(chat, "b")], now=NOW)
    [claimed] = await store.outbox.claim(platforms=["telegram"], now=NOW, limit=1)
    await store.outbox.start_send(claimed.id, now=NOW)
    recovered = await store.outbox.recover(alive=["another-instance"], now=NOW)
    states = {row.paper_key: row.state for row in await store.outbox.for_chat(chat, DAY)}
    assert [row.paper_key for row in recovered.failed] == ["a"]
    assert states == {"a": FAILED, "b": PENDING}
    assert "not sent again" in (recovered.failed[0].last_error or "")


async def test_release_returns_rows_to_pending_at_given_time(store: Store) -> None:
    chat = await _chat(store)
    await store.outbox.enqueue([_card(chat, "a")], now=NOW)
    [claimed] = await store.outbox.claim(platforms=["telegram"], now=NOW)
    later = NOW + dt.timedelta(seconds=30)
    await store.outbox.release([claimed.id], due_at=later)
    assert await store.outbox.claim(platforms=["telegram"], now=NOW) == []
    [again] = await store.outbox.claim(platforms=["telegram"], now=later)
    assert again.attempts == 1
