"""The paperbot error hierarchy: one root, subclasses named for what went wrong."""

from __future__ import annotations

from pathlib import Path


class PaperbotError(Exception):
    """Root of every error paperbot raises on purpose."""


class ConfigError(PaperbotError):
    """One or more settings are invalid; the message has one line per bad value."""


class DatabaseUnavailable(PaperbotError):
    """The database named by DATABASE_URL cannot be reached."""


class PlatformUnavailable(PaperbotError):
    """A chat platform's API could not be reached at start-up."""


class DigestParseError(PaperbotError):
    """A digest file could not be parsed.

    ``str(error)`` reads ``FILE:LINE: what is wrong``, so it can be printed as is.
    """

    def __init__(self, message: str, *, path: Path | str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        self.reason = message
        self.path = str(path) if path is not None else "<digest>"
        self.line = line
        self.field = field
        location = self.path if line is None else f"{self.path}:{line}"
        super().__init__(f"{location}: {message}")


class FilterSyntaxError(PaperbotError):
    """A subscription filter could not be parsed.

    ``term`` is the offending term as the user typed it; ``reason`` is a message id
    from the catalog so the chat reply can be translated.
    """

    def __init__(self, term: str, reason: str, **params: object) -> None:
        self.term = term
        self.reason = reason
        self.params = params
        super().__init__(f"invalid filter term {term!r}: {reason.format(**params)}")


class DeliveryError(PaperbotError):
    """A platform did not accept a message. Each subclass names the action to take."""


class RecipientGone(DeliveryError):
    """The chat blocked or removed the bot, or no longer exists: stop sending to it."""


class ChatMoved(DeliveryError):
    """The chat has a new id (a Telegram group upgraded to a supergroup): resend there."""

    def __init__(self, message: str, *, new_chat_id: str) -> None:
        super().__init__(message)
        self.new_chat_id = new_chat_id


class RateLimited(DeliveryError):
    """The platform asked us to wait ``retry_after`` seconds before sending again."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TemporaryFailure(DeliveryError):
    """A timeout, a connection error or a 5xx: the same message may be sent again later."""


class MessageRejected(DeliveryError):
    """The platform rejected the message itself (formatting, length): resending it won't help."""
