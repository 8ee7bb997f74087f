"""/time, /tz and /quiet: when the chat's cards are sent (rules in ``bot.delivery.schedule``)."""

from __future__ import annotations

import datetime as dt
import logging
import re

from bot.commands.context import CommandContext, Reply, TextReply
from bot.commands.permissions import refusal_if_not_admin
from bot.delivery.schedule import (
    Schedule,
    due_at,
    find_zone,
    format_clock_time,
    parse_clock_time,
    schedule_for,
)
from bot.i18n import Translator

logger = logging.getLogger(__name__)

# "23:00-07:00", also with spaces, an en dash or a tilde between the two times.
_QUIET_RANGE = re.compile(r"(\S+?)\s*[-–~～]\s*(\S+)")


async def time_(context: CommandContext, args: str) -> list[Reply]:
    """Show or set the local time at which the chat gets its cards, or ``now``."""
    t = context.t
    value = args.strip()
    if not value:
        schedule = chat_schedule(context)
        return [TextReply("\n".join([
            describe_push(schedule, t),
            t.gettext("Change it with /time HH:MM in 24-hour time, for example /time 09:00, "
                      "or /time now."),
        ]))]
    push_time: str | None = None
    if value.lower() != "now":
        parsed = parse_clock_time(value)
        if parsed is None:
            return [TextReply(t.gettext(
                "Invalid push time \"{value}\": use 24-hour HH:MM. Example: /time 09:00, or "
                "/time now to send each digest as soon as it is stored.", value=value))]
        push_time = format_clock_time(parsed)
    refusal = await refusal_if_not_admin(context)
    if refusal is not None:
        return [refusal]

    await context.services.store.chats.set_push_time(context.chat.pk, push_time)
    schedule, rescheduled = await _reschedule(context)
    logger.info("push time set chat=%s push_time=%s", context.chat.ref, push_time)
    if schedule.push_time is None:
        lines = [t.gettext("Done: cards for this chat are now sent as soon as a digest is "
                           "stored.")]
    else:
        lines = [t.gettext("Done: cards for this chat are now sent once a day at {time}, "
                           "{zone} time.", time=format_clock_time(schedule.push_time),
                           zone=schedule.zone.key)]
        lines.extend(_push_in_quiet_hours(schedule, t))
    lines.extend(rescheduled)
    return [TextReply("\n".join(lines))]


async def tz(context: CommandContext, args: str) -> list[Reply]:
    """Show or set the chat's IANA time zone."""
    t = context.t
    value = args.strip()
    if not value:
        schedule = chat_schedule(context)
        return [TextReply("\n".join([
            t.gettext("Time zone of this chat: {zone} (local time now {now}).",
                      zone=schedule.zone.key,
                      now=format_local(context.services.clock(), schedule)),
            t.gettext("Change it with /tz and an IANA time zone name, for example "
                      "/tz Europe/Berlin."),
        ]))]
    zone = find_zone(value)
    if zone is None:
        return [TextReply(t.gettext(
            "Unknown time zone \"{value}\". Use an IANA time zone name, for example "
            "/tz Asia/Shanghai or /tz Europe/Berlin.", value=value))]
    refusal = await refusal_if_not_admin(context)
    if refusal is not None:
        return [refusal]

    await context.services.store.chats.set_timezone(context.chat.pk, zone)
    schedule, rescheduled = await _reschedule(context)
    logger.info("time zone set chat=%s timezone=%s", context.chat.ref, zone)
    lines = [t.gettext("Done: this chat's time zone is now {zone}, where it is {now}.",
                       zone=zone, now=format_local(context.services.clock(), schedule)),
             describe_push(schedule, t), describe_quiet(schedule, t)]
    lines.extend(rescheduled)
    return [TextReply("\n".join(lines))]


