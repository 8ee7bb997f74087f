"""/time, /tz, /quiet and /mode through the router, and the planner honouring what they set."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.clock import as_utc
from bot.commands import CardsReply, CommandRouter, TextReply
from bot.delivery.planner import Planner
from bot.matcher.orgs import OrgMatcher
from bot.store import Chat, ChatRef, DueCard, Store
from bot.store.outbox import PENDING, SENT
from tests.commands.schedule_setup import BERLIN, CHAT, DAY, NOW, PAPERS, Clock
from tests.store.factories import make_digest


async def _run(router: CommandRouter, line: str, *, kind: str = "private", admin: bool = True,
               ref: ChatRef = CHAT) -> list[TextReply | CardsReply]:
    async def is_admin() -> bool:
        return admin

    context = await router.context(ref, kind=kind, is_admin=is_admin)
    name, _, args = line.removeprefix("/").partition(" ")
    return await router.handle(context, name, args.strip())


async def _text(router: CommandRouter, line: str, **options: object) -> str:
    replies = await _run(router, line, **options)  # type: ignore[arg-type]
    assert len(replies) == 1
    reply = replies[0]
    assert isinstance(reply, TextReply)
    return reply.text


async def _chat(store: Store, ref: ChatRef = CHAT) -> Chat:
    chat = await store.chats.find(ref)
    assert chat is not None
    return chat


def _berlin(day: dt.date, clock: str) -> dt.datetime:
    """Local ``clock`` (HH:MM) of ``day`` in Berlin, in UTC as the service's clock returns it."""
    hour, minute = (int(part) for part in clock.split(":"))
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN).astimezone(dt.UTC)


async def _queue(store: Store, chat: Chat, keys: str, *, queued_at: dt.datetime) -> None:
    cards = [DueCard(digest_date=DAY, paper_key=key, chat_pk=chat.pk, due_at=queued_at)
             for key in keys]
    await store.outbox.enqueue(cards, now=queued_at)


async def _due_times(store: Store, chat: Chat) -> dict[str, tuple[str, dt.datetime]]:
    rows = await store.outbox.for_chat(chat.pk, DAY)
    return {row.paper_key: (row.state, as_utc(row.due_at)) for row in rows}


# -- /time -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["09:00", "9:00", "9：00"],
                         ids=["padded", "one-digit-hour", "full-width-colon"])
async def test_time_sets_push_time(router: CommandRouter, store: Store, value: str) -> None:
    text = await _text(router, f"/time {value}")
    chat = await _chat(store)
    assert chat.push_time == "09:00"
    assert text == "Done: cards for this chat are now sent once a day at 09:00, Europe/Berlin time."


async def test_time_now_clears_push_time(router: CommandRouter, store: Store) -> None:
    await _run(router, "/time 09:00")
    text = await _text(router, "/time now")
    chat = await _chat(store)
    assert chat.push_time is None
    assert text == "Done: cards for this chat are now sent as soon as a digest is stored."


@pytest.mark.parametrize("value", ["25:00", "9", "9am", "09:00-10:00"],
                         ids=["hour-25", "no-minutes", "am", "range"])
async def test_time_invalid_value_is_quoted(router: CommandRouter, store: Store,
                                            value: str) -> None:
    text = await _text(router, f"/time {value}")
    chat = await _chat(store)
    assert text.startswith(f'Invalid push time "{value}": use 24-hour HH:MM.')
    assert "Example: /time 09:00" in text
    assert chat.push_time is None


async def test_time_alone_shows_setting(router: CommandRouter) -> None:
    await _run(router, "/time 07:30")
    lines = (await _text(router, "/time")).splitlines()
    assert lines[0] == "Push time: 07:30 (Europe/Berlin), once a day."
    assert lines[1].startswith("Change it with /time HH:MM")


async def test_time_inside_quiet_hours_says_when_cards_arrive(router: CommandRouter) -> None:
    await _run(router, "/quiet 23:00-07:00")
    text = await _text(router, "/time 06:00")
    assert "06:00 is within the quiet hours, so cards arrive at 07:00." in text


# -- /tz -------------------------------------------------------------------------------


