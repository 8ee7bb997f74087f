"""/status: the latest digest, what this chat was sent from it, what waits and why."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from bot.clock import as_utc
from bot.commands.context import CommandContext, Reply, TextReply
from bot.commands.mode import chat_modes, describe_mode
from bot.commands.schedule import chat_schedule, describe_push, describe_quiet, format_local
from bot.delivery.schedule import Schedule, waiting_reason
from bot.errors import FilterSyntaxError
from bot.i18n import Translator
from bot.matcher.filters import Rule, parse_rule
from bot.parser.models import Digest
from bot.store import Subscription
from bot.store.outbox import FAILED, PENDING, SENT, ChatQueue


async def status(context: CommandContext, args: str) -> list[Reply]:
    """Report the latest digest and this chat's deliveries, with the reason when none went out."""
    t = context.t
    store = context.services.store
    schedule = chat_schedule(context)
    subscriptions = await store.chats.subscriptions(context.chat.pk)
    lines = _pause_lines(context)

    digest = await store.digests.latest()
    if digest is None:
        lines.append(t.gettext("No digest is stored yet, so nothing has been sent."))
    else:
        lines.extend(await _digest_lines(context, digest, subscriptions, schedule))

    lines.append("")
    lines.append(t.gettext("Time zone: {zone}.", zone=schedule.zone.key))
    lines.append(describe_push(schedule, t))
    lines.append(describe_quiet(schedule, t))
    modes = chat_modes(subscriptions)
    if len(modes) == 1:
        lines.append(t.gettext("Delivery mode: {mode}.", mode=describe_mode(modes[0], t)))
    elif modes:
        lines.append(t.gettext("Delivery modes differ between subscriptions; see /mode."))
    return [TextReply("\n".join(lines))]


def _pause_lines(context: CommandContext) -> list[str]:
    t = context.t
    chat = context.chat
    if context.resumed_reason:
        return [t.gettext("Deliveries to this chat were paused ({reason}). This command "
                          "resumed them.", reason=context.resumed_reason)]
    if context.resumed_reason is not None:
        return [t.gettext("Deliveries to this chat were paused. This command resumed them.")]
    if not chat.active:
        return [t.gettext("Deliveries to this chat are paused: {reason}.",
                          reason=chat.inactive_reason or "?")]
    return []


async def _digest_lines(context: CommandContext, digest: Digest,
                        subscriptions: Sequence[Subscription], schedule: Schedule) -> list[str]:
    t = context.t
    store = context.services.store
    stored_at = await store.digests.ingested_at(digest.date)
    lines = [t.ngettext("Latest digest: {date} with {n} paper, stored {when}.",
                        "Latest digest: {date} with {n} papers, stored {when}.",
                        len(digest.papers), date=digest.date.isoformat(),
                        when=_when(stored_at, schedule))]
    if not subscriptions:
        lines.append(t.gettext("This chat has no subscriptions, so nothing is sent here. "
                               "Try /subscribe Google or /subscribe all."))
        return lines

    rules = [(subscription, _rule(subscription.rule)) for subscription in subscriptions]
    orgs = context.services.orgs
    matching = [subscription for subscription, rule in rules
                if rule is not None and any(rule.matches(p, orgs) for p in digest.papers)]
    matched = sum(1 for paper in digest.papers
                  if any(rule is not None and rule.matches(paper, orgs) for _, rule in rules))
    lines.append(t.ngettext("{n} of its papers matches this chat's subscriptions.",
                            "{n} of its papers match this chat's subscriptions.", matched))

    queue = await store.outbox.chat_queue(context.chat.pk, digest.date)
    if not queue.states:
        lines.append(_not_queued_reason(t, matched, matching, stored_at))
    else:
        lines.extend(_outcome_lines(t, queue, schedule))
    lines.extend(_waiting_lines(context, queue, schedule))
    return lines


def _not_queued_reason(t: Translator, matched: int, matching: Sequence[Subscription],
                       stored_at: dt.datetime | None) -> str:
    """Explain why a digest put no card in this chat's queue."""
    if matched == 0:
        return t.gettext("Nothing was sent because none of its papers matched.")
    if stored_at is not None and all(
            subscription.created_at is not None and subscription.created_at > as_utc(stored_at)
            for subscription in matching):
        return t.gettext("Nothing was sent because the matching subscriptions were added "
                         "after this digest arrived. The next digest will be sent.")
    return t.gettext("Nothing was sent because deliveries to this chat were paused when this "
                     "digest arrived. The next digest will be sent.")


def _outcome_lines(t: Translator, queue: ChatQueue, schedule: Schedule) -> list[str]:
    lines = []
    sent = queue.states.get(SENT, 0)
    if sent:
        lines.append(t.ngettext("Sent: {n} card, the last at {when}.",
                                "Sent: {n} cards, the last at {when}.", sent,
                                when=_when(queue.last_sent_at, schedule)))
    # Any state other than these three is a card claimed by a sender right now.
    in_progress = sum(count for state, count in queue.states.items()
                      if state not in (PENDING, SENT, FAILED))
    if in_progress:
        lines.append(t.ngettext("Being sent now: {n} card.", "Being sent now: {n} cards.",
                                in_progress))
    failed = queue.states.get(FAILED, 0)
    if failed:
        lines.append(t.ngettext("Failed: {n} card. Last error: {error}",
                                "Failed: {n} cards. Last error: {error}", failed,
                                error=queue.last_failure or "?"))
    return lines


def _waiting_lines(context: CommandContext, queue: ChatQueue, schedule: Schedule) -> list[str]:
    """Describe the chat's pending cards of every digest: how many, when, and why then."""
    t = context.t
    due = queue.next_due_at
    if not queue.waiting or due is None:
        return []
    now = context.services.clock()
    if due <= now:
        return [t.ngettext("Waiting: {n} card, due now.", "Waiting: {n} cards, due now.",
                           queue.waiting)]
    lines = [t.ngettext("Waiting: {n} card, due at {when}.",
                        "Waiting: {n} cards, the first due at {when}.", queue.waiting,
                        when=format_local(due, schedule))]
    reason = waiting_reason(schedule, due)
    local_time = due.astimezone(schedule.zone).strftime("%H:%M")
    if reason == "quiet_hours":
        lines.append(t.gettext("Reason: quiet hours until {end}.", end=local_time))
    elif reason == "push_time":
        lines.append(t.gettext("Reason: waiting for the push time {time}.", time=local_time))
    elif queue.next_due_error:
        lines.append(t.gettext("Reason: retrying after an error: {error}",
                               error=queue.next_due_error))
    return lines


def _when(instant: dt.datetime | None, schedule: Schedule) -> str:
    if instant is None:
        return "?"
    return f"{format_local(as_utc(instant), schedule)} ({schedule.zone.key})"


def _rule(text: str) -> Rule | None:
    try:
        return parse_rule(text)
    except FilterSyntaxError:
        return None
