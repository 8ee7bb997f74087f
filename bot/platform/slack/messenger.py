"""Send cards and text to Slack channels with the Web API's chat.postMessage."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from typing import Any

from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery.digest import ENTRY_SEPARATOR, DigestEntry, digest_heading, pack
from bot.delivery.ratelimit import UNLIMITED, RateLimiter
from bot.errors import MessageRejected
from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.base import Target
from bot.platform.plaintext import render_card_text
from bot.platform.slack.blocks import MAX_TEXT_LENGTH, SlackMessage, render_card
from bot.platform.slack.errors import CLIENT_ERRORS, map_slack_error
from bot.platform.slack.mrkdwn import escape, link
from bot.platform.text import split_text

logger = logging.getLogger(__name__)

PLATFORM = "slack"


class SlackMessenger:
    """The Slack ``Messenger``: a chat id is a channel id, a thread id a ``thread_ts``.

    Message ids returned are the ``ts`` of the posted message. ``limiter`` paces every
    chat.postMessage; the service replaces the unlimited default with the configured one.
    Ephemeral replies bypass it: chat.postEphemeral has its own, larger rate limit.
    """

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, *, limiter: RateLimiter | None = None) -> None:
        self._client = client
        self.limiter = limiter or RateLimiter(UNLIMITED)

    async def send_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Post a card as Block Kit blocks with arXiv and PDF buttons."""
        try:
            message = render_card(paper, t=t)
        except SlackClientError as error:
            raise map_slack_error(error) from error
        return await self.post(target, message)

    async def send_plain_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Post a card as plain text, for when Slack rejected its blocks."""
        return await self.send_text(target, render_card_text(paper, t=t))

    async def send_text(self, target: Target, text: str) -> str:
        """Post ``text`` as written, split into messages of at most ``MAX_TEXT_LENGTH``."""
        parts = [part for part in split_text(text, limit=MAX_TEXT_LENGTH) if part.strip()]
        if not parts:
            raise MessageRejected("Slack error no_text: the message is empty")
        ts = ""
        for part in parts:
            ts = await self.post(target, SlackMessage(text=escape(part)), mrkdwn=False)
        return ts

    def split_digest(self, papers: Sequence[Paper], *, t: Translator,
                     date: dt.date) -> list[list[Paper]]:
        """Group ``papers`` into messages of at most ``MAX_TEXT_LENGTH`` characters."""
        sizes = [len(_digest_entry(DigestEntry.from_paper(paper, t=t))) for paper in papers]
        heading = len(escape(digest_heading(t=t, date=date, part=99, parts=99))) + 2
        limit = MAX_TEXT_LENGTH - heading - len(ENTRY_SEPARATOR)
        groups = pack(sizes, limit=limit, separator=len(ENTRY_SEPARATOR), max_items=len(sizes))
        return [[papers[index] for index in group] for group in groups]

    async def send_digest(self, target: Target, papers: Sequence[Paper], *, t: Translator,
                          date: dt.date, part: int = 1, parts: int = 1) -> str:
        """Post one digest message: a bold heading, then one linked entry per paper."""
        heading = escape(digest_heading(t=t, date=date, part=part, parts=parts))
        entries = [_digest_entry(DigestEntry.from_paper(paper, t=t)) for paper in papers]
        text = ENTRY_SEPARATOR.join([f"*{heading}*", *entries])
        return await self.post(target, SlackMessage(text=text))

    async def send_summary(self, target: Target, papers: Sequence[Paper], *, t: Translator,
                           date: dt.date) -> str:
        """Post the opening message of a ``thread`` delivery; its ``ts`` is the thread."""
        heading = escape(digest_heading(t=t, date=date))
        count = t.ngettext("{n} paper matches; its card follows in the thread.",
                           "{n} papers match; their cards follow in the thread.", len(papers))
        return await self.post(target, SlackMessage(text=f"*{heading}*\n{escape(count)}"))

    async def post(self, target: Target, message: SlackMessage, *, mrkdwn: bool = True) -> str:
        """Post ``message`` to the target channel or thread and return its ``ts``.

        ``mrkdwn=False`` makes Slack show ``*``, ``_`` and ``~`` literally.
        """
        arguments: dict[str, Any] = {
            "channel": target.chat.chat_id, "text": message.text,
            "unfurl_links": False, "unfurl_media": False,
        }
        if message.blocks:
            arguments["blocks"] = list(message.blocks)
        if target.thread_id:
            arguments["thread_ts"] = target.thread_id
        if not mrkdwn:
            arguments["mrkdwn"] = False
        await self.limiter.acquire(target.chat.chat_id)
        try:
            response = await self._client.chat_postMessage(**arguments)
        except CLIENT_ERRORS as error:
            raise map_slack_error(error) from error
        finally:
            self.limiter.settle(target.chat.chat_id)
        return str(response.get("ts", ""))

    async def post_ephemeral(self, *, channel: str, user: str, message: SlackMessage,
                             thread_ts: str | None = None) -> None:
        """Post ``message`` to ``channel``, visible only to ``user``."""
        arguments: dict[str, Any] = {"channel": channel, "user": user, "text": message.text}
        if message.blocks:
            arguments["blocks"] = list(message.blocks)
        if thread_ts:
            arguments["thread_ts"] = thread_ts
        try:
            await self._client.chat_postEphemeral(**arguments)
        except CLIENT_ERRORS as error:
            raise map_slack_error(error) from error


def _digest_entry(entry: DigestEntry) -> str:
    title = link(entry.url, entry.title) if entry.url else escape(entry.title)
    return f"*{escape(entry.prefix).rstrip()}* {title}\n{escape(entry.details)}"
