"""Every platform error we know of maps to a delivery error and an action."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from http import HTTPStatus

import httpx
import pytest
from telegram import error as tg

from bot.delivery.faults import Action, action_for, backoff_delay
from bot.errors import (
    ChatMoved,
    DeliveryError,
    MessageRejected,
    RateLimited,
    RecipientGone,
    TemporaryFailure,
)
from bot.platform.base import MessageTooLong, PartlySent, SendOutcomeUnknown
from bot.platform.slack.errors import ERROR_ACTIONS, map_error_code
from bot.platform.telegram.errors import map_telegram_error
from tests.fakes.telegram_api import FakeTelegram


def _caused(error: tg.TelegramError, cause: Exception) -> tg.TelegramError:
    error.__cause__ = cause
    return error


# One example of every error class python-telegram-bot defines, with the action it gets.
TELEGRAM_CLASSES: dict[type[tg.TelegramError], tuple[Callable[[], tg.TelegramError], Action]] = {
    tg.TelegramError: (lambda: tg.TelegramError("Unknown"), Action.PLAIN),
    tg.Forbidden: (lambda: tg.Forbidden("Forbidden: bot was blocked by the user"),
                   Action.DEACTIVATE),
    tg.InvalidToken: (lambda: tg.InvalidToken("Unauthorized"), Action.PLAIN),
    tg.EndPointNotFound: (lambda: tg.EndPointNotFound("Not Found"), Action.PLAIN),
    tg.NetworkError: (lambda: tg.NetworkError("Bad Gateway"), Action.BACK_OFF),
    tg.BadRequest: (lambda: tg.BadRequest("Bad Request: can't parse entities"), Action.PLAIN),
    tg.TimedOut: (lambda: _caused(tg.TimedOut(), httpx.ReadTimeout("read")), Action.FAIL),
    tg.ChatMigrated: (lambda: tg.ChatMigrated(-1001234), Action.MOVE),
    tg.RetryAfter: (lambda: tg.RetryAfter(dt.timedelta(seconds=3)), Action.WAIT),
    tg.Conflict: (lambda: tg.Conflict("Conflict: terminated by other getUpdates"),
                  Action.PLAIN),
    tg.PassportDecryptionError: (lambda: tg.PassportDecryptionError("bad"), Action.PLAIN),
}


def test_every_telegram_error_class_has_a_case() -> None:
    defined = {value for value in vars(tg).values()
               if isinstance(value, type) and issubclass(value, tg.TelegramError)}
    assert defined == set(TELEGRAM_CLASSES)


@pytest.mark.parametrize("error_class", list(TELEGRAM_CLASSES), ids=lambda cls: cls.__name__)
def test_telegram_error_class_maps_to_action(error_class: type[tg.TelegramError]) -> None:
    make, action = TELEGRAM_CLASSES[error_class]
    mapped = map_telegram_error(make())
    assert isinstance(mapped, DeliveryError)
    assert action_for(mapped) is action


@pytest.mark.parametrize(("error", "expected"), [
    (tg.BadRequest("Bad Request: message is too long"), MessageTooLong),
    (tg.BadRequest("Bad Request: chat not found"), RecipientGone),
    (tg.BadRequest("Bad Request: not enough rights to send text messages to the chat"),
     RecipientGone),
    (tg.BadRequest("Bad Request: group chat was deleted"), RecipientGone),
    (tg.Forbidden("Forbidden: user is deactivated"), RecipientGone),
    (tg.Forbidden("Forbidden: bot was kicked from the supergroup chat"), RecipientGone),
    (tg.BadRequest("Bad Request: can't parse entities: unsupported start tag"),
     MessageRejected),
    (tg.NetworkError("Internal Server Error (500)"), TemporaryFailure),
    (_caused(tg.NetworkError("httpx.ConnectError: refused"), httpx.ConnectError("refused")),
     TemporaryFailure),
    (_caused(tg.TimedOut(), httpx.ConnectTimeout("connect")), TemporaryFailure),
    (_caused(tg.TimedOut("Pool timeout"), httpx.PoolTimeout("pool")), TemporaryFailure),
    (_caused(tg.TimedOut(), httpx.WriteTimeout("write")), TemporaryFailure),
    (_caused(tg.TimedOut(), httpx.ReadTimeout("read")), SendOutcomeUnknown),
    (_caused(tg.NetworkError("httpx.ReadError: reset"), httpx.ReadError("reset")),
     SendOutcomeUnknown),
    (_caused(tg.NetworkError("httpx.RemoteProtocolError: disconnected"),
             httpx.RemoteProtocolError("disconnected")), SendOutcomeUnknown),
    (tg.TimedOut(), SendOutcomeUnknown),
    (tg.NetworkError("Too Many Requests: retry after 7"), RateLimited),
], ids=["too-long", "chat-not-found", "no-rights", "group-deleted", "deactivated", "kicked",
        "entities", "500", "connect-refused", "connect-timeout", "pool-timeout",
        "write-timeout", "read-timeout", "read-error", "disconnected", "timeout-no-cause",
        "429-without-parameters"])
def test_telegram_error_description_maps(error: tg.TelegramError,
                                         expected: type[DeliveryError]) -> None:
    assert type(map_telegram_error(error)) is expected


def test_retry_after_seconds_kept() -> None:
    mapped = map_telegram_error(tg.RetryAfter(dt.timedelta(seconds=12)))
    assert isinstance(mapped, RateLimited)
    assert mapped.retry_after == 12.0


def test_retry_after_read_from_description() -> None:
    mapped = map_telegram_error(tg.NetworkError("Too Many Requests: retry after 7"))
    assert isinstance(mapped, RateLimited)
    assert mapped.retry_after == 7.0


def test_migrated_chat_keeps_new_id() -> None:
    mapped = map_telegram_error(tg.ChatMigrated(-1001234))
    assert isinstance(mapped, ChatMoved)
    assert mapped.new_chat_id == "-1001234"


@pytest.mark.parametrize(("steer", "expected"), [
    (lambda fake: fake.fail_next(status=HTTPStatus.TOO_MANY_REQUESTS, retry_after=3),
     Action.WAIT),
    (lambda fake: fake.fail_next(status=HTTPStatus.BAD_GATEWAY), Action.BACK_OFF),
    (lambda fake: fake.fail_next(status=HTTPStatus.INTERNAL_SERVER_ERROR), Action.BACK_OFF),
    (lambda fake: fake.fail_next(status=HTTPStatus.SERVICE_UNAVAILABLE), Action.BACK_OFF),
    (lambda fake: fake.block(5001), Action.DEACTIVATE),
    (lambda fake: fake.kick(5001), Action.DEACTIVATE),
    (lambda fake: fake.migrate(5001, -1005001), Action.MOVE),
    (lambda fake: fake.limit_text_length(3), Action.FAIL),
    (lambda fake: fake.fail_next(status=HTTPStatus.BAD_REQUEST,
                                 description="Bad Request: can't parse entities"),
     Action.PLAIN),
    (lambda fake: fake.fail_next(status=HTTPStatus.UNAUTHORIZED, description="Unauthorized"),
     Action.PLAIN),
], ids=["429", "502", "500", "503", "blocked", "kicked", "migrated", "too-long", "entities",
        "401"])
async def test_bot_api_answer_maps_to_action(fake_telegram: FakeTelegram,
                                             steer: Callable[[FakeTelegram], None],
                                             expected: Action) -> None:
    steer(fake_telegram)
    async with fake_telegram.make_bot() as bot:
        with pytest.raises(tg.TelegramError) as raised:
            await bot.send_message(chat_id=5001, text="a card")
    assert action_for(map_telegram_error(raised.value)) is expected


@pytest.mark.parametrize("code", sorted(ERROR_ACTIONS), ids=str)
def test_every_known_slack_code_has_an_action(code: str) -> None:
    assert isinstance(action_for(map_error_code(code)), Action)


@pytest.mark.parametrize(("error", "expected"), [
    (SendOutcomeUnknown("timed out"), Action.FAIL),
    (PartlySent("1 part arrived", message_ids=["7"]), Action.FAIL),
    (MessageTooLong("too long"), Action.FAIL),
    (MessageRejected("bad entities"), Action.PLAIN),
    (DeliveryError("anything else"), Action.FAIL),
], ids=["unknown-outcome", "partly-sent", "too-long", "rejected", "base"])
def test_delivery_error_action(error: DeliveryError, expected: Action) -> None:
    assert action_for(error) is expected


@pytest.mark.parametrize(("failures", "low", "high"), [
    (1, 0.5, 1.0), (2, 1.0, 2.0), (3, 2.0, 4.0), (20, 150.0, 300.0),
], ids=["first", "second", "third", "capped"])
def test_backoff_doubles_with_jitter(failures: int, low: float, high: float) -> None:
    rng = random.Random(7)  # noqa: S311  # a seeded jitter source
    delays = [backoff_delay(failures, rng=rng) for _ in range(50)]
    assert min(delays) >= low
    assert max(delays) <= high
    assert len(set(delays)) > 1
