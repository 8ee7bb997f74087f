"""Filter text from a chat: parsed into a rule, or an error reply in the chat's language."""

from __future__ import annotations

from bot.commands.context import CommandContext, TextReply
from bot.errors import FilterSyntaxError
from bot.matcher.filters import Rule, parse_rule


def parse_or_reply(context: CommandContext, text: str, *, command: str) -> Rule | TextReply:
    """Parse ``text`` into a rule, or return the reply that explains what is wrong with it."""
    t = context.t
    try:
        return parse_rule(text)
    except FilterSyntaxError as error:
        reason = t.gettext(error.reason, **error.params)
        return TextReply(t.gettext(
            "Invalid filter term \"{term}\": {reason}\n"
            "Example: /{command} tag:\"Frontier Lab\" score>=35\n"
            "Send /help for the filter syntax.",
            term=error.term, reason=reason, command=command))
