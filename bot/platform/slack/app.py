"""The Slack side of the bot: a Bolt AsyncApp wired to the commands, over Socket Mode or HTTP."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any, Final

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.commands import CommandRouter, parse_command_line
from bot.errors import ConfigError, DeliveryError, MessageRejected
from bot.i18n import Translator
from bot.platform.base import Target
from bot.platform.slack.blocks import LINK_ACTION_PREFIX, SlackMessage
from bot.platform.slack.errors import CLIENT_ERRORS, map_error_code, needs_invite
from bot.platform.slack.messenger import PLATFORM, SlackMessenger
from bot.platform.slack.replies import (
    SLASH_COMMAND,
    Outgoing,
    command_line,
    join,
    pack,
    plain_messages,
    reply_messages,
    text_messages,
)
from bot.store import ChatRef

logger = logging.getLogger(__name__)

EVENTS_PATH: Final = "/slack/events"
# How long ``start`` waits for the Socket Mode WebSocket before giving up.
CONNECT_TIMEOUT_SECONDS: Final = 30.0


def build_app(*, bot_token: str, api_url: str, signing_secret: str | None = None) -> AsyncApp:
    """Build the Bolt app that calls the Web API at ``api_url``.

    With ``signing_secret``, Bolt checks each HTTP request's ``X-Slack-Signature`` and
    rejects a ``X-Slack-Request-Timestamp`` more than five minutes off. Socket Mode
    requests skip that check: the WebSocket itself was opened with the app token.
    """
    # No automatic retry: slack-sdk would resend after a dropped connection, and a card
    # that may have arrived must not be posted twice (see bot.platform.slack.errors).
    client = AsyncWebClient(token=bot_token, base_url=api_url, retry_handlers=[])
    # Bolt copies this logger's level to each logger it makes. It has none of its own, so
    # all of them follow the ``slack_bolt`` logger, whose level ``bot.logs`` caps.
    logger = logging.getLogger("slack_bolt.paperbot")
    return AsyncApp(client=client, signing_secret=signing_secret or "", name="paperbot",
                    logger=logger, request_verification_enabled=True)


class SlackFrontend:
    """Receive ``/papers`` commands, mentions and direct messages, and send the replies.

    Anyone who can use ``/papers`` in a channel may change its subscriptions and
    language. Slack has no per-channel administrator role that an app can check, and
    every member can already post, invite and rename in a channel.

    Replies to ``/papers`` are visible only to the person who typed it, cards included:
    they go to the command's ``response_url``, which works even in channels the bot has
    not joined. Replies to a mention are visible only to its author, except cards, which
    go to the channel. In a direct message every reply is an ordinary message.
    """

    def __init__(self, app: AsyncApp, router: CommandRouter, *, app_token: str | None = None,
                 port: int = 3000, host: str | None = None) -> None:
        self.app = app
        self.messenger = SlackMessenger(app.client)
        self._router = router
        self._app_token = app_token
        self._port = port
        self._host = host
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self.bot_user_id: str | None = None
        self.bot_name = "paperbot"
        app.command(SLASH_COMMAND)(self._on_slash_command)
        app.event("app_mention")(self._on_mention)
        app.event("message")(self._on_message)
        app.event("member_joined_channel")(self._on_member_joined)
        app.action(re.compile(f"^{LINK_ACTION_PREFIX}"))(self._on_link_clicked)
        app.error(self._on_error)

    @property
    def mode(self) -> str:
        """``socket`` with an app token, else ``http``."""
        return "socket" if self._app_token else "http"

    @property
    def http_port(self) -> int | None:
        """The port the HTTP endpoint listens on, once started in HTTP mode."""
        if self._runner is None:
            return None
        for address in self._runner.addresses:
            return int(address[1])
        return None

    async def start(self) -> None:
        """Check the tokens, then connect to Socket Mode or start the HTTP endpoint.

        Raises ConfigError when Slack rejects the bot token or the app token.
        """
        auth = await self._checked("SLACK_BOT_TOKEN", self.app.client.auth_test())
        self.bot_user_id = str(auth["user_id"])
        self.bot_name = str(auth.get("user") or self.bot_name)
        if self._app_token:
            await self._connect_socket_mode(self._app_token)
            logger.info("slack socket mode connected bot_user_id=%s", self.bot_user_id)
            return
        server = self.app.server(port=self._port, path=EVENTS_PATH, host=self._host)
        self._runner = web.AppRunner(server.web_app)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, self._port).start()
        logger.info("slack http endpoint listening port=%s path=%s bot_user_id=%s",
                    self.http_port, EVENTS_PATH, self.bot_user_id)

    async def handle_events(self, request: web.Request) -> web.Response:
        """Dispatch a request Slack posted, for another aiohttp server mounting ``EVENTS_PATH``.

        Bolt checks the request's signature against the signing secret, as on SLACK_PORT.
        """
        response = await self.app.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def stop(self) -> None:
        """Close the WebSocket or the HTTP endpoint."""
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]  # unannotated in slack-bolt
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        logger.info("slack stopped")

    async def _connect_socket_mode(self, app_token: str) -> None:
        # Asking for the WebSocket URL ourselves checks the app token first: the Socket
        # Mode client would retry a rejected token forever.
        opened = await self._checked("SLACK_APP_TOKEN",
                                  self.app.client.apps_connections_open(app_token=app_token))
        self._socket = AsyncSocketModeHandler(self.app, app_token=app_token,
                                              web_client=self.app.client)
        self._socket.client.wss_uri = str(opened["url"])
        try:
            await asyncio.wait_for(
                self._socket.connect_async(),  # type: ignore[no-untyped-call]  # unannotated in slack-bolt
                CONNECT_TIMEOUT_SECONDS)
        except TimeoutError:
            raise TimeoutError(f"no Socket Mode connection to Slack within "
                               f"{CONNECT_TIMEOUT_SECONDS:g} s; check the network") from None

    async def _checked(self, setting: str, request: Any) -> Any:
        try:
            return await request
        except SlackApiError as error:
            code = error.response.get("error")
            raise ConfigError(f"{setting}: rejected by Slack ({code}); copy the token again "
                              "from the app's settings page") from None

    async def _on_slash_command(self, ack: AsyncAck, command: dict[str, Any],
                                respond: AsyncRespond) -> None:
        await ack()
        channel = str(command["channel_id"])
        kind = "private" if _is_direct(channel, command.get("channel_name")) else "channel"
        text = str(command.get("text") or "")
        t, outgoing = await self._run(channel=channel, kind=kind, text=text, thread_ts=None)
        if kind == "channel" and any(item.paper is not None for item in outgoing):
            outgoing += text_messages(t.gettext(
                "Only you can see these cards. To post them for the whole channel, send: "
                "@{bot} {command}", bot=self.bot_name, command=command_line(
                    text, bot_user_id=self.bot_user_id)))
        await self._respond(respond, outgoing)

    async def _on_mention(self, event: dict[str, Any]) -> None:
        await self._reply_to_message(event)

    async def _on_message(self, event: dict[str, Any]) -> None:
        # Only a person's new message in a direct message with the bot is a command.
        # Edits, deletions and bot posts carry a subtype or a bot_id.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        await self._reply_to_message(event)

    async def _on_member_joined(self, event: dict[str, Any]) -> None:
        if event.get("user") != self.bot_user_id:
            return
        chats = self._router.services.store.chats
        chat = await chats.find(ChatRef(PLATFORM, str(event.get("channel"))))
        if chat is not None and not chat.active:
            await chats.set_active(chat.pk, active=True)
            logger.info("chat resumed, bot invited chat=%s", chat.ref)

    async def _on_link_clicked(self, ack: AsyncAck) -> None:
        # Link buttons open their URL in the browser; Slack still expects an ack when
        # interactivity is switched on for the app.
        await ack()

    async def _on_error(self, error: Exception) -> None:
        logger.error("slack request failed error=%r", error, exc_info=error)

    async def _reply_to_message(self, event: dict[str, Any]) -> None:
        channel = str(event["channel"])
        user = event.get("user")
        thread_ts = event.get("thread_ts")
        kind = "private" if _is_direct(channel, event.get("channel_type")) else "channel"
        _, outgoing = await self._run(channel=channel, kind=kind,
                                      text=str(event.get("text") or ""), thread_ts=thread_ts)
        target = Target(ChatRef(PLATFORM, channel), thread_ts)
        for item in outgoing:
            try:
                if item.paper is None and kind == "channel" and user:
                    await self.messenger.post_ephemeral(channel=channel, user=str(user),
                                                        message=item.message, thread_ts=thread_ts)
                else:
                    await self._post(target, item)
            except DeliveryError as error:
                logger.warning("reply not sent chat=%s error=%s", target.chat, error)

    async def _run(self, *, channel: str, kind: str, text: str,
                   thread_ts: str | None) -> tuple[Translator, list[Outgoing]]:
        """Run one command line from ``channel``; return the chat's translator and the replies."""
        ref = ChatRef(PLATFORM, channel)
        previous = await self._router.services.store.chats.find(ref)
        parsed = parse_command_line(command_line(text, bot_user_id=self.bot_user_id))
        name, args = parsed if parsed is not None else ("help", "")

        async def anyone_may_manage() -> bool:
            return True

        context = await self._router.context(ref, kind=kind, is_admin=anyone_may_manage,
                                             thread_id=thread_ts)
        replies = await self._router.handle(context, name, args)
        outgoing = reply_messages(replies, t=context.t)
        if previous is not None and not previous.active and needs_invite(previous.inactive_reason):
            # The router has just resumed the chat, and the hint explains the missing cards.
            outgoing = text_messages(context.t.gettext(
                "I could not post the latest cards here because I am not a member of this "
                "channel. Invite me with /invite @{bot} and the waiting cards will follow.",
                bot=self.bot_name)) + outgoing
        return context.t, outgoing

    async def _post(self, target: Target, item: Outgoing) -> None:
        try:
            await self.messenger.post(target, item.message, mrkdwn=item.paper is not None)
        except MessageRejected as error:
            if not item.message.blocks:
                raise
            logger.warning("card rejected, sending plain text chat=%s error=%s", target.chat,
                           error)
            for message in plain_messages([item]):
                await self.messenger.post(target, message, mrkdwn=False)

    async def _respond(self, respond: AsyncRespond, outgoing: Sequence[Outgoing]) -> None:
        # NOTE: Slack accepts five responses per response_url. Packing keeps /papers top 20
        # at four (three messages of cards and the note); a plain-text fallback adds more.
        for group in pack(outgoing):
            message = join(group)
            try:
                error = await self._respond_once(respond, message)
                if isinstance(error, MessageRejected) and message.blocks:
                    logger.warning("slash command cards rejected, sending plain text error=%s",
                                   error)
                    for plain in plain_messages(group):
                        await self._respond_once(respond, plain)
            except CLIENT_ERRORS as error:
                logger.warning("slash command response failed error=%s", error)
                return

    async def _respond_once(self, respond: AsyncRespond,
                            message: SlackMessage) -> DeliveryError | None:
        """Send one ephemeral response to the command; return the error if Slack rejected it."""
        response = await respond(text=message.text, blocks=list(message.blocks) or None,
                                 response_type="ephemeral")
        if response.status_code == HTTPStatus.OK:
            return None
        # A response_url returns a bare error code as text, not the Web API's JSON.
        code = response.body.strip() or f"http_{response.status_code}"
        error = map_error_code(code, status=response.status_code)
        logger.warning("slash command response rejected status=%s error=%s",
                       response.status_code, error)
        return error


def _is_direct(channel: str, channel_type: object) -> bool:
    """Tell whether ``channel`` is a direct message: Slack's ids for those start with D."""
    return channel.startswith("D") or channel_type in ("im", "directmessage")
