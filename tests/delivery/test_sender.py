"""The sender: each card sent once or failed with its reason, fairly, in every delivery mode."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import pytest

from bot.clock import as_utc, utcnow
from bot.delivery.ratelimit import Limits, RateLimiter
from bot.delivery.sender import MISSING_PAPER, Sender
from bot.errors import (
    ChatMoved,
    DeliveryError,
    MessageRejected,
    RateLimited,
    RecipientGone,
    TemporaryFailure,
)
from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.base import Messenger, PartlySent, SendOutcomeUnknown, Target
from bot.store import ChatRef, Delivery, DueCard, Store
from bot.store.outbox import FAILED, PENDING, SENT
from tests.store.factories import make_digest, make_paper

DAY = dt.date(2026, 2, 20)
PAPERS = [make_paper(rank) for rank in range(1, 4)]
KEYS = [paper.key for paper in PAPERS]

FAST = Limits(per_second=10_000, per_chat_per_second=10_000)


@dataclass(frozen=True)
class Sent:
    """One message the fake messenger accepted."""

    chat_id: str
    thread_id: str | None
    kind: str
    keys: tuple[str, ...]
    message_id: str
    time: float
    part: int = 1
    parts: int = 1


class FakeMessenger:
    """A ``Messenger`` that records each message and raises the errors a test queued.

    ``fail(chat_id, error)`` makes the next send to that chat raise ``error`` instead of
    sending; queue several to fail several tries. ``digest_size`` is how many papers
    ``split_digest`` puts in one message.
    """

    platform = "telegram"

    def __init__(self, limits: Limits = FAST, *, digest_size: int = 100) -> None:
        self.limiter = RateLimiter(limits)
        self.sent: list[Sent] = []
        self.tries: list[tuple[str, str, tuple[str, ...]]] = []
        self.digest_size = digest_size
        self._errors: dict[str, list[DeliveryError]] = defaultdict(list)
        self._next_id = 100
        self._sent_event = asyncio.Event()

    def fail(self, chat_id: str, *errors: DeliveryError) -> None:
        """Raise ``errors``, one per try, on the next sends to ``chat_id``."""
        self._errors[chat_id].extend(errors)

    async def wait_for_sent(self, count: int) -> None:
        """Wait until ``count`` messages were sent; raise TimeoutError after 10 seconds."""
        async with asyncio.timeout(10):
            while len(self.sent) < count:
                await self._sent_event.wait()
                self._sent_event.clear()

    def keys_to(self, chat_id: str) -> list[str]:
        """Return the paper keys sent to ``chat_id``, in order."""
        return [key for sent in self.sent if sent.chat_id == chat_id for key in sent.keys]

    async def send_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        return await self._send(target, "card", [paper])

    async def send_plain_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        return await self._send(target, "plain", [paper])

    async def send_text(self, target: Target, text: str) -> str:
        return await self._send(target, "text", [])

    def split_digest(self, papers: Sequence[Paper], *, t: Translator,
                     date: dt.date) -> list[list[Paper]]:
        size = self.digest_size
        return [list(papers[start:start + size]) for start in range(0, len(papers), size)]

    async def send_digest(self, target: Target, papers: Sequence[Paper], *, t: Translator,
                          date: dt.date, part: int = 1, parts: int = 1) -> str:
        return await self._send(target, "digest", papers, part=part, parts=parts)

    async def _send(self, target: Target, kind: str, papers: Sequence[Paper], *,
                    part: int = 1, parts: int = 1) -> str:
        chat_id = target.chat.chat_id
        keys = tuple(paper.key for paper in papers)
        await self.limiter.acquire(chat_id)
        try:
            self.tries.append((chat_id, kind, keys))
            errors = self._errors.get(chat_id)
            if errors:
                raise errors.pop(0)
            self._next_id += 1
            message_id = str(self._next_id)
            self.sent.append(Sent(chat_id, target.thread_id, kind, keys, message_id,
                                  time.monotonic(), part, parts))
            self._sent_event.set()
            return message_id
        finally:
            self.limiter.settle(chat_id)


class FakeThreadMessenger(FakeMessenger):
    """A fake messenger of a platform with threads, like Slack."""

    platform = "slack"

    async def send_summary(self, target: Target, papers: Sequence[Paper], *, t: Translator,
                           date: dt.date) -> str:
        return await self._send(target, "summary", papers)


async def _queue(store: Store, chat_ids: Sequence[str], papers: Sequence[Paper] = PAPERS, *,
                 mode: str = "cards", platform: str = "telegram",
                 stored: Sequence[Paper] | None = None) -> dict[str, int]:
    """Store a digest of ``stored`` (default ``papers``) and queue ``papers`` for each chat.

    Returns the chats' primary keys by chat id.
    """
    now = utcnow()
    digest = make_digest(DAY, list(papers if stored is None else stored))
    await store.digests.save(digest, source="test", now=now)
    pks: dict[str, int] = {}
    cards: list[DueCard] = []
    for chat_id in chat_ids:
        chat = await store.chats.ensure(ChatRef(platform, chat_id), kind="private", now=now)
        pks[chat_id] = chat.pk
        cards.extend(DueCard(digest_date=DAY, paper_key=paper.key, chat_pk=chat.pk,
                             due_at=now, mode=mode) for paper in papers)
    await store.outbox.enqueue(cards, now=now)
    return pks


def _sender(store: Store, messenger: Messenger, **options: object) -> Sender:
    values: dict[str, object] = {"retry_base_seconds": 0.01, "max_attempts": 3}
    values.update(options)
    return Sender(store=store, messengers={messenger.platform: messenger}, clock=utcnow,
                  default_language="en", **values)  # type: ignore[arg-type]


async def _rows(store: Store, chat_pk: int) -> list[Delivery]:
    return await store.outbox.for_chat(chat_pk, DAY)


async def test_drain_sends_each_card_once(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1", "2"])
    sent = await _sender(store, messenger).drain()
    again = await _sender(store, messenger).drain()
    rows = await _rows(store, pks["1"])
    assert sent == 6
    assert again == 0
    assert messenger.keys_to("1") == KEYS
    assert messenger.keys_to("2") == KEYS
    assert [row.state for row in rows] == [SENT] * 3
    assert [row.message_id for row in rows] == [
        sent.message_id for sent in messenger.sent if sent.chat_id == "1"]


async def test_rate_limited_card_resent_after_retry_after(store: Store) -> None:
    messenger = FakeMessenger()
    await _queue(store, ["1", "2"], PAPERS[:1])
    messenger.fail("1", RateLimited("Too Many Requests: retry after 0.2", retry_after=0.2))
    await _sender(store, messenger).drain()
    to_one = [sent for sent in messenger.sent if sent.chat_id == "1"]
    assert [sent.chat_id for sent in messenger.sent] == ["2", "1"]
    assert len(to_one) == 1
    assert len([try_ for try_ in messenger.tries if try_[0] == "1"]) == 2


async def test_retry_waits_at_least_retry_after(store: Store) -> None:
    messenger = FakeMessenger()
    await _queue(store, ["1"], PAPERS[:1])
    messenger.fail("1", RateLimited("Too Many Requests: retry after 0.3", retry_after=0.3))
    started = time.monotonic()
    await _sender(store, messenger).drain()
    [sent] = messenger.sent
    assert sent.time - started >= 0.3


async def test_temporary_failure_retried_then_sent(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1"], PAPERS[:1])
    messenger.fail("1", TemporaryFailure("Bad Gateway"), TemporaryFailure("Bad Gateway"))
    await _sender(store, messenger).drain()
    [row] = await _rows(store, pks["1"])
    assert messenger.keys_to("1") == KEYS[:1]
    assert len(messenger.tries) == 3
    assert row.state == SENT


async def test_temporary_failures_exhaust_attempts(store: Store,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1"], PAPERS[:1])
    messenger.fail("1", *[TemporaryFailure("Bad Gateway")] * 3)
    await _sender(store, messenger, max_attempts=3).drain()
    [row] = await _rows(store, pks["1"])
    dropped = [record for record in caplog.records if record.levelno == logging.CRITICAL]
    assert messenger.sent == []
    assert row.state == FAILED
    assert row.last_error == "gave up after 3 tries: Bad Gateway"
    assert len(dropped) == 1
    assert "arxiv_id=2602.10001" in dropped[0].getMessage()


async def test_blocked_chat_paused_with_one_log_line(store: Store,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1", "2"])
    messenger.fail("1", RecipientGone("Forbidden: bot was blocked by the user"))
    await _sender(store, messenger).drain()
    [chat] = (await store.chats.by_pk([pks["1"]])).values()
    rows = await _rows(store, pks["1"])
    paused = [record for record in caplog.records if "chat paused" in record.getMessage()]
    assert messenger.keys_to("2") == KEYS
    assert messenger.keys_to("1") == []
    assert chat.active is False
    assert chat.inactive_reason == "Forbidden: bot was blocked by the user"
    assert [row.state for row in rows] == [PENDING] * 3
    assert len(paused) == 1


async def test_resumed_chat_gets_waiting_cards(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1"])
    messenger.fail("1", RecipientGone("Forbidden: bot was blocked by the user"))
    await _sender(store, messenger).drain()
    await store.chats.set_active(pks["1"], active=True)
    await _sender(store, messenger).drain()
    assert messenger.keys_to("1") == KEYS


async def test_moved_chat_gets_cards_at_new_id(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["-4001"])
    messenger.fail("-4001", ChatMoved("Bad Request: group chat was upgraded to a supergroup "
                                      "chat", new_chat_id="-1004001"))
    await _sender(store, messenger).drain()
    [chat] = (await store.chats.by_pk([pks["-4001"]])).values()
    assert messenger.keys_to("-1004001") == KEYS
    assert messenger.keys_to("-4001") == []
    assert chat.ref == ChatRef("telegram", "-1004001")


async def test_rejected_card_resent_as_plain_text(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1"], PAPERS[:1])
    messenger.fail("1", MessageRejected("Bad Request: can't parse entities"))
    await _sender(store, messenger).drain()
    [row] = await _rows(store, pks["1"])
    assert [(sent.kind, sent.keys) for sent in messenger.sent] == [("plain", (KEYS[0],))]
    assert row.state == SENT


async def test_unknown_outcome_not_resent(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1"], PAPERS[:1])
    messenger.fail("1", SendOutcomeUnknown("timed out (ReadTimeout after the request was "
                                           "sent; it may have arrived)"))
    await _sender(store, messenger).drain()
    [row] = await _rows(store, pks["1"])
    assert len(messenger.tries) == 1
    assert row.state == FAILED
    assert "it may have arrived" in (row.last_error or "")


async def test_partly_sent_card_recorded_failed(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1"], PAPERS[:1])
    messenger.fail("1", PartlySent("1 part(s) arrived, then: Bad Gateway", message_ids=["9"]))
    await _sender(store, messenger).drain()
    [row] = await _rows(store, pks["1"])
    assert len(messenger.tries) == 1
    assert row.state == FAILED
    assert row.last_error == "1 part(s) arrived, then: Bad Gateway"


async def test_missing_paper_recorded_failed(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1"], PAPERS[:2])
    await store.digests.save(make_digest(DAY, PAPERS[:1]), source="test", now=utcnow())
    await _sender(store, messenger).drain()
    rows = {row.paper_key: row for row in await _rows(store, pks["1"])}
    assert messenger.keys_to("1") == KEYS[:1]
    assert rows[KEYS[1]].state == FAILED
    assert rows[KEYS[1]].last_error == MISSING_PAPER


async def test_lost_claim_not_sent(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    messenger = FakeMessenger()
    await _queue(store, ["1"], PAPERS[:2])
    start_sends = store.outbox.start_sends

    async def lose_first(delivery_ids: Sequence[int], *, now: dt.datetime,
                         sent: Sequence[tuple[int, str | None]] = ()) -> set[int]:
        kept = [row_id for row_id in delivery_ids if row_id != 1]
        return await start_sends(kept, now=now, sent=sent)

    monkeypatch.setattr(store.outbox, "start_sends", lose_first)
    await _sender(store, messenger).drain()
    assert messenger.keys_to("1") == KEYS[1:2]


async def test_digest_mode_sends_one_message(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1"], list(reversed(PAPERS)), mode="digest")
    sent = await _sender(store, messenger).drain()
    rows = await _rows(store, pks["1"])
    [message] = messenger.sent
    assert sent == 3
    assert message.kind == "digest"
    assert message.keys == tuple(KEYS)
    assert {row.message_id for row in rows} == {message.message_id}
    assert {row.state for row in rows} == {SENT}


async def test_digest_mode_split_numbers_parts(store: Store) -> None:
    messenger = FakeMessenger(digest_size=2)
    await _queue(store, ["1"], mode="digest")
    await _sender(store, messenger).drain()
    assert [(sent.keys, sent.part, sent.parts) for sent in messenger.sent] == [
        (tuple(KEYS[:2]), 1, 2), (tuple(KEYS[2:]), 2, 2)]


async def test_digest_mode_claims_rows_beyond_batch(store: Store) -> None:
    messenger = FakeMessenger()
    await _queue(store, ["1", "2"], mode="digest")
    await _sender(store, messenger, batch_size=2).drain()
    assert [(sent.chat_id, sent.keys) for sent in messenger.sent] == [
        ("1", tuple(KEYS)), ("2", tuple(KEYS))]


async def test_thread_mode_posts_summary_then_cards(store: Store) -> None:
    messenger = FakeThreadMessenger()
    pks = await _queue(store, ["C1"], mode="thread", platform="slack")
    await _sender(store, messenger).drain()
    summary, *cards = messenger.sent
    rows = await _rows(store, pks["C1"])
    assert summary.kind == "summary"
    assert summary.thread_id is None
    assert [card.keys[0] for card in cards] == KEYS
    assert {card.thread_id for card in cards} == {summary.message_id}
    assert {row.thread_id for row in rows} == {summary.message_id}
    assert {row.state for row in rows} == {SENT}


async def test_thread_mode_without_threads_sends_cards(store: Store) -> None:
    messenger = FakeMessenger()
    await _queue(store, ["1"], mode="thread")
    await _sender(store, messenger).drain()
    assert [(sent.kind, sent.thread_id) for sent in messenger.sent] == [("card", None)] * 3


async def test_big_chat_does_not_starve_others(store: Store) -> None:
    papers = [make_paper(rank) for rank in range(1, 11)]
    messenger = FakeMessenger(Limits(per_second=1000, per_chat_per_second=20))
    await _queue(store, ["big"], papers)
    await _queue(store, ["small"], papers[:1], stored=papers)
    await _sender(store, messenger).drain()
    order = [sent.chat_id for sent in messenger.sent]
    assert order.index("small") <= 1
    assert order.count("big") == 10


async def test_cancelled_drain_records_sent_and_returns_the_rest(store: Store) -> None:
    papers = [make_paper(rank) for rank in range(1, 6)]
    messenger = FakeMessenger(Limits(per_second=1000, per_chat_per_second=10))
    pks = await _queue(store, ["1"], papers)
    drain = asyncio.create_task(_sender(store, messenger).drain())
    await messenger.wait_for_sent(2)
    drain.cancel()
    with pytest.raises(asyncio.CancelledError):
        await drain
    states = [row.state for row in await _rows(store, pks["1"])]
    assert states.count(SENT) == len(messenger.sent)
    assert states.count(PENDING) == 5 - len(messenger.sent)
    await _sender(store, messenger).drain()
    assert messenger.keys_to("1") == [paper.key for paper in papers]


async def test_long_retry_after_puts_chat_back_in_queue(store: Store) -> None:
    messenger = FakeMessenger()
    pks = await _queue(store, ["1", "2"], PAPERS[:2])
    messenger.fail("1", RateLimited("Too Many Requests: retry after 120", retry_after=120))
    started = utcnow()
    await _sender(store, messenger).drain()
    rows = await _rows(store, pks["1"])
    assert messenger.keys_to("2") == KEYS[:2]
    assert messenger.keys_to("1") == []
    assert [row.state for row in rows] == [PENDING, PENDING]
    assert all(as_utc(row.due_at) >= started + dt.timedelta(seconds=119) for row in rows)
