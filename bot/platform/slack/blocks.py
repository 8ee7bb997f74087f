"""Render a paper card as a Slack Block Kit message within Slack's block and text limits."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.card import BULLET, ELLIPSIS, FEATURED_MARK, CardContent, card_links, shorten
from bot.platform.slack.mrkdwn import escape, link

logger = logging.getLogger(__name__)

# Limits from slack-sdk's Block Kit models, which count characters (code points) as
# ``len`` does; ``to_dict`` raises SlackObjectFormationError when one is exceeded.
MAX_HEADER_TEXT: Final = HeaderBlock.text_max_length
MAX_SECTION_TEXT: Final = SectionBlock.text_max_length
MAX_CONTEXT_ELEMENTS: Final = ContextBlock.elements_max_length
MAX_BUTTON_TEXT: Final = ButtonElement.text_max_length
MAX_BUTTON_URL: Final = ButtonElement.url_max_length
# Slack's Block Kit reference: a message holds at most 50 blocks.
MAX_BLOCKS_PER_MESSAGE: Final = 50
# Slack's chat.postMessage reference recommends at most 4,000 characters of ``text`` and
# truncates beyond 40,000, so longer plain texts are split into several messages.
MAX_TEXT_LENGTH: Final = 4000

LINK_ACTION_PREFIX: Final = "paperbot_link_"


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A message body: Block Kit blocks and the ``text`` Slack shows in notifications.

    ``text`` is mrkdwn (already escaped) and never empty; ``blocks`` may be empty for a
    text-only message.
    """

    text: str
    blocks: tuple[dict[str, Any], ...] = ()


def render_card(paper: Paper, *, t: Translator) -> SlackMessage:
    """Render ``paper`` as header, title links, facts, summary, highlights and link buttons.

    Every value from the digest is escaped for mrkdwn or sent as plain_text, and each
    text is cut to its block's limit, so Slack accepts the card whatever the digest
    holds. Empty optional fields (short-format digests, blank tags) produce no block.
    """
    content = CardContent.from_paper(paper)
    heading = _heading_prefix(content)
    blocks: list[Block] = [HeaderBlock(text=_plain(_header_text(heading, content.title)))]

    full_title = content.title if len(heading) + len(content.title) > MAX_HEADER_TEXT else None
    subtitle = content.subtitle if content.subtitle and content.subtitle.strip() else None
    if full_title is not None or subtitle is not None:
        text = _title_section(full_title, subtitle, paper.abs_url)
        blocks.append(SectionBlock(text=_mrkdwn(text)))

    blocks.append(ContextBlock(elements=[_mrkdwn(fact) for fact in _facts(content, t=t)]))
    if content.summary is not None:
        blocks.append(SectionBlock(text=_mrkdwn(_labelled(t.gettext("Summary"),
                                                          content.summary))))
    if content.highlights:
        items = "\n".join(f"{BULLET} {item}" for item in content.highlights)
        blocks.append(SectionBlock(text=_mrkdwn(_labelled(t.gettext("Highlights"), items))))

    buttons = _buttons(paper, t=t)
    if buttons:
        blocks.append(ActionsBlock(elements=buttons))
    return SlackMessage(text=_fallback_text(heading, content),
                        blocks=tuple(block.to_dict() for block in blocks))


def _heading_prefix(content: CardContent) -> str:
    return f"{FEATURED_MARK} {content.rank}. " if content.featured else f"{content.rank}. "


def _header_text(heading: str, title: str) -> str:
    cut = shorten(title, MAX_HEADER_TEXT - len(heading), len)
    return heading + (cut if cut is not None else ELLIPSIS)


def _facts(content: CardContent, *, t: Translator) -> list[str]:
    facts = [(t.gettext("Organization"), content.org), (t.gettext("Score"), content.score),
             (t.gettext("Tags"), content.tags), (t.gettext("Upvotes"), content.upvotes),
             (t.gettext("Stars"), content.stars)]
    # The colon is a catalog entry, as in the other renderers: Chinese uses the full-width one.
    texts = [_labelled(label, value, separator=t.gettext(": ")) for label, value in facts
             if value is not None]
    return texts[:MAX_CONTEXT_ELEMENTS]


def _labelled(label: str, value: str, *, separator: str = "\n") -> str:
    """Return ``*label*`` and the escaped value, cut so the whole fits a section."""
    head = f"*{escape(label)}*{separator}"
    cut = shorten(value, MAX_SECTION_TEXT - len(head), _escaped_length)
    return head + escape(cut if cut is not None else ELLIPSIS)


def _title_section(full_title: str | None, subtitle: str | None, page: str | None) -> str:
    """Return the full title when the header cut it, and the English title as a link."""
    lines = [escape(full_title)] if full_title is not None else []
    if subtitle is not None:
        lines.append(link(page, subtitle) if page else escape(subtitle))
    text = "\n".join(lines)
    if len(text) <= MAX_SECTION_TEXT:
        return text
    # Only titles or URLs of thousands of characters get here: the link is dropped, as
    # cutting it could leave a broken ``<url|label>``, and the titles are cut as text.
    raw = "\n".join(line for line in (full_title, subtitle) if line is not None)
    cut = shorten(raw, MAX_SECTION_TEXT, _escaped_length)
    return escape(cut if cut is not None else ELLIPSIS)


def _buttons(paper: Paper, *, t: Translator) -> list[ButtonElement]:
    buttons = []
    for index, card_link in enumerate(card_links(paper, t=t)):
        if len(card_link.url) > MAX_BUTTON_URL:
            logger.warning("card link left out, URL too long key=%s length=%d", paper.key,
                           len(card_link.url))
            continue
        label = shorten(card_link.label, MAX_BUTTON_TEXT, len) or ELLIPSIS
        buttons.append(ButtonElement(text=_plain(label), url=card_link.url,
                                     action_id=f"{LINK_ACTION_PREFIX}{index}"))
    return buttons


def _fallback_text(heading: str, content: CardContent) -> str:
    summary = f"{heading}{content.title}"
    if content.org is not None:
        summary += f" ({content.org}, {content.score})"
    cut = shorten(summary, MAX_TEXT_LENGTH, _escaped_length)
    return escape(cut if cut is not None else heading)


def _plain(text: str) -> PlainTextObject:
    # emoji=False keeps ``:name:`` sequences in digest text from turning into emoji.
    return PlainTextObject(text=text, emoji=False)


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text)


def _escaped_length(text: str) -> int:
    return len(escape(text))
