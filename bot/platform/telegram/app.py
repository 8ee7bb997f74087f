"""The Telegram side of the bot: a python-telegram-bot Application wired to the commands."""

from __future__ import annotations

import logging

from telegram import BotCommand, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import InvalidToken, TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.commands import COMMANDS, CardsReply, CommandRouter, parse_command_line
from bot.errors import ConfigError, PlatformUnavailable
from bot.i18n import N_, get_translator
from bot.platform.base import Target
from bot.platform.telegram.messenger import TelegramMessenger
from bot.store import ChatRef

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
_ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})


def build_application(*, token: str, base_url: str) -> Application:  # type: ignore[type-arg]
    """Build the Application that talks to the Bot API at ``base_url``."""
    return ApplicationBuilder().token(token).base_url(base_url).build()


class TelegramFrontend:
    """Receive Telegram updates, run commands through the router, send the replies."""

    def __init__(self, application: Application, router: CommandRouter) -> None:  # type: ignore[type-arg]
        self.application = application
        self.messenger = TelegramMessenger(application.bot)
        self._router = router
        for name in COMMANDS:
            application.add_handler(CommandHandler(name, self._on_command))
        application.add_handler(MessageHandler(
            filters.COMMAND & filters.ChatType.PRIVATE, self._on_command))
        application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self._on_migrate))
        application.add_error_handler(self._on_error)

    async def start(self, *, polling: bool = True) -> None:
        """Connect, publish the command menu and handle updates; long-poll when ``polling``.

        Without polling, updates come from ``application.update_queue`` (webhook mode) or
        from nowhere until ``start_polling`` (an instance that is not the leader).
        """
        try:
            await self.application.initialize()
        except InvalidToken:
            # The library's message repeats the token, so none of it is passed on.
            raise ConfigError("TELEGRAM_BOT_TOKEN was rejected by the Bot API; copy the "
                              "token again from @BotFather") from None
        except TelegramError as error:
            raise PlatformUnavailable(
                f"cannot reach the Telegram Bot API at TELEGRAM_API_URL: {error}. Check the "
                "URL and the network; start-up is retried by your service manager") from None
        await self._publish_commands()
        await self.application.start()
        if polling:
            await self.start_polling()

    async def start_polling(self) -> None:
        """Start long polling, unless it is running already."""
        assert self.application.updater is not None  # noqa: S101  # built with an updater
        if self.application.updater.running:
            return
        await self.application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        logger.info("telegram polling started username=%s", self.application.bot.username)

    async def stop_polling(self) -> None:
        """Stop long polling, if it is running; updates already fetched are still handled."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
            logger.info("telegram polling stopped")

    async def stop(self) -> None:
        """Stop polling and close the HTTP connections."""
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()
        logger.info("telegram stopped")

    async def _publish_commands(self) -> None:
        for language in ("en", "zh"):
            t = get_translator(language)
            commands = [BotCommand(name, t.gettext(_MENU[name])) for name in COMMANDS]
            try:
                await self.application.bot.set_my_commands(
                    commands, language_code=None if language == "en" else language)
            except TelegramError as error:
                logger.warning("could not publish the command menu language=%s error=%s",
                               language, error)

    async def _on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        chat = update.effective_chat
        user = update.effective_user
        if message is None or chat is None or not message.text:
            return
        parsed = parse_command_line(message.text, bot_username=context.bot.username)
        if parsed is None:
            return
        name, args = parsed
        thread_id = str(message.message_thread_id) if message.is_topic_message else None

        async def is_admin() -> bool:
            if chat.type == ChatType.PRIVATE or user is None:
                return True
            try:
                member = await context.bot.get_chat_member(chat.id, user.id)
            except TelegramError as error:
                logger.warning("admin check failed chat_id=%s error=%s", chat.id, error)
                return False
            return member.status in _ADMIN_STATUSES

        command_context = await self._router.context(
            ChatRef(PLATFORM, str(chat.id)), kind=chat.type, is_admin=is_admin,
            thread_id=thread_id)
        replies = await self._router.handle(command_context, name, args)
        target = Target(ChatRef(PLATFORM, str(chat.id)), thread_id)
        for reply in replies:
            if isinstance(reply, CardsReply):
                for paper in reply.papers:
                    await self.messenger.send_card(target, paper, t=command_context.t)
            else:
                await self.messenger.send_text(target, reply.text)

    async def _on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        if message is None or message.migrate_to_chat_id is None or update.effective_chat is None:
            return
        store = self._router.services.store
        old = await store.chats.find(ChatRef(PLATFORM, str(update.effective_chat.id)))
        if old is not None:
            await store.chats.move(old.pk, str(message.migrate_to_chat_id))
            logger.info("chat moved chat_id=%s new_chat_id=%s", update.effective_chat.id,
                        message.migrate_to_chat_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram update failed error=%r", context.error,
                     exc_info=context.error)


# Short descriptions for Telegram's command menu; message ids of the catalog.
_MENU = {
    "start": N_("Start and show help"),
    "help": N_("Commands and filter syntax"),
    "subscribe": N_("Subscribe: /subscribe Google"),
    "unsubscribe": N_("Remove a subscription: /unsubscribe 1"),
    "list": N_("List this chat's subscriptions"),
    "top": N_("Best papers of the latest digest: /top 3"),
    "today": N_("Overview of the latest digest"),
    "lang": N_("Reply language: /lang zh or /lang en"),
    "time": N_("Daily push time: /time 09:00 or /time now"),
    "tz": N_("Time zone: /tz Europe/Berlin"),
    "quiet": N_("Quiet hours: /quiet 23:00-07:00 or /quiet off"),
    "mode": N_("Delivery mode: /mode cards, digest or thread"),
    "status": N_("Latest digest, sent and waiting cards"),
}
