"""Delivery schedules: when a card is due to a chat, given its push time, time zone and quiet hours.

Local times are wall-clock times in the chat's IANA time zone, and every function here
returns aware UTC datetimes. The rules:

* Without a push time a card is due as soon as its digest is stored.
* With a push time a card is due at the first occurrence of that local time at or after
  the moment its digest was stored. With push time 09:00, a digest stored at 08:00 is due
  at 09:00 the same day, and one stored at 10:00 at 09:00 the next day. A chat with a
  push time is therefore only sent cards at that time, at most one batch per local day,
  rather than whenever a late digest happens to arrive.
* A push time that a spring-forward change skips (02:30 in Europe/Berlin on the last
  Sunday of March) is taken as the first instant after the gap, 03:00 local time. A push
  time that a fall-back change repeats is taken as its first occurrence (``fold=0``), so
  it fires once on that day too.
* A card falling due inside quiet hours waits until they end. Quiet hours run from
  ``start`` to ``end`` and wrap midnight when ``end`` is earlier than ``start``. They
  hold every instant whose local time reads inside them: on a fall-back night they begin
  at the first occurrence of ``start`` and end at the last occurrence of ``end``, and a
  skipped ``start`` or ``end`` is taken as the first instant after the gap.
* A card is never due before ``now``: when a schedule change moves a waiting card to a
  time that has already passed, it is due at once, unless that is inside quiet hours.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
import zoneinfo
from dataclasses import dataclass
from typing import Literal

from bot.store import Chat

logger = logging.getLogger(__name__)

# The TIMEZONE setting's default, for components built without settings.
DEFAULT_TIMEZONE = "Asia/Shanghai"

_CLOCK_TIME = re.compile(r"(\d{1,2})[:：](\d{2})")
# Entries of the zoneinfo search path that are not time zone names users should pick:
# "localtime" is the host's own zone, the others are tzdata internals.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours during which no card is sent; wraps midnight when ``end < start``."""

    start: dt.time
    end: dt.time


@dataclass(frozen=True, slots=True)
class Schedule:
    """When cards go to one chat: its time zone, push time and quiet hours."""

    zone: zoneinfo.ZoneInfo
    push_time: dt.time | None = None
    quiet: QuietHours | None = None


def parse_clock_time(text: str) -> dt.time | None:
    """Parse a 24-hour ``HH:MM`` or ``H:MM`` time (a full-width colon is accepted), else None."""
    match = _CLOCK_TIME.fullmatch(text.strip())
    if match is None:
        return None
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        return None
    return dt.time(hour, minute)


def format_clock_time(value: dt.time) -> str:
    """Return ``value`` as zero-padded ``HH:MM``, the form stored in the chats table."""
    return f"{value.hour:02d}:{value.minute:02d}"


def find_zone(text: str) -> str | None:
    """Return the IANA name that ``text`` means, or None when there is no such zone.

    Names match case-insensitively (``europe/berlin``), and a bare city that ends exactly
    one zone name means that zone (``Berlin``, ``new york``).
    """
    query = text.strip().replace(" ", "_").casefold()
    if not query:
        return None
    exact, by_city = _zone_index()
    if query in exact:
        return exact[query]
    candidates = by_city.get(query, ())
    return candidates[0] if len(candidates) == 1 else None


@functools.cache
def _zone_index() -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    names = sorted(zoneinfo.available_timezones() - _NOT_ZONES)
    exact = {name.casefold(): name for name in names}
    by_city: dict[str, list[str]] = {}
    for name in names:
        if "/" in name:
            by_city.setdefault(name.rsplit("/", 1)[1].casefold(), []).append(name)
    return exact, {city: tuple(found) for city, found in by_city.items()}


