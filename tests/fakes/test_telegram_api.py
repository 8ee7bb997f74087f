"""Tests of the fake Bot API: its HTML checks, and its responses to python-telegram-bot."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import httpx
import pytest
from telegram import (
    Bot,
    BotCommand,
    ChatMemberAdministrator,
    ChatMemberMember,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
)
from telegram.ext import CommandHandler, ContextTypes

from tests.fakes.telegram_api import BOT_USERNAME, FakeTelegram, ManualClock
from tests.fakes.telegram_html import (
    ApiError,
    EntityParseError,
    check_message_text,
    parse_html,
)

LIMIT = MessageLimit.MAX_TEXT_LENGTH


@pytest.fixture
async def bot(fake_telegram: FakeTelegram) -> AsyncIterator[Bot]:
    async with fake_telegram.make_bot() as started:
        yield started


# -- the HTML parser ------------------------------------------------------------------


@pytest.mark.parametrize(("markup", "entity_type"), [
    pytest.param("<b>x</b>", "bold", id="b"),
    pytest.param("<strong>x</strong>", "bold", id="strong"),
    pytest.param("<i>x</i>", "italic", id="i"),
    pytest.param("<em>x</em>", "italic", id="em"),
    pytest.param("<u>x</u>", "underline", id="u"),
    pytest.param("<ins>x</ins>", "underline", id="ins"),
    pytest.param("<s>x</s>", "strikethrough", id="s"),
    pytest.param("<strike>x</strike>", "strikethrough", id="strike"),
    pytest.param("<del>x</del>", "strikethrough", id="del"),
    pytest.param('<span class="tg-spoiler">x</span>', "spoiler", id="span-spoiler"),
    pytest.param("<tg-spoiler>x</tg-spoiler>", "spoiler", id="tg-spoiler"),
    pytest.param('<a href="https://example.org/">x</a>', "text_link", id="a"),
    pytest.param("<code>x</code>", "code", id="code"),
    pytest.param("<pre>x</pre>", "pre", id="pre"),
    pytest.param("<blockquote>x</blockquote>", "blockquote", id="blockquote"),
    pytest.param("<blockquote expandable>x</blockquote>", "expandable_blockquote",
                 id="blockquote-expandable"),
    pytest.param('<tg-emoji emoji-id="5368324170671202286">x</tg-emoji>', "custom_emoji",
                 id="tg-emoji"),
])
def test_parse_html_supported_tag(markup: str, entity_type: str) -> None:
    parsed = parse_html(markup)

    assert parsed.text == "x"
    assert [entity["type"] for entity in parsed.entities] == [entity_type]


def test_parse_html_pre_code_language() -> None:
    parsed = parse_html('<pre><code class="language-python">x = 1</code></pre>')

    assert parsed.entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]


def test_parse_html_offsets_in_utf16_units() -> None:
    parsed = parse_html("<b>😀</b><i>中</i>")

    assert parsed.entities == [{"type": "bold", "offset": 0, "length": 2},
                               {"type": "italic", "offset": 2, "length": 1}]


@pytest.mark.parametrize(("markup", "text"), [
    pytest.param("&lt;&gt;&amp;&quot;", '<>&"', id="named"),
    pytest.param("&#60;&#x3c;", "<<", id="numeric"),
    pytest.param("&#128512;", "😀", id="numeric-astral"),
    pytest.param("R&D", "R&D", id="bare-ampersand"),
    pytest.param("a > b", "a > b", id="bare-greater-than"),
    pytest.param("&lt", "<", id="named-without-semicolon"),
])
def test_parse_html_decodes_entities(markup: str, text: str) -> None:
    assert parse_html(markup).text == text


@pytest.mark.parametrize(("markup", "reason"), [
    pytest.param("a < b", 'Unsupported start tag "" at byte offset 2', id="bare-less-than"),
    pytest.param("p<0.0001 here", 'Unsupported start tag "0.0001" at byte offset 1',
                 id="p-value"),
    pytest.param("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0',
                 id="unsupported-tag"),
    pytest.param("中文 <x>", 'Unsupported start tag "x" at byte offset 7', id="byte-offset-cjk"),
    pytest.param("ab<b", "Unclosed start tag at byte offset 2", id="unclosed-start-tag"),
    pytest.param("&foo;", 'Unsupported HTML entity "&foo;" at byte offset 0',
                 id="unknown-named-entity"),
    pytest.param("<b>bold", 'Can\'t find end tag corresponding to start tag "b"',
                 id="unclosed-b"),
    pytest.param("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", '
                 'found "</i>"', id="mismatched-end-tag"),
    pytest.param("x</b>", "Unexpected end tag at byte offset 1", id="end-tag-without-start"),
    pytest.param("<b>x</b", "Unclosed end tag at byte offset 4", id="unclosed-end-tag"),
    pytest.param('<span class="x">y</span>',
                 'Tag "span" must have class "tg-spoiler" at byte offset 0', id="plain-span"),
    pytest.param("&#55357;&#56832;", "Text contains invalid Unicode characters after decoding "
                 "HTML entities, check for unmatched surrogate code units", id="surrogates"),
])
def test_parse_html_rejects(markup: str, reason: str) -> None:
    with pytest.raises(EntityParseError) as caught:
        parse_html(markup)

    assert str(caught.value) == reason


@pytest.mark.parametrize("text", [
    pytest.param("a" * LIMIT, id="ascii"),
    pytest.param("😀" * (LIMIT // 2), id="emoji"),
    pytest.param(f"<b>{'a' * LIMIT}</b>", id="tags-not-counted"),
    pytest.param("&amp;" * LIMIT, id="entities-count-once"),
])
def test_check_message_text_accepts_limit(text: str) -> None:
    parsed = check_message_text(text, ParseMode.HTML)

    assert len(parsed.text.encode("utf-16-le")) // 2 == LIMIT


@pytest.mark.parametrize("text", [
    pytest.param("a" * (LIMIT + 1), id="ascii"),
    pytest.param("😀" * (LIMIT // 2) + "a", id="emoji-counts-two"),
    pytest.param("&amp;" * (LIMIT + 1), id="entities"),
])
def test_check_message_text_rejects_over_limit(text: str) -> None:
    with pytest.raises(ApiError) as caught:
        check_message_text(text, ParseMode.HTML)

    assert caught.value.error_code == 400
    assert caught.value.description == "Bad Request: message is too long"


@pytest.mark.parametrize("text", [
    pytest.param("<b></b>", id="only-tags"),
    pytest.param(" \n ", id="whitespace"),
])
def test_check_message_text_rejects_empty(text: str) -> None:
    with pytest.raises(ApiError) as caught:
        check_message_text(text, ParseMode.HTML)

    assert caught.value.description == "Bad Request: message text is empty"


# -- sendMessage over HTTP --------------------------------------------------------------


async def test_get_me_returns_username(bot: Bot) -> None:
    me = await bot.get_me()

    assert me.username == BOT_USERNAME
    assert me.is_bot


async def test_send_message_recorded(fake_telegram: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("arXiv", url="https://arxiv.org/abs/1")]])

    message = await bot.send_message(-1001234567890123, "<b>hi</b> &amp; bye",
                                     parse_mode=ParseMode.HTML, reply_markup=markup,
                                     message_thread_id=7)

    sent = fake_telegram.sent[0]
    assert sent.chat_id == -1001234567890123
    assert sent.text == "<b>hi</b> &amp; bye"
    assert sent.display_text == "hi & bye"
    assert sent.parse_mode == "HTML"
    assert sent.message_thread_id == 7
    assert sent.reply_markup == {"inline_keyboard": [[{"text": "arXiv",
                                                       "url": "https://arxiv.org/abs/1"}]]}
    assert message.message_id == sent.message_id
    assert message.text == "hi & bye"
    assert message.entities[0].type == "bold"


async def test_send_message_json_body_accepted(fake_telegram: FakeTelegram) -> None:
    url = f"{fake_telegram.base_url}{fake_telegram.token}/sendMessage"
    async with httpx.AsyncClient() as client:
        response = await client.post(url, json={"chat_id": 5, "text": "<i>hi</i>",
                                                "parse_mode": "HTML"})

    assert response.status_code == 200
    assert response.json()["ok"] is True
    assert fake_telegram.sent[0].display_text == "hi"


async def test_send_message_bare_less_than_rejected(fake_telegram: FakeTelegram,
                                                    bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(1, "p<0.0001 in trials", parse_mode=ParseMode.HTML)

    assert fake_telegram.rejected[0].description == (
        'Bad Request: can\'t parse entities: Unsupported start tag "0.0001" at byte offset 1')
    assert fake_telegram.sent == []


async def test_send_message_unknown_entity_rejected(fake_telegram: FakeTelegram,
                                                    bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(1, "fish &chips;", parse_mode=ParseMode.HTML)

    assert fake_telegram.rejected[0].description == (
        'Bad Request: can\'t parse entities: Unsupported HTML entity "&chips;" at byte offset 5')


async def test_send_message_unclosed_tag_rejected(fake_telegram: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(1, "<b>bold", parse_mode=ParseMode.HTML)

    assert fake_telegram.rejected[0].description == (
        'Bad Request: can\'t parse entities: Can\'t find end tag corresponding to start tag "b"')


async def test_send_message_length_limit(fake_telegram: FakeTelegram, bot: Bot) -> None:
    await bot.send_message(1, f"<b>{'a' * LIMIT}</b>", parse_mode=ParseMode.HTML)
    with pytest.raises(BadRequest):
        await bot.send_message(1, f"<b>{'a' * (LIMIT + 1)}</b>", parse_mode=ParseMode.HTML)

    assert len(fake_telegram.sent) == 1
    assert fake_telegram.rejected[0].description == "Bad Request: message is too long"


async def test_send_message_emoji_counts_two_units(fake_telegram: FakeTelegram,
                                                   bot: Bot) -> None:
    await bot.send_message(1, "😀" * (LIMIT // 2))
    with pytest.raises(BadRequest):
        await bot.send_message(1, "😀" * (LIMIT // 2) + "a")

    assert len(fake_telegram.sent) == 1
    assert fake_telegram.rejected[0].description == "Bad Request: message is too long"


@pytest.mark.parametrize(("button", "description"), [
    pytest.param(InlineKeyboardButton("x", url="javascript:alert(1)"),
                 "Bad Request: inline keyboard button URL 'javascript:alert(1)' is invalid: "
                 "Unsupported URL protocol", id="url-scheme"),
    pytest.param(InlineKeyboardButton("x", url="https:///path"),
                 "Bad Request: inline keyboard button URL 'https:///path' is invalid: "
                 "Wrong HTTP URL", id="url-host"),
    pytest.param(InlineKeyboardButton("x", callback_data="d" * 65),
                 "Bad Request: BUTTON_DATA_INVALID", id="callback-data-65-bytes"),
    pytest.param(InlineKeyboardButton("", url="https://arxiv.org/"),
                 "Bad Request: inline keyboard button text is empty", id="empty-text"),
])
async def test_send_message_invalid_button_rejected(fake_telegram: FakeTelegram, bot: Bot,
                                                    button: InlineKeyboardButton,
                                                    description: str) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message(1, "card", reply_markup=InlineKeyboardMarkup([[button]]))

    assert fake_telegram.rejected[0].description == description


async def test_send_message_callback_data_64_bytes_accepted(fake_telegram: FakeTelegram,
                                                            bot: Bot) -> None:
    button = InlineKeyboardButton("x", callback_data="d" * 64)

    await bot.send_message(1, "card", reply_markup=InlineKeyboardMarkup([[button]]))

    assert len(fake_telegram.sent) == 1


# -- chats that cannot be reached, flood control, outages ------------------------------


async def test_blocked_chat_raises_forbidden(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.block(42)

    with pytest.raises(Forbidden) as caught:
        await bot.send_message(42, "hello")

    assert caught.value.message == "Forbidden: bot was blocked by the user"
    assert fake_telegram.rejected[0].error_code == 403


async def test_kicked_group_raises_forbidden(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.kick(-5)

    with pytest.raises(Forbidden) as caught:
        await bot.send_message(-5, "hello")

    assert caught.value.message == "Forbidden: bot was kicked from the group chat"


async def test_migrated_group_raises_chat_migrated(fake_telegram: FakeTelegram,
                                                   bot: Bot) -> None:
    fake_telegram.migrate(-5, -1009999999999)

    with pytest.raises(ChatMigrated) as caught:
        await bot.send_message(-5, "hello")
    await bot.send_message(-1009999999999, "hello again")

    assert caught.value.new_chat_id == -1009999999999
    assert fake_telegram.rejected[0].description == (
        "Bad Request: group chat was upgraded to a supergroup chat")
    assert fake_telegram.sent[0].chat_id == -1009999999999


async def test_fail_next_429_raises_retry_after(fake_telegram: FakeTelegram, bot: Bot,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # python-telegram-bot warns on reading an int retry_after unless timedelta is opted in.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake_telegram.fail_next(1, retry_after=7)

    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1, "hello")
    await bot.send_message(1, "hello again")

    assert caught.value.retry_after == dt.timedelta(seconds=7)
    assert fake_telegram.rejected[0].description == "Too Many Requests: retry after 7"
    assert [message.text for message in fake_telegram.sent] == ["hello again"]


async def test_fail_next_502_raises_network_error(fake_telegram: FakeTelegram,
                                                  bot: Bot) -> None:
    fake_telegram.fail_next(2, status=502)

    for _ in range(2):
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(1, "hello")
        assert caught.value.message == "Bad Gateway"
    await bot.send_message(1, "hello again")

    assert len(fake_telegram.sent) == 1


async def test_fail_next_only_hits_named_methods(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.fail_next(1, status=502)

    me = await bot.get_me()

    assert me.username == BOT_USERNAME


async def test_outage_answers_until_ended(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.start_outage()

    with pytest.raises(NetworkError):
        await bot.send_message(1, "hello")
    fake_telegram.end_outage()
    await bot.send_message(1, "hello")

    assert fake_telegram.rejected[0].error_code == 502
    assert len(fake_telegram.sent) == 1


async def test_rate_limit_per_chat(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    clock = ManualClock()
    async with FakeTelegram(clock=clock) as fake:
        fake.enable_rate_limits(per_chat_per_second=1.0, per_chat_burst=3)
        async with fake.make_bot() as limited:
            for _ in range(3):
                await limited.send_message(1, "burst")
            with pytest.raises(RetryAfter) as caught:
                await limited.send_message(1, "one too many")
            await limited.send_message(2, "another chat")
            clock.advance(1.0)
            await limited.send_message(1, "after a second")

    assert caught.value.retry_after == dt.timedelta(seconds=1)
    assert [message.text for message in fake.messages_to(1)] == ["burst"] * 3 + ["after a second"]
    assert [message.text for message in fake.messages_to(2)] == ["another chat"]


async def test_rate_limit_global(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    clock = ManualClock()
    async with FakeTelegram(clock=clock) as fake:
        fake.enable_rate_limits(per_chat_burst=10, global_per_second=2.0)
        async with fake.make_bot() as limited:
            await limited.send_message(1, "first")
            await limited.send_message(2, "second")
            with pytest.raises(RetryAfter):
                await limited.send_message(3, "third")
            clock.advance(0.5)
            await limited.send_message(3, "third, later")

    assert [message.chat_id for message in fake.sent] == [1, 2, 3]


# -- other methods ----------------------------------------------------------------------


async def test_unknown_method_returns_404(fake_telegram: FakeTelegram) -> None:
    url = f"{fake_telegram.base_url}{fake_telegram.token}/sendTelepathy"
    async with httpx.AsyncClient() as client:
        response = await client.post(url)

    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_wrong_token_returns_401(fake_telegram: FakeTelegram) -> None:
    url = f"{fake_telegram.base_url}1:wrong/getMe"
    async with httpx.AsyncClient() as client:
        response = await client.get(url)

    assert response.status_code == 401
    assert response.json()["description"] == "Unauthorized"


async def test_edit_message_text(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(1, "draft")

    edited = await bot.edit_message_text("<b>final</b>", chat_id=1, message_id=sent.message_id,
                                         parse_mode=ParseMode.HTML)

    assert isinstance(edited, Message)
    assert edited.text == "final"
    assert fake_telegram.edited[0].display_text == "final"


async def test_edit_message_text_unknown_message(fake_telegram: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.edit_message_text("text", chat_id=1, message_id=99)

    assert fake_telegram.rejected[0].description == "Bad Request: message to edit not found"


async def test_edit_message_text_unchanged(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(1, "same")

    with pytest.raises(BadRequest):
        await bot.edit_message_text("same", chat_id=1, message_id=sent.message_id)

    assert fake_telegram.rejected[0].description.startswith(
        "Bad Request: message is not modified")


async def test_get_chat_member_statuses(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.set_admin(-5, 77)

    private = await bot.get_chat_member(1, 1)
    member = await bot.get_chat_member(-5, 78)
    admin = await bot.get_chat_member(-5, 77)

    assert isinstance(private, ChatMemberOwner)
    assert isinstance(member, ChatMemberMember)
    assert isinstance(admin, ChatMemberAdministrator)
    assert admin.user.id == 77


async def test_get_chat_reports_type(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.push_message(-1001234567890, "hi", chat_type="supergroup", title="Lab")

    chat = await bot.get_chat(-1001234567890)

    assert chat.type == "supergroup"
    assert chat.title == "Lab"


async def test_my_commands_round_trip(fake_telegram: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("top", "Best papers")], language_code="zh")

    stored = await bot.get_my_commands(language_code="zh")
    default = await bot.get_my_commands()

    assert [(command.command, command.description) for command in stored] == [
        ("top", "Best papers")]
    assert default == ()
    assert fake_telegram.commands(language_code="zh") == [
        {"command": "top", "description": "Best papers"}]


async def test_set_my_commands_invalid_name(fake_telegram: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest):
        await bot.set_my_commands([BotCommand("Top-3", "Best papers")])

    assert fake_telegram.rejected[0].description == "Bad Request: BOT_COMMAND_INVALID"


async def test_webhook_blocks_get_updates(fake_telegram: FakeTelegram, bot: Bot) -> None:
    await bot.set_webhook("https://example.org/hook")
    info = await bot.get_webhook_info()

    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook()
    updates = await bot.get_updates(timeout=0)

    assert info.url == "https://example.org/hook"
    assert updates == ()


async def test_answer_callback_query_recorded(fake_telegram: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(1, "card")
    update = Update.de_json(fake_telegram.push_callback_query(1, sent.message_id, "more"), bot)
    assert update is not None
    assert update.callback_query is not None

    await bot.answer_callback_query(update.callback_query.id, text="ok")

    assert update.callback_query.data == "more"
    assert fake_telegram.answered_callbacks[0]["text"] == "ok"


# -- incoming updates -------------------------------------------------------------------


@pytest.mark.parametrize(("text", "length"), [
    pytest.param("/start", 6, id="plain"),
    pytest.param(f"/top@{BOT_USERNAME} 3", 22, id="addressed"),
    pytest.param("/subscribe 😀", 10, id="argument-not-included"),
])
async def test_push_message_bot_command_entity(fake_telegram: FakeTelegram, bot: Bot,
                                               text: str, length: int) -> None:
    fake_telegram.push_message(1, text)

    updates = await bot.get_updates(timeout=0)

    message = updates[0].message
    assert message is not None
    assert message.entities[0].type == "bot_command"
    assert message.entities[0].offset == 0
    assert message.entities[0].length == length


async def test_push_message_plain_text_has_no_entities(fake_telegram: FakeTelegram,
                                                       bot: Bot) -> None:
    fake_telegram.push_message(1, "hello / world")

    updates = await bot.get_updates(timeout=0)

    assert updates[0].message is not None
    assert updates[0].message.entities == ()


async def test_push_message_group_and_thread(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.push_message(-1001234567890, "/list", user_id=9, chat_type="supergroup",
                               message_thread_id=4, username="alice")

    updates = await bot.get_updates(timeout=0)

    message = updates[0].message
    assert message is not None
    assert message.chat.type == "supergroup"
    assert message.chat.is_forum is True
    assert message.message_thread_id == 4
    assert message.is_topic_message is True
    assert message.from_user is not None
    assert message.from_user.id == 9
    assert message.from_user.username == "alice"


async def test_get_updates_offset_acknowledges(fake_telegram: FakeTelegram, bot: Bot) -> None:
    fake_telegram.push_message(1, "one")
    fake_telegram.push_message(1, "two")

    first = await bot.get_updates(timeout=0)
    again = await bot.get_updates(offset=first[-1].update_id + 1, timeout=0)

    assert [update.message.text for update in first if update.message] == ["one", "two"]
    assert again == ()


async def test_application_answers_command_by_long_polling(fake_telegram: FakeTelegram) -> None:
    async def ping(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("pong")

    application = fake_telegram.application_builder().build()
    application.add_handler(CommandHandler("ping", ping))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling()
        fake_telegram.push_message(42, "/ping")
        sent = await fake_telegram.wait_for_sent(1)
        await application.updater.stop()
        await application.stop()

    assert sent[0].chat_id == 42
    assert sent[0].text == "pong"