async def test_tz_alone_shows_default_zone(router: CommandRouter) -> None:
    lines = (await _text(router, "/tz")).splitlines()
    assert lines[0] == "Time zone of this chat: Europe/Berlin (local time now 2026-02-20 08:00)."
    assert lines[1] == ("Change it with /tz and an IANA time zone name, for example "
                        "/tz Europe/Berlin.")


@pytest.mark.parametrize(("value", "zone"), [
    ("America/Los_Angeles", "America/Los_Angeles"),
    ("asia/shanghai", "Asia/Shanghai"),
    ("Tokyo", "Asia/Tokyo"),
], ids=["exact", "lower-case", "city"])
async def test_tz_sets_zone(router: CommandRouter, store: Store, value: str, zone: str) -> None:
    text = await _text(router, f"/tz {value}")
    chat = await _chat(store)
    assert chat.timezone == zone
    assert text.splitlines()[0].startswith(f"Done: this chat's time zone is now {zone}, where")


async def test_tz_reply_restates_schedule_in_new_zone(router: CommandRouter) -> None:
    await _run(router, "/time 09:00")
    lines = (await _text(router, "/tz America/Los_Angeles")).splitlines()
    assert lines[0] == ("Done: this chat's time zone is now America/Los_Angeles, where it is "
                        "2026-02-19 23:00.")
    assert lines[1] == "Push time: 09:00 (America/Los_Angeles), once a day."
    assert lines[2] == "Quiet hours: off."


@pytest.mark.parametrize("value", ["Mars/Olympus", "UTC+8", "CET+1"],
                         ids=["unknown", "offset", "offset-abbreviation"])
async def test_tz_unknown_name_is_quoted(router: CommandRouter, store: Store, value: str) -> None:
    text = await _text(router, f"/tz {value}")
    chat = await _chat(store)
    assert text == (f'Unknown time zone "{value}". Use an IANA time zone name, for example '
                    "/tz Asia/Shanghai or /tz Europe/Berlin.")
    assert chat.timezone is None


# -- /quiet ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["23:00-07:00", "23:00 - 07:00", "23:00–7:00", "23:00~07:00"],
                         ids=["plain", "spaces", "en-dash", "tilde"])
async def test_quiet_sets_hours(router: CommandRouter, store: Store, value: str) -> None:
    text = await _text(router, f"/quiet {value}")
    chat = await _chat(store)
    assert (chat.quiet_start, chat.quiet_end) == ("23:00", "07:00")
    assert text == ("Done: cards that fall due between 23:00 and 07:00 (Europe/Berlin time) "
                    "now wait until 07:00.")


async def test_quiet_off_clears_hours(router: CommandRouter, store: Store) -> None:
    await _run(router, "/quiet 23:00-07:00")
    text = await _text(router, "/quiet off")
    chat = await _chat(store)
    assert (chat.quiet_start, chat.quiet_end) == (None, None)
    assert text == "Done: quiet hours are off, so cards are sent at any hour."


@pytest.mark.parametrize(("value", "reason"), [
    ("23:00", "use two 24-hour times as HH:MM-HH:MM"),
    ("23:00-24:00", "use two 24-hour times as HH:MM-HH:MM"),
    ("late", "use two 24-hour times as HH:MM-HH:MM"),
    ("07:00-07:00", "they start and end at the same time"),
], ids=["one-time", "hour-24", "word", "same-start-and-end"])
async def test_quiet_invalid_value_is_quoted(router: CommandRouter, store: Store, value: str,
                                             reason: str) -> None:
    text = await _text(router, f"/quiet {value}")
    chat = await _chat(store)
    assert text.startswith(f'Invalid quiet hours "{value}": {reason}.')
    assert "Example: /quiet 23:00-07:00" in text
    assert chat.quiet_start is None


async def test_quiet_alone_shows_setting(router: CommandRouter) -> None:
    await _run(router, "/quiet 22:30-06:45")
    lines = (await _text(router, "/quiet")).splitlines()
    assert lines[0] == "Quiet hours: 22:30 to 06:45 (Europe/Berlin)."
    assert lines[1].startswith("Set them with /quiet HH:MM-HH:MM")


# -- permissions -----------------------------------------------------------------------


