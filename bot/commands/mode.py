"""/mode: how the chat's subscriptions deliver, one card per paper, one digest message or a thread.

The mode belongs to each subscription. ``/mode digest`` sets every subscription of the
chat and the cards waiting for it. ``/mode 2 digest`` sets subscription 2 of /list only,
and waiting cards keep their mode, because a card does not record which subscription
matched it. A new subscription takes the mode that all the chat's subscriptions share
(``ChatStore.add_subscription``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from bot.commands.context import CommandContext, Reply, TextReply
from bot.commands.permissions import refusal_if_not_admin
from bot.i18n import Translator
from bot.store import Subscription

logger = logging.getLogger(__name__)

CARDS, DIGEST, THREAD = "cards", "digest", "thread"
MODES: Final = (CARDS, DIGEST, THREAD)
# Thread mode posts the cards as replies in a thread, which only Slack channels have.
THREAD_PLATFORMS: Final = frozenset({"slack"})


async def mode(context: CommandContext, args: str) -> list[Reply]:
    """Show the delivery mode, or set it for the whole chat or for subscription N."""
    t = context.t
    chats = context.services.store.chats
    existing = await chats.subscriptions(context.chat.pk)
    words = args.split()
    if not words:
        return [TextReply(_show(existing, t))]
    number: int | None = None
    if len(words) == 2 and words[0].isdigit():
        number = int(words[0])
        words = words[1:]
    chosen = words[0].lower()
    if len(words) != 1 or chosen not in MODES:
        return [TextReply(t.gettext(
            "Unknown delivery mode \"{value}\". Use /mode cards, /mode digest or /mode thread "
            "(Slack only), or /mode N digest for subscription N alone. Example: /mode digest",
            value=args.strip()))]
    if not existing:
        return [TextReply(t.gettext(
            "This chat has no subscriptions, so there is no mode to set. Subscribe first, "
            "for example /subscribe Google, then send /mode {mode}.", mode=chosen))]
    if number is not None and not 1 <= number <= len(existing):
        return [TextReply(t.gettext(
            "There is no subscription {number}: this chat has subscriptions 1 to {count}. "
            "Send /list to see them.", number=number, count=len(existing)))]
    targets = existing if number is None else [existing[number - 1]]
    if chosen == THREAD and context.chat.ref.platform not in THREAD_PLATFORMS:
        return [TextReply(t.gettext(
            "Thread mode is only available on Slack. This chat keeps its current mode: "
            "{mode}.", mode=_modes_text(targets, t)))]
    refusal = await refusal_if_not_admin(context)
    if refusal is not None:
        return [refusal]

    if number is None:
        count = await chats.set_mode(context.chat.pk, chosen)
        waiting = await context.services.store.outbox.set_pending_mode(context.chat.pk, chosen)
        logger.info("mode set chat=%s mode=%s subscriptions=%d waiting=%d", context.chat.ref,
                    chosen, count, waiting)
        lines = [t.ngettext("Done: this chat's subscription now delivers as {mode}.",
                            "Done: all {n} subscriptions of this chat now deliver as {mode}.",
                            count, mode=describe_mode(chosen, t))]
        if waiting:
            lines.append(t.ngettext("{n} waiting card will be delivered this way too.",
                                    "{n} waiting cards will be delivered this way too.",
                                    waiting))
        return [TextReply("\n".join(lines))]
    subscription = targets[0]
    await chats.set_subscription_mode(subscription.id, chosen)
    logger.info("mode set chat=%s subscription_id=%d mode=%s", context.chat.ref,
                subscription.id, chosen)
    return [TextReply(t.gettext(
        "Done: subscription {number} ({rule}) now delivers as {mode}. Cards already waiting "
        "keep their mode.", number=number, rule=subscription.rule,
        mode=describe_mode(chosen, t)))]


def describe_mode(name: str, t: Translator) -> str:
    """Return a delivery mode with a short explanation, as in ``digest (one message …)``."""
    if name == DIGEST:
        return t.gettext("digest (one message listing the matching papers of each digest)")
    if name == THREAD:
        return t.gettext("thread (one message per digest, with its cards in the Slack thread)")
    return t.gettext("cards (one message per paper)")


def chat_modes(subscriptions: Sequence[Subscription]) -> list[str]:
    """Return the distinct modes of ``subscriptions`` in /list order."""
    return list(dict.fromkeys(subscription.mode for subscription in subscriptions))


def _modes_text(subscriptions: Sequence[Subscription], t: Translator) -> str:
    return ", ".join(describe_mode(name, t) for name in chat_modes(subscriptions))


def _show(existing: Sequence[Subscription], t: Translator) -> str:
    usage = t.gettext("Change it with /mode cards, /mode digest or /mode thread (Slack only); "
                      "/mode N digest changes subscription N alone.")
    if not existing:
        return t.gettext("This chat has no subscriptions yet. New ones deliver as {mode}.",
                         mode=describe_mode(CARDS, t)) + "\n" + usage
    modes = chat_modes(existing)
    if len(modes) == 1:
        return t.gettext("Delivery mode: {mode}.", mode=describe_mode(modes[0], t)) + "\n" + usage
    lines = [t.gettext("Delivery modes of this chat's subscriptions:")]
    lines.extend(f"{number}. {subscription.rule}: {subscription.mode}"
                 for number, subscription in enumerate(existing, start=1))
    lines.append(usage)
    return "\n".join(lines)
