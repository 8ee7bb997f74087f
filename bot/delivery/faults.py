"""Delivery errors grouped by the action the sender takes, and the retry back-off.

- ``RateLimited`` → ``WAIT``: pause the chat for ``retry_after``, resend the same card.
- ``TemporaryFailure`` → ``BACK_OFF``: resend after an exponential, jittered delay, at
  most ``max_attempts`` tries in a row.
- ``RecipientGone`` → ``DEACTIVATE``: pause the chat and fail the cards it waits for.
- ``ChatMoved`` → ``MOVE``: give the chat its new id and resend there.
- ``MessageTooLong`` → ``FAIL``: the messenger has already split the message as far as
  line boundaries allow.
- other ``MessageRejected`` (formatting) → ``PLAIN``: resend once as plain text.
- ``SendOutcomeUnknown``, ``PartlySent`` and anything else → ``FAIL``: resending could
  show the chat a second copy, or cannot help.
"""

from __future__ import annotations

import enum
import random

from bot.errors import (
    ChatMoved,
    DeliveryError,
    MessageRejected,
    RateLimited,
    RecipientGone,
    TemporaryFailure,
)
from bot.platform.base import MessageTooLong

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_MAX_SECONDS = 300.0
_RANDOM = random.Random()  # noqa: S311  # retry jitter, not cryptography


class Action(enum.Enum):
    """What the sender does about a failed send."""

    WAIT = "wait"
    BACK_OFF = "back_off"
    DEACTIVATE = "deactivate"
    MOVE = "move"
    PLAIN = "plain"
    FAIL = "fail"


def action_for(error: DeliveryError) -> Action:
    """Return the action for ``error``; the table in this module's docstring lists them."""
    if isinstance(error, RateLimited):
        return Action.WAIT
    if isinstance(error, TemporaryFailure):
        return Action.BACK_OFF
    if isinstance(error, RecipientGone):
        return Action.DEACTIVATE
    if isinstance(error, ChatMoved):
        return Action.MOVE
    if isinstance(error, MessageTooLong):
        return Action.FAIL
    if isinstance(error, MessageRejected):
        return Action.PLAIN
    return Action.FAIL


def backoff_delay(failures: int, *, rng: random.Random | None = None,
                  base: float = BACKOFF_BASE_SECONDS, cap: float = BACKOFF_MAX_SECONDS) -> float:
    """Return the wait before the next try after ``failures`` failed tries in a row.

    The delay doubles with each failure up to ``cap`` seconds, and is drawn uniformly
    from half to all of that ("equal jitter"), so senders that failed together do not
    retry together.
    """
    ceiling = min(cap, base * 2.0 ** max(0, failures - 1))
    draw = (rng or _RANDOM).uniform(0.5, 1.0)
    return ceiling * draw