@pytest.mark.parametrize("line", ["/time 09:00", "/tz Asia/Tokyo", "/quiet 23:00-07:00",
                                  "/mode digest"],
                         ids=["time", "tz", "quiet", "mode"])
async def test_group_non_admin_cannot_change_schedule(router: CommandRouter, store: Store,
                                                      line: str) -> None:
    group = ChatRef("telegram", "-100200")
    await _run(router, "/subscribe Google", kind="supergroup", ref=group)
    text = await _text(router, line, kind="supergroup", admin=False, ref=group)
    chat = await _chat(store, group)
    [subscription] = await store.chats.subscriptions(chat.pk)
    assert "only administrators" in text
    assert (chat.push_time, chat.timezone, chat.quiet_start) == (None, None, None)
    assert subscription.mode == "cards"


@pytest.mark.parametrize("line", ["/time", "/tz", "/quiet", "/mode"],
                         ids=["time", "tz", "quiet", "mode"])
async def test_group_non_admin_may_view_schedule(router: CommandRouter, line: str) -> None:
    text = await _text(router, line, kind="group", admin=False, ref=ChatRef("telegram", "-5"))
    assert "only administrators" not in text


# -- re-timing waiting cards -----------------------------------------------------------


async def test_time_change_retimes_waiting_cards(router: CommandRouter, store: Store) -> None:
    await _run(router, "/tz Europe/Berlin")
    chat = await _chat(store)
    await _queue(store, chat, "ab", queued_at=NOW)
    [claimed] = await store.outbox.claim(platforms=["telegram"], now=NOW, limit=1)
    await store.outbox.mark_sent(claimed.id, message_id="1", now=NOW)
    text = await _text(router, "/time 09:00")
    due = await _due_times(store, chat)
    assert due[claimed.paper_key] == (SENT, NOW)
    [waiting] = [key for key in "ab" if key != claimed.paper_key]
    assert due[waiting] == (PENDING, _berlin(DAY, "09:00"))
    assert "1 waiting card was rescheduled to 2026-02-20 09:00." in text


async def test_time_now_makes_waiting_cards_due(router: CommandRouter, store: Store,
                                                clock: Clock) -> None:
    await _run(router, "/time 09:00")
    chat = await _chat(store)
    await _queue(store, chat, "ab", queued_at=NOW + dt.timedelta(hours=3))
    clock.now = NOW + dt.timedelta(hours=4)
    text = await _text(router, "/time now")
    due = await _due_times(store, chat)
    assert due == {"a": (PENDING, clock.now), "b": (PENDING, clock.now)}
    assert "2 waiting cards are due now and will be sent shortly." in text


async def test_later_time_keeps_same_day(router: CommandRouter, store: Store) -> None:
    """Queued at 08:00 for 09:00; moved to 10:00, it is due at 10:00 the same day."""
    await _run(router, "/time 09:00")
    chat = await _chat(store)
    await _queue(store, chat, "a", queued_at=NOW)
    await _run(router, "/time 10:00")
    assert (await _due_times(store, chat))["a"] == (PENDING, _berlin(DAY, "10:00"))