async def quiet(context: CommandContext, args: str) -> list[Reply]:
    """Show, set or turn off the chat's quiet hours."""
    t = context.t
    value = args.strip()
    if not value:
        schedule = chat_schedule(context)
        return [TextReply("\n".join([
            describe_quiet(schedule, t),
            t.gettext("Set them with /quiet HH:MM-HH:MM, for example /quiet 23:00-07:00, or "
                      "turn them off with /quiet off."),
        ]))]
    start: str | None = None
    end: str | None = None
    if value.lower() != "off":
        parsed = _parse_quiet_hours(value)
        if parsed is None:
            return [TextReply(t.gettext(
                "Invalid quiet hours \"{value}\": use two 24-hour times as HH:MM-HH:MM. "
                "Example: /quiet 23:00-07:00, or /quiet off.", value=value))]
        start, end = parsed
        if start == end:
            return [TextReply(t.gettext(
                "Invalid quiet hours \"{value}\": they start and end at the same time. "
                "Example: /quiet 23:00-07:00", value=value))]
    refusal = await refusal_if_not_admin(context)
    if refusal is not None:
        return [refusal]

    await context.services.store.chats.set_quiet_hours(context.chat.pk, start, end)
    schedule, rescheduled = await _reschedule(context)
    logger.info("quiet hours set chat=%s start=%s end=%s", context.chat.ref, start, end)
    if schedule.quiet is None:
        lines = [t.gettext("Done: quiet hours are off, so cards are sent at any hour.")]
    else:
        lines = [t.gettext("Done: cards that fall due between {start} and {end} ({zone} time) "
                           "now wait until {end}.", start=start, end=end,
                           zone=schedule.zone.key)]
        lines.extend(_push_in_quiet_hours(schedule, t))
    lines.extend(rescheduled)
    return [TextReply("\n".join(lines))]


def chat_schedule(context: CommandContext) -> Schedule:
    """Return the schedule of the chat a command came from."""
    return schedule_for(context.chat, default_zone=context.services.default_timezone)


def format_local(instant: dt.datetime, schedule: Schedule) -> str:
    """Return ``instant`` as ``YYYY-MM-DD HH:MM`` in the schedule's time zone."""
    return instant.astimezone(schedule.zone).strftime("%Y-%m-%d %H:%M")


def describe_push(schedule: Schedule, t: Translator) -> str:
    """Return the push time of ``schedule`` as a sentence."""
    if schedule.push_time is None:
        return t.gettext("Push time: as soon as a digest is stored.")
    return t.gettext("Push time: {time} ({zone}), once a day.",
                     time=format_clock_time(schedule.push_time), zone=schedule.zone.key)


def describe_quiet(schedule: Schedule, t: Translator) -> str:
    """Return the quiet hours of ``schedule`` as a sentence."""
    if schedule.quiet is None:
        return t.gettext("Quiet hours: off.")
    return t.gettext("Quiet hours: {start} to {end} ({zone}).",
                     start=format_clock_time(schedule.quiet.start),
                     end=format_clock_time(schedule.quiet.end), zone=schedule.zone.key)


def _parse_quiet_hours(value: str) -> tuple[str, str] | None:
    match = _QUIET_RANGE.fullmatch(value)
    if match is None:
        return None
    start, end = parse_clock_time(match.group(1)), parse_clock_time(match.group(2))
    if start is None or end is None:
        return None
    return format_clock_time(start), format_clock_time(end)


def _push_in_quiet_hours(schedule: Schedule, t: Translator) -> list[str]:
    """Return a note when the push time falls inside the quiet hours, else nothing."""
    if schedule.push_time is None or schedule.quiet is None:
        return []
    start, end = schedule.quiet.start, schedule.quiet.end
    push = schedule.push_time
    inside = start <= push < end if start < end else (push >= start or push < end)
    if not inside:
        return []
    return [t.gettext("{time} is within the quiet hours, so cards arrive at {end}.",
                      time=format_clock_time(push), end=format_clock_time(end))]


async def _reschedule(context: CommandContext) -> tuple[Schedule, list[str]]:
    """Re-time the chat's waiting cards with its new schedule; return it and a note on them."""
    services = context.services
    chat = await services.store.chats.find(context.chat.ref)
    assert chat is not None  # noqa: S101  # the router created the chat before the command
    schedule = schedule_for(chat, default_zone=services.default_timezone)
    now = services.clock()
    due_times = await services.store.outbox.retime(
        chat.pk, lambda queued_at: due_at(schedule, stored_at=queued_at, now=now))
    if not due_times:
        return schedule, []
    logger.info("waiting cards rescheduled chat=%s cards=%d", chat.ref, len(due_times))
    first = min(due_times)
    t = context.t
    if first <= now:
        return schedule, [t.ngettext(
            "{n} waiting card is due now and will be sent shortly.",
            "{n} waiting cards are due now and will be sent shortly.", len(due_times))]
    return schedule, [t.ngettext(
        "{n} waiting card was rescheduled to {when}.",
        "{n} waiting cards were rescheduled; the first is due at {when}.", len(due_times),
        when=format_local(first, schedule))]

