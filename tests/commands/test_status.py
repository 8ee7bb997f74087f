"""/status: the latest digest, what this chat got from it, what waits and why."""

from __future__ import annotations

import datetime as dt

from bot.commands import CommandRouter, TextReply
from bot.delivery.planner import Planner
from bot.matcher.orgs import OrgMatcher
from bot.store import Chat, Store
from tests.commands.schedule_setup import BERLIN, CHAT, DAY, PAPERS, Clock
from tests.store.factories import make_digest


async def _text(router: CommandRouter, line: str) -> str:
    async def is_admin() -> bool:
        return True

    context = await router.context(CHAT, kind="private", is_admin=is_admin)
    name, _, args = line.removeprefix("/").partition(" ")
    [reply] = await router.handle(context, name, args.strip())
    assert isinstance(reply, TextReply)
    return reply.text


async def _chat(store: Store) -> Chat:
    chat = await store.chats.find(CHAT)
    assert chat is not None
    return chat


async def _store_digest(store: Store, clock: Clock) -> None:
    """Store the digest at the clock's time and plan it, as a digest scan does."""
    digest = make_digest(DAY, PAPERS)
    await store.digests.save(digest, source="s", now=clock.now)
    await Planner(store=store, orgs=OrgMatcher(), clock=clock,
                  default_timezone="Europe/Berlin").plan(digest)