def schedule_for(chat: Chat, *, default_zone: str) -> Schedule:
    """Build the schedule stored for ``chat``; a chat without a time zone uses ``default_zone``.

    A stored value that no longer parses (a zone dropped from tzdata, a hand-edited
    row) is logged and ignored rather than stopping deliveries to the chat.
    """
    zone = zoneinfo.ZoneInfo(default_zone)
    if chat.timezone is not None:
        try:
            zone = zoneinfo.ZoneInfo(chat.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            logger.warning("stored time zone ignored chat=%s timezone=%r", chat.ref,
                           chat.timezone)
    push_time = _stored_time(chat, "push_time", chat.push_time)
    quiet = None
    start = _stored_time(chat, "quiet_start", chat.quiet_start)
    end = _stored_time(chat, "quiet_end", chat.quiet_end)
    if start is not None and end is not None and start != end:
        quiet = QuietHours(start, end)
    return Schedule(zone=zone, push_time=push_time, quiet=quiet)


def _stored_time(chat: Chat, column: str, value: str | None) -> dt.time | None:
    if value is None:
        return None
    parsed = parse_clock_time(value)
    if parsed is None:
        logger.warning("stored %s ignored chat=%s value=%r", column, chat.ref, value)
    return parsed


def local_instant(day: dt.date, time: dt.time, zone: zoneinfo.ZoneInfo, *,
                  fold: int = 0) -> dt.datetime:
    """Return the instant at which local ``time`` of ``day`` happens in ``zone``.

    A repeated local time gives its first occurrence with ``fold=0`` and its second with
    ``fold=1``. A skipped one gives the first instant after the gap.
    """
    wall = dt.datetime.combine(day, time)
    instant = wall.replace(tzinfo=zone, fold=fold).astimezone(dt.UTC)
    # Naive datetimes compare equal whatever their fold, so this only fails in a gap.
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        return instant
    # In a gap, fold=0 reads ``wall`` with the offset before the change and fold=1 with
    # the offset after it, so the change happened between the two instants.
    before = wall.replace(tzinfo=zone, fold=0).astimezone(dt.UTC)
    after = wall.replace(tzinfo=zone, fold=1).astimezone(dt.UTC)
    return _offset_change(min(before, after), max(before, after), zone)


def _offset_change(low: dt.datetime, high: dt.datetime, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """Return the first whole second in (low, high] whose UTC offset differs from low's."""
    before = low.astimezone(zone).utcoffset()
    low_second, high_second = int(low.timestamp()), int(high.timestamp())
    while high_second - low_second > 1:
        middle = (low_second + high_second) // 2
        instant = dt.datetime.fromtimestamp(middle, dt.UTC)
        if instant.astimezone(zone).utcoffset() == before:
            low_second = middle
        else:
            high_second = middle
    return dt.datetime.fromtimestamp(high_second, dt.UTC)


def next_push(push_time: dt.time, zone: zoneinfo.ZoneInfo, after: dt.datetime) -> dt.datetime:
    """Return the first occurrence of local ``push_time`` at or after ``after``."""
    # Aware datetimes of one zone compare by wall time, ignoring fold, so compare in UTC.
    after = after.astimezone(dt.UTC)
    day = after.astimezone(zone).date()
    today = local_instant(day, push_time, zone)
    if today >= after:
        return today
    return local_instant(day + dt.timedelta(days=1), push_time, zone)


def quiet_until(schedule: Schedule, instant: dt.datetime) -> dt.datetime | None:
    """Return when the quiet hours around ``instant`` end, or None when it is not quiet."""
    quiet = schedule.quiet
    if quiet is None:
        return None
    instant = instant.astimezone(dt.UTC)
    day = instant.astimezone(schedule.zone).date()
    # The quiet hours around ``instant`` began either on its own local day or, when they
    # wrap midnight, on the day before.
    for start_day in (day - dt.timedelta(days=1), day):
        end_day = start_day if quiet.start < quiet.end else start_day + dt.timedelta(days=1)
        start = local_instant(start_day, quiet.start, schedule.zone)
        # fold=1: a repeated end time ends the quiet hours at its last occurrence.
        end = local_instant(end_day, quiet.end, schedule.zone, fold=1)
        if start <= instant < end:
            return end
    return None


def due_at(schedule: Schedule, *, stored_at: dt.datetime, now: dt.datetime) -> dt.datetime:
    """Return when a card of a digest stored at ``stored_at`` is due, as seen at ``now``."""
    due = stored_at.astimezone(dt.UTC)
    if schedule.push_time is not None:
        due = next_push(schedule.push_time, schedule.zone, due)
    due = max(due, now.astimezone(dt.UTC))
    return quiet_until(schedule, due) or due


WaitReason = Literal["quiet_hours", "push_time"]


def waiting_reason(schedule: Schedule, due: dt.datetime) -> WaitReason | None:
    """Return which part of ``schedule`` put a card's due time at ``due``, if any.

    None means neither did, as for a card waiting to be retried after an error.
    """
    if schedule.quiet is not None and quiet_until(schedule, due - dt.timedelta(seconds=1)) == due:
        return "quiet_hours"
    if schedule.push_time is not None:
        local_day = due.astimezone(schedule.zone).date()
        if local_instant(local_day, schedule.push_time, schedule.zone) == due:
            return "push_time"
    return None
