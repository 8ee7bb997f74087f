"""/lang: the chat's reply language."""

from __future__ import annotations

from bot.commands.context import CommandContext, Reply, TextReply
from bot.commands.permissions import refusal_if_not_admin
from bot.i18n import get_translator, normalize_language


async def lang(context: CommandContext, args: str) -> list[Reply]:
    """Set the chat's language to ``zh`` or ``en``."""
    t = context.t
    if not args:
        return [TextReply(t.gettext(
            "Replies in this chat are in English. Use /lang zh for Chinese or /lang en "
            "for English."))]
    language = normalize_language(args)
    if language is None:
        return [TextReply(t.gettext(
            "Unknown language \"{value}\". Use /lang zh for Chinese or /lang en for English.",
            value=args))]
    refusal = await refusal_if_not_admin(context)
    if refusal is not None:
        return [refusal]
    await context.services.store.chats.set_language(context.chat.pk, language)
    return [TextReply(get_translator(language).gettext(
        "Replies in this chat are now in English."))]
