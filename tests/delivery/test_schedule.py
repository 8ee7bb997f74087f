"""Due times from push time, time zone and quiet hours, across DST changes."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from zoneinfo import ZoneInfo

import pytest

from bot.delivery.schedule import (
    QuietHours,
    Schedule,
    due_at,
    find_zone,
    format_clock_time,
    local_instant,
    next_push,
    parse_clock_time,
    quiet_until,
    schedule_for,
    waiting_reason,
)
from bot.store import Chat, ChatRef

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026 changes: Europe on the last Sundays of March and October, the US on the second
# Sunday of March and the first of November.
BERLIN_SPRING = dt.date(2026, 3, 29)
BERLIN_FALL = dt.date(2026, 10, 25)
LA_SPRING = dt.date(2026, 3, 8)
LA_FALL = dt.date(2026, 11, 1)


def at(zone: ZoneInfo, day: dt.date, clock: str, *, fold: int = 0) -> dt.datetime:
    """The instant of local ``clock`` (HH:MM) on ``day`` in ``zone``, in UTC.

    UTC because aware datetimes of one zone compare by wall time, ignoring fold.
    """
    hour, minute = (int(part) for part in clock.split(":"))
    local = dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone, fold=fold)
    return local.astimezone(dt.UTC)


def utc(day: dt.date, clock: str) -> dt.datetime:
    return at(ZoneInfo("UTC"), day, clock)


def hm(text: str) -> dt.time:
    parsed = parse_clock_time(text)
    assert parsed is not None
    return parsed


def schedule(zone: ZoneInfo, push: str | None = None,
             quiet: tuple[str, str] | None = None) -> Schedule:
    return Schedule(zone=zone, push_time=None if push is None else hm(push),
                    quiet=None if quiet is None else QuietHours(hm(quiet[0]), hm(quiet[1])))


def day_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=1)


def day_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


# -- parsing -------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("09:00", dt.time(9, 0)),
    ("9:00", dt.time(9, 0)),
    ("0:05", dt.time(0, 5)),
    ("23:59", dt.time(23, 59)),
    (" 07:30 ", dt.time(7, 30)),
    ("9：00", dt.time(9, 0)),
], ids=["padded", "one-digit-hour", "midnight-hour", "last-minute", "spaces", "full-width-colon"])
def test_parse_clock_time_valid(text: str, expected: dt.time) -> None:
    assert parse_clock_time(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9:60", "9", "09:0", "9:00pm", "nine", "", "-1:00",
                                  "009:00"],
                         ids=["hour-24", "minute-60", "no-minutes", "one-digit-minute", "am-pm",
                              "word", "empty", "negative", "three-digit-hour"])
def test_parse_clock_time_invalid(text: str) -> None:
    assert parse_clock_time(text) is None


def test_format_clock_time_pads_hours() -> None:
    assert format_clock_time(dt.time(9, 5)) == "09:05"


@pytest.mark.parametrize(("text", "expected"), [
    ("Europe/Berlin", "Europe/Berlin"),
    ("europe/berlin", "Europe/Berlin"),
    ("Berlin", "Europe/Berlin"),
    ("new york", "America/New_York"),
    ("UTC", "UTC"),
    (" Asia/Shanghai ", "Asia/Shanghai"),
], ids=["exact", "lower-case", "city", "city-with-space", "utc", "spaces"])
def test_find_zone_known(text: str, expected: str) -> None:
    assert find_zone(text) == expected


@pytest.mark.parametrize("text", ["Mars/Olympus", "localtime", "", "UTC+8", "../etc/passwd"],
                         ids=["unknown", "host-zone", "empty", "offset", "path"])
def test_find_zone_unknown(text: str) -> None:
    assert find_zone(text) is None


# -- the stored schedule of a chat ----------------------------------------------------


def _chat(**columns: str | None) -> Chat:
    return Chat(pk=1, ref=ChatRef("telegram", "1"), kind="private", language=None, active=True,
                inactive_reason=None, **columns)


def test_schedule_for_chat_without_settings_uses_default_zone() -> None:
    built = schedule_for(_chat(), default_zone="Asia/Shanghai")
    assert built == Schedule(zone=SHANGHAI)


def test_schedule_for_chat_reads_stored_columns() -> None:
    built = schedule_for(_chat(timezone="Europe/Berlin", push_time="09:00",
                               quiet_start="23:00", quiet_end="07:00"),
                         default_zone="Asia/Shanghai")
    assert built.zone == BERLIN
    assert built.push_time == dt.time(9, 0)
    assert built.quiet == QuietHours(dt.time(23, 0), dt.time(7, 0))


def test_schedule_for_chat_ignores_unknown_stored_zone(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        built = schedule_for(_chat(timezone="Mars/Olympus"), default_zone="Asia/Shanghai")
    assert built.zone == SHANGHAI
    assert "timezone='Mars/Olympus'" in caplog.text


# -- push time -------------------------------------------------------------------------


def test_no_push_time_is_due_when_stored() -> None:
    stored = at(BERLIN, dt.date(2026, 2, 20), "10:17")
    assert due_at(schedule(BERLIN), stored_at=stored, now=stored) == stored


@pytest.mark.parametrize(("stored_clock", "expected_day"), [
    ("08:00", dt.date(2026, 2, 20)),
    ("09:00", dt.date(2026, 2, 20)),
    ("10:00", dt.date(2026, 2, 21)),
    ("23:59", dt.date(2026, 2, 21)),
], ids=["before-push-time", "at-push-time", "after-push-time", "late-evening"])
def test_push_time_is_next_occurrence(stored_clock: str, expected_day: dt.date) -> None:
    stored = at(BERLIN, dt.date(2026, 2, 20), stored_clock)
    due = due_at(schedule(BERLIN, "09:00"), stored_at=stored, now=stored)
    assert due == at(BERLIN, expected_day, "09:00")
    assert due.tzinfo == dt.UTC


@pytest.mark.parametrize(("zone", "push", "stored", "expected"), [
    # Berlin skips 02:00-03:00 on 29 March: 02:30 fires at 03:00 CEST, 01:00 UTC.
    (BERLIN, "02:30", at(BERLIN, day_before(BERLIN_SPRING), "12:00"), utc(BERLIN_SPRING, "01:00")),
    (BERLIN, "02:00", at(BERLIN, day_before(BERLIN_SPRING), "12:00"), utc(BERLIN_SPRING, "01:00")),
    (BERLIN, "03:00", at(BERLIN, day_before(BERLIN_SPRING), "12:00"), utc(BERLIN_SPRING, "01:00")),
    (BERLIN, "09:00", at(BERLIN, day_before(BERLIN_SPRING), "12:00"), utc(BERLIN_SPRING, "07:00")),
    # Berlin repeats 02:00-03:00 on 25 October: 02:30 fires at its first occurrence (CEST).
    (BERLIN, "02:30", at(BERLIN, day_before(BERLIN_FALL), "12:00"), utc(BERLIN_FALL, "00:30")),
    (BERLIN, "02:30", at(BERLIN, BERLIN_FALL, "02:15", fold=1),
     utc(day_after(BERLIN_FALL), "01:30")),
    (BERLIN, "09:00", at(BERLIN, day_before(BERLIN_FALL), "12:00"), utc(BERLIN_FALL, "08:00")),
    # Los Angeles skips 02:00-03:00 on 8 March and repeats 01:00-02:00 on 1 November.
    (LOS_ANGELES, "02:30", at(LOS_ANGELES, day_before(LA_SPRING), "12:00"),
     utc(LA_SPRING, "10:00")),
    (LOS_ANGELES, "01:30", at(LOS_ANGELES, day_before(LA_FALL), "12:00"), utc(LA_FALL, "08:30")),
    (LOS_ANGELES, "01:30", at(LOS_ANGELES, LA_FALL, "01:45", fold=1),
     utc(day_after(LA_FALL), "09:30")),
], ids=["berlin-skipped", "berlin-gap-start", "berlin-gap-end", "berlin-after-spring",
        "berlin-repeated", "berlin-stored-in-second-pass", "berlin-after-fall", "la-skipped",
        "la-repeated", "la-stored-in-second-pass"])
def test_push_time_across_dst_change(zone: ZoneInfo, push: str, stored: dt.datetime,
                                     expected: dt.datetime) -> None:
    assert due_at(schedule(zone, push), stored_at=stored, now=stored) == expected


@pytest.mark.parametrize(("zone", "push", "change_day"), [
    (BERLIN, "02:30", BERLIN_SPRING),
    (BERLIN, "02:30", BERLIN_FALL),
    (LOS_ANGELES, "02:30", LA_SPRING),
    (LOS_ANGELES, "01:30", LA_FALL),
    (BERLIN, "09:00", BERLIN_FALL),
], ids=["berlin-spring", "berlin-fall", "la-spring", "la-fall", "berlin-fall-morning"])
def test_push_time_fires_once_per_local_day(zone: ZoneInfo, push: str,
                                            change_day: dt.date) -> None:
    """Each push is followed at once by a new card: the next push is still on the next day."""
    instant = at(zone, change_day - dt.timedelta(days=3), "00:00")
    fired: list[dt.datetime] = []
    for _ in range(7):
        instant = next_push(hm(push), zone, instant)
        fired.append(instant)
        instant += dt.timedelta(seconds=1)
    local_days = [moment.astimezone(zone).date() for moment in fired]
    expected_days = [change_day + dt.timedelta(days=offset) for offset in range(-3, 4)]
    assert local_days == expected_days
    gaps = [later - earlier for earlier, later in itertools.pairwise(fired)]
    assert min(gaps) >= dt.timedelta(hours=22)


def test_fall_back_night_pushes_once() -> None:
    """A card stored between the two 02:30s of 25 October waits a day, not thirty minutes."""
    first = at(BERLIN, BERLIN_FALL, "02:30")
    between = at(BERLIN, BERLIN_FALL, "02:10", fold=1)
    assert between > first
    due = next_push(hm("02:30"), BERLIN, between)
    assert due.astimezone(BERLIN).date() == day_after(BERLIN_FALL)


def test_local_instant_second_occurrence_with_fold() -> None:
    assert local_instant(BERLIN_FALL, hm("02:30"), BERLIN, fold=1) == utc(BERLIN_FALL, "01:30")


def test_due_never_before_now() -> None:
    stored = at(BERLIN, dt.date(2026, 2, 19), "10:00")
    now = at(BERLIN, dt.date(2026, 2, 20), "12:00")
    assert due_at(schedule(BERLIN, "09:00"), stored_at=stored, now=now) == now


# -- quiet hours -----------------------------------------------------------------------


@pytest.mark.parametrize(("stored_day", "stored_clock", "expected_day", "expected_clock"), [
    (dt.date(2026, 2, 20), "23:30", dt.date(2026, 2, 21), "07:00"),
    (dt.date(2026, 2, 20), "23:00", dt.date(2026, 2, 21), "07:00"),
    (dt.date(2026, 2, 21), "06:59", dt.date(2026, 2, 21), "07:00"),
    (dt.date(2026, 2, 21), "00:00", dt.date(2026, 2, 21), "07:00"),
    (dt.date(2026, 2, 21), "07:00", dt.date(2026, 2, 21), "07:00"),
    (dt.date(2026, 2, 20), "22:59", dt.date(2026, 2, 20), "22:59"),
    (dt.date(2026, 2, 20), "12:00", dt.date(2026, 2, 20), "12:00"),
], ids=["late-evening", "at-start", "just-before-end", "midnight", "at-end", "just-before-start",
        "midday"])
def test_quiet_hours_wrapping_midnight(stored_day: dt.date, stored_clock: str,
                                       expected_day: dt.date, expected_clock: str) -> None:
    stored = at(BERLIN, stored_day, stored_clock)
    due = due_at(schedule(BERLIN, quiet=("23:00", "07:00")), stored_at=stored, now=stored)
    assert due == at(BERLIN, expected_day, expected_clock)


def test_quiet_hours_within_one_day() -> None:
    quiet = schedule(BERLIN, quiet=("12:00", "14:00"))
    inside = at(BERLIN, dt.date(2026, 2, 20), "13:00")
    after = at(BERLIN, dt.date(2026, 2, 20), "14:30")
    assert due_at(quiet, stored_at=inside, now=inside) == at(BERLIN, dt.date(2026, 2, 20), "14:00")
    assert due_at(quiet, stored_at=after, now=after) == after


def test_push_time_inside_quiet_hours_waits_for_end() -> None:
    stored = at(BERLIN, dt.date(2026, 2, 20), "12:00")
    due = due_at(schedule(BERLIN, "06:00", ("23:00", "07:00")), stored_at=stored, now=stored)
    assert due == at(BERLIN, dt.date(2026, 2, 21), "07:00")


@pytest.mark.parametrize(("zone", "quiet", "stored", "expected"), [
    # The spring-forward night is an hour shorter: 07:00 CEST is 05:00 UTC.
    (BERLIN, ("23:00", "07:00"), at(BERLIN, day_before(BERLIN_SPRING), "23:30"),
     utc(BERLIN_SPRING, "05:00")),
    # The fall-back night is an hour longer: 07:00 CET is 06:00 UTC.
    (BERLIN, ("23:00", "07:00"), at(BERLIN, day_before(BERLIN_FALL), "23:30"),
     utc(BERLIN_FALL, "06:00")),
    # An end inside the skipped hour is the first instant after it.
    (BERLIN, ("23:00", "02:30"), at(BERLIN, day_before(BERLIN_SPRING), "23:30"),
     utc(BERLIN_SPRING, "01:00")),
    # An end inside the repeated hour is its last occurrence, so the second 02:15 is quiet.
    (BERLIN, ("23:00", "02:30"), at(BERLIN, BERLIN_FALL, "02:15", fold=1),
     utc(BERLIN_FALL, "01:30")),
    (BERLIN, ("23:00", "02:30"), at(BERLIN, day_before(BERLIN_FALL), "23:30"),
     utc(BERLIN_FALL, "01:30")),
    # A start inside the skipped hour begins at the first instant after it.
    (BERLIN, ("02:30", "06:00"), at(BERLIN, BERLIN_SPRING, "03:10"), utc(BERLIN_SPRING, "04:00")),
    (LOS_ANGELES, ("22:00", "06:00"), at(LOS_ANGELES, day_before(LA_FALL), "22:30"),
     utc(LA_FALL, "14:00")),
    (LOS_ANGELES, ("01:00", "03:00"), at(LOS_ANGELES, LA_SPRING, "01:30"),
     utc(LA_SPRING, "10:00")),
], ids=["berlin-spring-night", "berlin-fall-night", "end-in-skipped-hour",
        "end-in-repeated-hour-second-pass", "end-in-repeated-hour-from-evening",
        "start-in-skipped-hour", "la-fall-night", "la-spring-across-gap"])
def test_quiet_hours_across_dst_change(zone: ZoneInfo, quiet: tuple[str, str],
                                       stored: dt.datetime, expected: dt.datetime) -> None:
    assert due_at(schedule(zone, quiet=quiet), stored_at=stored, now=stored) == expected


def test_push_and_quiet_hours_across_fall_back() -> None:
    """A 06:30 push inside 23:00-07:00 quiet hours goes at 07:00 CET on the long night."""
    stored = at(BERLIN, day_before(BERLIN_FALL), "20:00")
    due = due_at(schedule(BERLIN, "06:30", ("23:00", "07:00")), stored_at=stored, now=stored)
    assert due == utc(BERLIN_FALL, "06:00")


def test_quiet_until_outside_quiet_hours_is_none() -> None:
    quiet = schedule(BERLIN, quiet=("23:00", "07:00"))
    assert quiet_until(quiet, at(BERLIN, dt.date(2026, 2, 20), "12:00")) is None
    assert quiet_until(schedule(BERLIN), at(BERLIN, dt.date(2026, 2, 20), "23:30")) is None


# -- why a card waits ------------------------------------------------------------------


def test_waiting_reason_quiet_hours() -> None:
    quiet = schedule(BERLIN, "06:00", ("23:00", "07:00"))
    assert waiting_reason(quiet, at(BERLIN, dt.date(2026, 2, 21), "07:00")) == "quiet_hours"


def test_waiting_reason_push_time() -> None:
    pushed = schedule(BERLIN, "09:00", ("23:00", "07:00"))
    assert waiting_reason(pushed, at(BERLIN, dt.date(2026, 2, 21), "09:00")) == "push_time"


def test_waiting_reason_push_time_in_skipped_hour() -> None:
    assert waiting_reason(schedule(BERLIN, "02:30"), utc(BERLIN_SPRING, "01:00")) == "push_time"


def test_waiting_reason_other_time_is_none() -> None:
    pushed = schedule(BERLIN, "09:00", ("23:00", "07:00"))
    assert waiting_reason(pushed, at(BERLIN, dt.date(2026, 2, 21), "09:02")) is None


def test_due_at_compares_local_inputs_by_instant() -> None:
    """Local datetimes with fold=1 are taken as the instants they name, not as wall times."""
    stored = dt.datetime(2026, 10, 25, 2, 40, tzinfo=BERLIN)  # first pass, 00:40 UTC
    now = dt.datetime(2026, 10, 25, 2, 20, tzinfo=BERLIN, fold=1)  # second pass, 01:20 UTC
    due = due_at(schedule(BERLIN), stored_at=stored, now=now)
    assert due == utc(BERLIN_FALL, "01:20")
    assert due.tzinfo == dt.UTC