async def test_tz_change_retimes_waiting_cards(router: CommandRouter, store: Store) -> None:
    await _run(router, "/time 09:00")
    chat = await _chat(store)
    await _queue(store, chat, "a", queued_at=NOW)
    text = await _text(router, "/tz America/Los_Angeles")
    expected = dt.datetime(2026, 2, 20, 9, 0, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert (await _due_times(store, chat))["a"] == (PENDING, expected)
    assert "1 waiting card was rescheduled to 2026-02-20 09:00." in text


async def test_quiet_hours_hold_cards_due_now(router: CommandRouter, store: Store,
                                              clock: Clock) -> None:
    clock.now = _berlin(DAY, "23:30")
    await _run(router, "/time")
    chat = await _chat(store)
    await _queue(store, chat, "a", queued_at=clock.now)
    text = await _text(router, "/quiet 23:00-07:00")
    tomorrow = DAY + dt.timedelta(days=1)
    assert (await _due_times(store, chat))["a"] == (PENDING, _berlin(tomorrow, "07:00"))
    assert "1 waiting card was rescheduled to 2026-02-21 07:00." in text


async def test_retime_leaves_other_chats_alone(router: CommandRouter, store: Store) -> None:
    other = await store.chats.ensure(ChatRef("telegram", "7"), kind="private", now=NOW)
    await _queue(store, other, "a", queued_at=NOW)
    await _run(router, "/time 09:00")
    assert (await _due_times(store, other))["a"] == (PENDING, NOW)


# -- the planner uses the schedule -----------------------------------------------------


async def _plan(store: Store, clock: Clock) -> None:
    digest = make_digest(DAY, PAPERS)
    await store.digests.save(digest, source="s", now=clock.now)
    planner = Planner(store=store, orgs=OrgMatcher(), clock=clock, default_timezone="Asia/Tokyo")
    await planner.plan(digest)


async def test_planner_uses_chat_push_time(router: CommandRouter, store: Store,
                                           clock: Clock) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/tz Europe/Berlin")
    await _run(router, "/time 09:00")
    await _plan(store, clock)
    chat = await _chat(store)
    due = await _due_times(store, chat)
    assert set(due.values()) == {(PENDING, _berlin(DAY, "09:00"))}
    assert len(due) == 2


async def test_planner_push_time_passed_waits_a_day(router: CommandRouter, store: Store,
                                                    clock: Clock) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/tz Europe/Berlin")
    await _run(router, "/time 09:00")
    clock.now = _berlin(DAY, "10:00")
    await _plan(store, clock)
    due = await _due_times(store, await _chat(store))
    assert set(due.values()) == {(PENDING, _berlin(DAY + dt.timedelta(days=1), "09:00"))}


async def test_planner_default_zone_for_chat_without_tz(store: Store, clock: Clock) -> None:
    """A chat that never used /tz gets the planner's default zone, here Asia/Tokyo."""
    chat = await store.chats.ensure(ChatRef("telegram", "9"), kind="private", now=NOW)
    await store.chats.add_subscription(chat.pk, "Google", thread_id=None, now=NOW)
    await store.chats.set_push_time(chat.pk, "09:00")
    await _plan(store, clock)
    due = await _due_times(store, chat)
    # 07:00 UTC is 16:00 in Tokyo, so 09:00 Tokyo tomorrow, which is 00:00 UTC.
    expected = dt.datetime(2026, 2, 21, 0, 0, tzinfo=dt.UTC)
    assert set(due.values()) == {(PENDING, expected)}


async def test_planner_writes_subscription_mode(router: CommandRouter, store: Store,
                                                clock: Clock) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/mode digest")
    await _plan(store, clock)
    rows = await store.outbox.for_chat((await _chat(store)).pk, DAY)
    assert [row.mode for row in rows] == ["digest", "digest"]


async def test_planner_first_subscription_decides_mode(router: CommandRouter, store: Store,
                                                       clock: Clock) -> None:
    """Paper 3 (Google DeepMind) matches both rules and goes once, in the mode of subscription 1."""
    await _run(router, "/subscribe org:DeepMind")
    await _run(router, "/subscribe Google")
    await _run(router, "/mode 1 digest")
    await _plan(store, clock)
    rows = await store.outbox.for_chat((await _chat(store)).pk, DAY)
    modes = {row.paper_key: row.mode for row in rows}
    assert modes == {PAPERS[0].key: "cards", PAPERS[2].key: "digest"}


# -- /mode -----------------------------------------------------------------------------


async def test_mode_sets_every_subscription(router: CommandRouter, store: Store) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/subscribe Meta")
    text = await _text(router, "/mode digest")
    chat = await _chat(store)
    modes = [subscription.mode for subscription in await store.chats.subscriptions(chat.pk)]
    assert modes == ["digest", "digest"]
    assert text == ("Done: all 2 subscriptions of this chat now deliver as digest (one message "
                    "listing the matching papers of each digest).")


async def test_mode_switches_waiting_cards(router: CommandRouter, store: Store) -> None:
    await _run(router, "/subscribe Google")
    chat = await _chat(store)
    await _queue(store, chat, "ab", queued_at=NOW)
    text = await _text(router, "/mode digest")
    rows = await store.outbox.for_chat(chat.pk, DAY)
    assert [row.mode for row in rows] == ["digest", "digest"]
    assert "2 waiting cards will be delivered this way too." in text


async def test_mode_for_one_subscription(router: CommandRouter, store: Store) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/subscribe Meta")
    text = await _text(router, "/mode 2 digest")
    chat = await _chat(store)
    modes = [subscription.mode for subscription in await store.chats.subscriptions(chat.pk)]
    assert modes == ["cards", "digest"]
    assert text.startswith("Done: subscription 2 (Meta) now delivers as digest (")


async def test_mode_shows_mixed_modes(router: CommandRouter) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/subscribe Meta")
    await _run(router, "/mode 2 digest")
    lines = (await _text(router, "/mode")).splitlines()
    assert lines[:3] == ["Delivery modes of this chat's subscriptions:", "1. Google: cards",
                         "2. Meta: digest"]


async def test_mode_shows_shared_mode(router: CommandRouter) -> None:
    await _run(router, "/subscribe Google")
    lines = (await _text(router, "/mode")).splitlines()
    assert lines[0] == "Delivery mode: cards (one message per paper)."


async def test_thread_mode_refused_on_telegram(router: CommandRouter, store: Store) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/mode digest")
    text = await _text(router, "/mode thread")
    chat = await _chat(store)
    [subscription] = await store.chats.subscriptions(chat.pk)
    assert text == ("Thread mode is only available on Slack. This chat keeps its current mode: "
                    "digest (one message listing the matching papers of each digest).")
    assert subscription.mode == "digest"


async def test_thread_mode_accepted_on_slack(router: CommandRouter, store: Store) -> None:
    channel = ChatRef("slack", "C0123")
    await _run(router, "/subscribe Google", ref=channel)
    text = await _text(router, "/mode thread", ref=channel)
    [subscription] = await store.chats.subscriptions((await _chat(store, channel)).pk)
    assert subscription.mode == "thread"
    assert text.startswith("Done: this chat's subscription now delivers as thread (")


@pytest.mark.parametrize(("line", "expected"), [
    ("/mode fancy", 'Unknown delivery mode "fancy".'),
    ("/mode digest 2", 'Unknown delivery mode "digest 2".'),
    ("/mode 5 digest", "There is no subscription 5: this chat has subscriptions 1 to 1."),
    ("/mode 0 digest", "There is no subscription 0: this chat has subscriptions 1 to 1."),
], ids=["unknown-mode", "number-last", "number-too-high", "number-zero"])
async def test_mode_invalid_argument(router: CommandRouter, store: Store, line: str,
                                     expected: str) -> None:
    await _run(router, "/subscribe Google")
    text = await _text(router, line)
    [subscription] = await store.chats.subscriptions((await _chat(store)).pk)
    assert text.startswith(expected)
    assert subscription.mode == "cards"


async def test_mode_without_subscriptions(router: CommandRouter) -> None:
    text = await _text(router, "/mode digest")
    assert text.startswith("This chat has no subscriptions, so there is no mode to set.")
    assert "/mode digest" in text


async def test_new_subscription_takes_chat_mode(router: CommandRouter, store: Store) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/mode digest")
    await _run(router, "/subscribe Meta")
    chat = await _chat(store)
    modes = [subscription.mode for subscription in await store.chats.subscriptions(chat.pk)]
    assert modes == ["digest", "digest"]


async def test_new_subscription_after_mixed_modes_gets_cards(router: CommandRouter,
                                                             store: Store) -> None:
    await _run(router, "/subscribe Google")
    await _run(router, "/subscribe Meta")
    await _run(router, "/mode 1 digest")
    await _run(router, "/subscribe kw:diffusion")
    chat = await _chat(store)
    modes = [subscription.mode for subscription in await store.chats.subscriptions(chat.pk)]
    assert modes == ["digest", "cards", "cards"]


# -- help ------------------------------------------------------------------------------


async def test_help_lists_schedule_commands(router: CommandRouter) -> None:
    text = await _text(router, "/help")
    for command in ("/time HH:MM", "/tz ZONE", "/quiet HH:MM-HH:MM", "/mode cards|digest|thread",
                    "/status"):
        assert command in text
