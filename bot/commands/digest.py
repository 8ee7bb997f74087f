"""/top and /today: the latest digest on demand."""

from __future__ import annotations

from bot.commands.context import CardsReply, CommandContext, Reply, TextReply
from bot.commands.filters import parse_or_reply
from bot.commands.titles import display_title
from bot.matcher.describe import describe_rule

DEFAULT_TOP = 3
MAX_TOP = 20


async def top(context: CommandContext, args: str) -> list[Reply]:
    """Send the N best papers of the latest digest by score, optionally filtered."""
    t = context.t
    count = DEFAULT_TOP
    first, _, rest = args.partition(" ")
    filter_text = args
    if first.lstrip("-").isdigit():
        count = int(first)
        filter_text = rest.strip()
        if not 1 <= count <= MAX_TOP:
            return [TextReply(t.gettext(
                "/top takes a number from 1 to {max}, not {value}. Example: /top 5",
                max=MAX_TOP, value=first))]
    digest = await context.services.store.digests.latest()
    if digest is None:
        return [TextReply(t.gettext("No digest is stored yet. Try again after the next one."))]
    papers = list(digest.papers)
    date = digest.date.isoformat()
    if not filter_text:
        best = sorted(papers, key=lambda p: (-p.score, p.rank))[:count]
        return [CardsReply(tuple(best))]
    rule = parse_or_reply(context, filter_text, command="top")
    if isinstance(rule, TextReply):
        return [rule]
    papers = [p for p in papers if rule.matches(p, context.services.orgs)]
    described = describe_rule(rule, t)
    if not papers:
        return [TextReply(t.gettext("No paper of the {date} digest matches: {rule}.",
                                    date=date, rule=described))]
    best = sorted(papers, key=lambda p: (-p.score, p.rank))[:count]
    if len(best) < count:
        note = t.ngettext("Only {n} paper of the {date} digest matches: {rule}.",
                          "Only {n} papers of the {date} digest match: {rule}.",
                          len(best), date=date, rule=described)
        return [TextReply(note), CardsReply(tuple(best))]
    return [CardsReply(tuple(best))]


async def today(context: CommandContext, args: str) -> list[Reply]:
    """Give an overview of the latest digest: date, paper count, titles with scores."""
    t = context.t
    digest = await context.services.store.digests.latest()
    if digest is None:
        return [TextReply(t.gettext("No digest is stored yet. Try again after the next one."))]
    lines = [t.ngettext("Digest of {date}: {n} paper", "Digest of {date}: {n} papers",
                        len(digest.papers), date=digest.date.isoformat())]
    for paper in digest.papers:
        marker = "🏆 " if paper.featured else ""
        title = display_title(paper, t)
        lines.append(f"{paper.rank}. {marker}{title} ({paper.score:g})")
    lines.append(t.gettext("Send /top 3 for the best papers as cards."))
    return [TextReply("\n".join(lines))]
