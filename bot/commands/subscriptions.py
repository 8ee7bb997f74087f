"""/subscribe, /unsubscribe and /list."""

from __future__ import annotations

from bot.commands.context import CommandContext, Reply, TextReply
from bot.commands.filters import parse_or_reply
from bot.commands.permissions import refusal_if_not_admin
from bot.commands.titles import display_title
from bot.i18n import Translator
from bot.matcher.describe import describe_rule
from bot.matcher.filters import Rule
from bot.parser.models import Paper

PREVIEW_LIMIT = 10


async def subscribe(context: CommandContext, args: str) -> list[Reply]:
    """Store a filter rule for the chat and preview what it matches in the latest digest."""
    t = context.t
    if not args:
        return [TextReply(t.gettext(
            "Tell me what to subscribe to, for example:\n/subscribe Google\n"
            "/subscribe tag:\"Frontier Lab\" score>=35\n/subscribe all"))]
    rule = parse_or_reply(context, args, command="subscribe")
    if isinstance(rule, TextReply):
        return [rule]
    refusal = await refusal_if_not_admin(context)
    if refusal is not None:
        return [refusal]

    services = context.services
    text = rule.to_text()
    existing = await services.store.chats.subscriptions(context.chat.pk)
    for number, subscription in enumerate(existing, start=1):
        # Every part of a rule matches case-insensitively, so rules differing in case are one.
        if (subscription.rule.casefold() == text.casefold()
                and subscription.thread_id == context.thread_id):
            return [TextReply(t.gettext(
                "You already have this subscription as number {number}: {rule}",
                number=number, rule=describe_rule(rule, t)))]
    await services.store.chats.add_subscription(context.chat.pk, text,
                                                thread_id=context.thread_id,
                                                now=services.clock())
    lines = [t.gettext("Subscribed: {rule}.", rule=describe_rule(rule, t))]
    lines.append(await _preview(context, rule))
    return [TextReply("\n".join(lines))]


async def unsubscribe(context: CommandContext, args: str) -> list[Reply]:
    """Remove subscription number N from /list, or all of them."""
    t = context.t
    chats = context.services.store.chats
    existing = await chats.subscriptions(context.chat.pk)
    usage = t.gettext("Use /unsubscribe N with a number from /list, or /unsubscribe all.")
    if not args:
        return [TextReply(usage)]
    if args.lower() != "all" and not args.isdigit():
        return [TextReply(t.gettext("\"{value}\" is not a subscription number. ", value=args)
                          + usage)]
    if args.isdigit() and not 1 <= int(args) <= len(existing):
        if not existing:
            return [TextReply(t.gettext("This chat has no subscriptions."))]
        return [TextReply(t.gettext(
            "There is no subscription {number}: this chat has subscriptions 1 to {count}. "
            "Send /list to see them.", number=args, count=len(existing)))]
    refusal = await refusal_if_not_admin(context)
    if refusal is not None:
        return [refusal]
    if args.lower() == "all":
        removed = await chats.remove_all_subscriptions(context.chat.pk)
        return [TextReply(t.ngettext("Removed {n} subscription.", "Removed {n} subscriptions.",
                                     removed))]
    subscription = existing[int(args) - 1]
    await chats.remove_subscription(subscription.id)
    return [TextReply(t.gettext("Removed subscription {number}: {rule}", number=args,
                                rule=subscription.rule))]


async def list_(context: CommandContext, args: str) -> list[Reply]:
    """Show the chat's subscriptions, numbered for /unsubscribe."""
    t = context.t
    existing = await context.services.store.chats.subscriptions(context.chat.pk)
    if not existing:
        return [TextReply(t.gettext(
            "This chat has no subscriptions. Try /subscribe Google or /subscribe all."))]
    lines = [t.gettext("Subscriptions of this chat:")]
    for number, subscription in enumerate(existing, start=1):
        lines.append(f"{number}. {subscription.rule}")
    if not context.chat.active:
        lines.append(t.gettext("Deliveries to this chat are paused."))
    return [TextReply("\n".join(lines))]


async def _preview(context: CommandContext, rule: Rule) -> str:
    t = context.t
    digest = await context.services.store.digests.latest()
    if digest is None:
        return t.gettext("No digest is stored yet; new papers will arrive as cards.")
    matched = [p for p in digest.papers if rule.matches(p, context.services.orgs)]
    date = digest.date.isoformat()
    if not matched:
        return t.gettext("In the latest digest ({date}) it would have matched no paper.",
                         date=date)
    lines = [t.ngettext("In the latest digest ({date}) it would have matched {n} paper:",
                        "In the latest digest ({date}) it would have matched {n} papers:",
                        len(matched), date=date)]
    lines.extend(_brief(paper, t) for paper in matched[:PREVIEW_LIMIT])
    if len(matched) > PREVIEW_LIMIT:
        lines.append(t.gettext("… and {count} more", count=len(matched) - PREVIEW_LIMIT))
    return "\n".join(lines)


def _brief(paper: Paper, t: Translator) -> str:
    return f"• {display_title(paper, t)} ({paper.org}, {paper.score:g})"
