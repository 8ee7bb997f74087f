"""/start and /help: what the bot does and how to use each command."""

from __future__ import annotations

from bot.commands.context import CommandContext, Reply, TextReply


async def start(context: CommandContext, args: str) -> list[Reply]:
    """Greet the chat and show the help text."""
    t = context.t
    greeting = t.gettext("Hello! I send the papers of each daily digest that match your "
                         "subscriptions, one card per paper.")
    return [TextReply(greeting + "\n\n" + help_text(context))]


async def help_(context: CommandContext, args: str) -> list[Reply]:
    """Show the commands with examples."""
    return [TextReply(help_text(context))]


def help_text(context: CommandContext) -> str:
    """Return the help text in the chat's language."""
    return context.t.gettext(
        "Commands:\n"
        "/subscribe FILTER: get new papers that match FILTER\n"
        "  /subscribe Google\n"
        "  /subscribe tag:\"Frontier Lab\" score>=35\n"
        "  /subscribe org:Meta org:Google -tag:Viral\n"
        "  /subscribe kw:diffusion upvotes>20\n"
        "  /subscribe all\n"
        "/list: show your subscriptions, numbered\n"
        "/unsubscribe N: remove subscription N (or /unsubscribe all)\n"
        "/top [N] [FILTER]: the N best papers of the latest digest by score "
        "(default 3, at most 20), e.g. /top 5 tag:\"Frontier Lab\"\n"
        "/today: overview of the latest digest\n"
        "/lang zh|en: reply language of this chat\n"
        "/time HH:MM: send new cards once a day at this local time, e.g. /time 09:00 "
        "(/time now: as soon as a digest arrives)\n"
        "/tz ZONE: time zone of this chat, e.g. /tz Europe/Berlin\n"
        "/quiet HH:MM-HH:MM: hold cards during these hours, e.g. /quiet 23:00-07:00 "
        "(/quiet off to stop)\n"
        "/mode cards|digest|thread: one message per paper, one list per digest, or a Slack "
        "thread; /mode N digest sets subscription N alone\n"
        "/status: latest digest, what was sent, what is waiting and why\n"
        "/help: this text\n"
        "\n"
        "Filters: a bare word or \"quoted phrase\" is an organisation; keys are "
        "org:, tag:, kw: (words in titles, summary or highlights); compare score, "
        "upvotes or stars with >= > <= < =. Different keys must all match, a repeated "
        "key matches any of its values, and a leading - excludes. In Telegram groups only "
        "administrators can change subscriptions, language and delivery settings.")