def _berlin(day: dt.date, clock: str) -> dt.datetime:
    """Local ``clock`` (HH:MM) of ``day`` in Berlin, in UTC as the service's clock returns it."""
    hour, minute = (int(part) for part in clock.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(dt.UTC)


async def test_status_without_digest(router: CommandRouter) -> None:
    lines = (await _text(router, "/status")).splitlines()
    assert lines == [
        "No digest is stored yet, so nothing has been sent.",
        "",
        "Time zone: Europe/Berlin.",
        "Push time: as soon as a digest is stored.",
        "Quiet hours: off.",
    ]


async def test_status_without_subscriptions(router: CommandRouter, store: Store,
                                            clock: Clock) -> None:
    await _store_digest(store, clock)
    lines = (await _text(router, "/status")).splitlines()
    assert lines[0] == "Latest digest: 2026-02-20 with 3 papers, stored 2026-02-20 08:00 " \
                       "(Europe/Berlin)."
    assert lines[1] == ("This chat has no subscriptions, so nothing is sent here. "
                        "Try /subscribe Google or /subscribe all.")


async def test_status_when_nothing_matched(router: CommandRouter, store: Store,
                                           clock: Clock) -> None:
    await _text(router, "/subscribe org:OpenAI")
    await _store_digest(store, clock)
    lines = (await _text(router, "/status")).splitlines()
    assert lines[1] == "0 of its papers match this chat's subscriptions."
    assert lines[2] == "Nothing was sent because none of its papers matched."
    assert "Delivery mode: cards (one message per paper)." in lines


async def test_status_when_subscribed_after_digest(router: CommandRouter, store: Store,
                                                   clock: Clock) -> None:
    await _store_digest(store, clock)
    clock.now += dt.timedelta(minutes=5)
    await _text(router, "/subscribe Google")
    lines = (await _text(router, "/status")).splitlines()
    assert lines[1] == "2 of its papers match this chat's subscriptions."
    assert lines[2] == ("Nothing was sent because the matching subscriptions were added after "
                        "this digest arrived. The next digest will be sent.")


async def test_status_when_paused_as_digest_arrived(router: CommandRouter, store: Store,
                                                    clock: Clock) -> None:
    await _text(router, "/subscribe Google")
    chat = await _chat(store)
    await store.chats.set_active(chat.pk, active=False, reason="bot was blocked by the user")
    await _store_digest(store, clock)
    lines = (await _text(router, "/status")).splitlines()
    assert lines[0] == ("Deliveries to this chat were paused (bot was blocked by the user). "
                        "This command resumed them.")
    assert lines[3] == ("Nothing was sent because deliveries to this chat were paused when this "
                        "digest arrived. The next digest will be sent.")


async def test_status_waiting_for_push_time(router: CommandRouter, store: Store,
                                            clock: Clock) -> None:
    await _text(router, "/subscribe Google")
    await _text(router, "/time 09:00")
    await _store_digest(store, clock)
    lines = (await _text(router, "/status")).splitlines()
    assert lines[1:4] == [
        "2 of its papers match this chat's subscriptions.",
        "Waiting: 2 cards, the first due at 2026-02-20 09:00.",
        "Reason: waiting for the push time 09:00.",
    ]
    assert "Push time: 09:00 (Europe/Berlin), once a day." in lines


async def test_status_waiting_for_quiet_hours(router: CommandRouter, store: Store,
                                              clock: Clock) -> None:
    await _text(router, "/subscribe Meta")
    await _text(router, "/quiet 23:00-07:00")
    clock.now = _berlin(DAY, "23:15")
    await _store_digest(store, clock)
    lines = (await _text(router, "/status")).splitlines()
    assert lines[2:4] == ["Waiting: 1 card, due at 2026-02-21 07:00.",
                          "Reason: quiet hours until 07:00."]
    assert "Quiet hours: 23:00 to 07:00 (Europe/Berlin)." in lines


async def test_status_waiting_to_retry(router: CommandRouter, store: Store,
                                       clock: Clock) -> None:
    await _text(router, "/subscribe Meta")
    await _store_digest(store, clock)
    [claimed] = await store.outbox.claim(platforms=["telegram"], now=clock.now)
    await store.outbox.retry_at(claimed.id, due_at=clock.now + dt.timedelta(seconds=30),
                                reason="Bad Gateway")
    lines = (await _text(router, "/status")).splitlines()
    assert lines[2:4] == ["Waiting: 1 card, due at 2026-02-20 08:00.",
                          "Reason: retrying after an error: Bad Gateway"]


async def test_status_waiting_and_due_now(router: CommandRouter, store: Store,
                                          clock: Clock) -> None:
    await _text(router, "/subscribe Google")
    await _store_digest(store, clock)
    lines = (await _text(router, "/status")).splitlines()
    assert lines[2] == "Waiting: 2 cards, due now."


async def test_status_counts_sent_and_failed(router: CommandRouter, store: Store,
                                             clock: Clock) -> None:
    await _text(router, "/subscribe all")
    await _store_digest(store, clock)
    first, second, third = await store.outbox.claim(platforms=["telegram"], now=clock.now)
    clock.now = _berlin(DAY, "08:01")
    await store.outbox.mark_sent(first.id, message_id="10", now=clock.now)
    await store.outbox.mark_sent(second.id, message_id="11", now=clock.now)
    await store.outbox.mark_failed(third.id, reason="message is too long")
    lines = (await _text(router, "/status")).splitlines()
    assert lines[1:4] == [
        "3 of its papers match this chat's subscriptions.",
        "Sent: 2 cards, the last at 2026-02-20 08:01 (Europe/Berlin).",
        "Failed: 1 card. Last error: message is too long",
    ]
    assert not any(line.startswith("Waiting") for line in lines)


async def test_status_counts_cards_being_sent(router: CommandRouter, store: Store,
                                              clock: Clock) -> None:
    await _text(router, "/subscribe Meta")
    await _store_digest(store, clock)
    await store.outbox.claim(platforms=["telegram"], now=clock.now)
    lines = (await _text(router, "/status")).splitlines()
    assert lines[2] == "Being sent now: 1 card."


async def test_status_shows_times_in_chat_zone(router: CommandRouter, store: Store,
                                               clock: Clock) -> None:
    await _text(router, "/tz America/Los_Angeles")
    await _store_digest(store, clock)
    lines = (await _text(router, "/status")).splitlines()
    assert lines[0].endswith("stored 2026-02-19 23:00 (America/Los_Angeles).")


async def test_status_mixed_modes(router: CommandRouter, store: Store, clock: Clock) -> None:
    await _text(router, "/subscribe Google")
    await _text(router, "/subscribe Meta")
    await _text(router, "/mode 2 digest")
    lines = (await _text(router, "/status")).splitlines()
    assert lines[-1] == "Delivery modes differ between subscriptions; see /mode."


async def test_status_in_chinese(router: CommandRouter, store: Store, clock: Clock) -> None:
    await _text(router, "/subscribe Google")
    await _text(router, "/time 09:00")
    await _store_digest(store, clock)
    await _text(router, "/lang zh")
    lines = (await _text(router, "/status")).splitlines()
    assert lines[2] == "等待中：2 张卡片，最早一张于 2026-02-20 09:00 到期。"
    assert lines[3] == "原因：等待推送时间 09:00。"
    assert "时区：Europe/Berlin。" in lines
    assert not any("Latest digest" in line for line in lines)
