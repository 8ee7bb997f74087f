"""Send cards and text through the Bot API with python-telegram-bot."""

from __future__ import annotations

import logging

from telegram import Bot, LinkPreviewOptions, Message
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError

from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.base import Target
from bot.platform.plaintext import render_card_text
from bot.platform.telegram.errors import map_telegram_error
from bot.platform.telegram.render import render_card
from bot.platform.text import split_text

logger = logging.getLogger(__name__)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)


class TelegramMessenger:
    """The Telegram ``Messenger``: message ids are returned as strings."""

    platform = "telegram"

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Send a card as HTML with arXiv and PDF buttons."""
        card = render_card(paper, t=t)
        message = await self._send(target, card.text, parse_mode=ParseMode.HTML,
                                   reply_markup=card.reply_markup)
        return str(message.message_id)

    async def send_plain_card(self, target: Target, paper: Paper, *, t: Translator) -> str:
        """Send a card as plain text, shortened to one message like the formatted card."""
        text = render_card_text(paper, t=t, max_length=MessageLimit.MAX_TEXT_LENGTH)
        return await self.send_text(target, text)

    async def send_text(self, target: Target, text: str) -> str:
        """Send plain text, split at line boundaries into messages within the length limit."""
        message_id = ""
        for part in split_text(text, limit=MessageLimit.MAX_TEXT_LENGTH):
            message = await self._send(target, part, parse_mode=None, reply_markup=None)
            message_id = str(message.message_id)
        return message_id

    async def _send(self, target: Target, text: str, *, parse_mode: str | None,
                    reply_markup: object) -> Message:
        thread_id = int(target.thread_id) if target.thread_id else None
        try:
            return await self._bot.send_message(
                chat_id=int(target.chat.chat_id), text=text, parse_mode=parse_mode,
                reply_markup=reply_markup,  # type: ignore[arg-type]  # InlineKeyboardMarkup | None
                message_thread_id=thread_id, link_preview_options=_NO_PREVIEW)
        except TelegramError as error:
            raise map_telegram_error(error) from error
