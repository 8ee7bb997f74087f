"""Command replies turned into Slack messages, and Slack message text turned into command lines."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import DividerBlock

from bot.commands import COMMANDS, CardsReply, Reply
from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.plaintext import render_card_text
from bot.platform.slack.blocks import (
    MAX_BLOCKS_PER_MESSAGE,
    MAX_TEXT_LENGTH,
    SlackMessage,
    render_card,
)
from bot.platform.slack.mrkdwn import escape, unescape
from bot.platform.text import split_text

logger = logging.getLogger(__name__)

SLASH_COMMAND: Final = "/papers"
# ``/subscribe`` in a shared reply names a Telegram-style command; in Slack every command
# is a word after ``/papers``. A slash inside a word or path (``a/top``) is left alone.
_COMMAND_REFERENCE = re.compile(
    r"(?<![\w/@<])/(" + "|".join(sorted(COMMANDS, key=len, reverse=True)) + r")\b")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send: Block Kit for cards, with its plain text for when Slack rejects it."""

    message: SlackMessage
    plain: str
    paper: Paper | None = None


def slack_command_text(text: str) -> str:
    """Rewrite ``/top 3`` in a reply as ``/papers top 3``, the form Slack users type."""
    return _COMMAND_REFERENCE.sub(lambda match: f"{SLASH_COMMAND} {match.group(1)}", text)


def command_line(text: str, *, bot_user_id: str | None) -> str:
    """Return the command words of a Slack message: mentions of the bot removed, entities undone.

    Slack sends message text with ``&``, ``<`` and ``>`` escaped and a mention as
    ``<@U123>`` or ``<@U123|name>``.
    """
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return unescape(text).strip()


def text_messages(text: str) -> list[Outgoing]:
    """Split a plain-text reply into messages Slack shows as written."""
    rewritten = slack_command_text(text)
    return [Outgoing(SlackMessage(text=escape(part)), plain=part)
            for part in split_text(rewritten, limit=MAX_TEXT_LENGTH) if part.strip()]


def card_message(paper: Paper, *, t: Translator) -> Outgoing:
    """Return a paper's card as blocks, or as plain text when the blocks cannot be built."""
    plain = render_card_text(paper, t=t)
    try:
        return Outgoing(render_card(paper, t=t), plain=plain, paper=paper)
    except SlackObjectFormationError as error:
        logger.warning("card blocks invalid, sending plain text key=%s error=%s", paper.key, error)
        return Outgoing(SlackMessage(text=escape(plain)), plain=plain, paper=paper)


def reply_messages(replies: Iterable[Reply], *, t: Translator) -> list[Outgoing]:
    """Turn router replies into messages, in order: one per card, one per text part."""
    outgoing: list[Outgoing] = []
    for reply in replies:
        if isinstance(reply, CardsReply):
            outgoing.extend(card_message(paper, t=t) for paper in reply.papers)
        else:
            outgoing.extend(text_messages(reply.text))
    return outgoing


def plain_messages(outgoing: Sequence[Outgoing]) -> list[SlackMessage]:
    """Return the text-only copies of ``outgoing``, for when Slack rejected their blocks."""
    text = "\n\n".join(item.plain for item in outgoing)
    return [SlackMessage(text=escape(part))
            for part in split_text(text, limit=MAX_TEXT_LENGTH) if part.strip()]


def pack(outgoing: Sequence[Outgoing]) -> list[list[Outgoing]]:
    """Group consecutive messages so each group fits one Slack message.

    Cards share a message up to ``MAX_BLOCKS_PER_MESSAGE`` blocks, with a divider
    between them; texts share one up to ``MAX_TEXT_LENGTH`` characters. A text never
    shares a message with cards, because Slack shows a message's ``text`` only in
    notifications once it has blocks.
    """
    groups: list[list[Outgoing]] = []
    for item in outgoing:
        group = groups[-1] if groups else None
        if group is not None and _fits(group, item):
            group.append(item)
        else:
            groups.append([item])
    return groups


def join(group: Sequence[Outgoing]) -> SlackMessage:
    """Return the one message that carries a group from ``pack``."""
    if not group[0].message.blocks:
        return SlackMessage(text="\n".join(item.message.text for item in group))
    divider = DividerBlock().to_dict()
    blocks: list[dict[str, Any]] = []
    for item in group:
        if blocks:
            blocks.append(divider)
        blocks.extend(item.message.blocks)
    text = group[0].message.text
    if len(group) > 1:
        text = "\n".join(item.message.text for item in group)
        if len(text) > MAX_TEXT_LENGTH:
            text = group[0].message.text
    return SlackMessage(text=text, blocks=tuple(blocks))


def _fits(group: Sequence[Outgoing], item: Outgoing) -> bool:
    if bool(group[0].message.blocks) != bool(item.message.blocks):
        return False
    if item.message.blocks:
        used = sum(len(member.message.blocks) + 1 for member in group)
        return used + len(item.message.blocks) <= MAX_BLOCKS_PER_MESSAGE
    used = sum(len(member.message.text) + 1 for member in group)
    return used + len(item.message.text) <= MAX_TEXT_LENGTH
