"""The permission check for commands that change a chat's subscriptions and settings."""

from __future__ import annotations

from bot.commands.context import CommandContext, TextReply

GROUP_KINDS = frozenset({"group", "supergroup", "channel"})


async def refusal_if_not_admin(context: CommandContext) -> TextReply | None:
    """Return a polite refusal when a non-administrator tries to change a group chat."""
    if context.chat.kind not in GROUP_KINDS:
        return None
    if await context.is_admin():
        return None
    return TextReply(context.t.gettext(
        "Sorry, only administrators of this chat can change its subscriptions and "
        "settings. You can still use /top, /today and /list."))
