"""Read and check a subscriptions document, reporting a problem as ``FILE:LINE: what is wrong``.

The YAML is composed into nodes rather than loaded into Python values, so every value
keeps the line it came from. Text fields take the text as written: ``10:30`` stays a
time instead of YAML 1.1's sexagesimal 630, and ``chat_id: 5001`` becomes ``"5001"``.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass

import yaml
from sqlalchemy import String

from bot.errors import FilterSyntaxError, PaperbotError
from bot.i18n import SUPPORTED_LANGUAGES
from bot.matcher.filters import parse_rule
from bot.store.schema import ChatRow, SubscriptionRow

FORMAT_VERSION = 1
PLATFORMS = ("telegram", "slack", "console")
MODES = ("cards", "digest", "thread")

_CLOCK_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
_TELEGRAM_CHAT_ID = re.compile(r"-?\d+")
_NULL_TAG = "tag:yaml.org,2002:null"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_INT_TAG = "tag:yaml.org,2002:int"
_CHAT_KEYS = ("platform", "chat_id", "kind", "language", "timezone", "push_time", "quiet_start",
              "quiet_end", "active", "inactive_reason", "subscriptions")
_SUBSCRIPTION_KEYS = ("rule", "thread_id", "mode")


class TransferError(PaperbotError):
    """A subscriptions document is malformed; ``str(error)`` reads ``FILE:LINE: what is wrong``."""

    def __init__(self, message: str, *, source: str, line: int | None) -> None:
        self.source = source
        self.line = line
        location = source if line is None else f"{source}:{line}"
        super().__init__(f"{location}: {message}")


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    """A subscription as the document writes it; ``rule`` is the canonical filter text."""

    rule: str
    thread_id: str | None = None
    mode: str = "cards"


@dataclass(frozen=True, slots=True)
class ChatRecord:
    """A chat as the document writes it, with its settings and subscriptions."""

    platform: str
    chat_id: str
    kind: str = "private"
    language: str | None = None
    timezone: str | None = None
    push_time: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    active: bool = True
    inactive_reason: str | None = None
    subscriptions: tuple[SubscriptionRecord, ...] = ()


def load(text: str, *, source: str) -> list[ChatRecord]:
    """Read and check a document written by ``transfer.dump`` (or by hand).

    Raises ``TransferError`` naming ``source`` and the line of the first problem found.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        raise TransferError(f"invalid YAML: {error.problem or error.context}", source=source,
                            line=None if mark is None else mark.line + 1) from None
    except yaml.YAMLError as error:
        raise TransferError(f"invalid YAML: {error}", source=source, line=None) from None
    if root is None:
        raise TransferError(f"the document is empty; expected 'version: {FORMAT_VERSION}' and "
                            "'chats:'", source=source, line=1)
    return _Reader(source).document(root)


class _Reader:
    """Turn checked nodes into records; every check raises ``TransferError`` at its node."""

    def __init__(self, source: str) -> None:
        self._source = source

    def document(self, node: yaml.Node) -> list[ChatRecord]:
        fields = self._mapping(node, "the document", ("version", "chats"),
                               required=("version", "chats"))
        version = fields["version"]
        if not (isinstance(version, yaml.ScalarNode) and version.tag == _INT_TAG
                and int(version.value) == FORMAT_VERSION):
            raise self._error(version, f"unsupported version {_shown(version)}; this paperbot "
                                       f"reads version {FORMAT_VERSION}")
        chats: list[ChatRecord] = []
        first_lines: dict[tuple[str, str], int] = {}
        for item in self._sequence(fields["chats"], "chats"):
            chat = self._chat(item)
            key = (chat.platform, chat.chat_id)
            if key in first_lines:
                raise self._error(item, f"chat {chat.platform}:{chat.chat_id} is listed twice "
                                        f"(first at line {first_lines[key]})")
            first_lines[key] = _line(item)
            chats.append(chat)
        return chats

    def _chat(self, node: yaml.Node) -> ChatRecord:
        fields = self._mapping(node, "a chat", _CHAT_KEYS, required=("platform", "chat_id"))
        platform = self._text(fields["platform"], "platform", column=ChatRow.platform)
        if platform not in PLATFORMS:
            raise self._error(fields["platform"], f"unknown platform {platform!r}; expected "
                                                  f"one of {', '.join(PLATFORMS)}")

        chat_id = self._text(fields["chat_id"], "chat_id", column=ChatRow.chat_id)
        if platform == "telegram" and not _TELEGRAM_CHAT_ID.fullmatch(chat_id):
            raise self._error(fields["chat_id"], f"chat_id {chat_id!r} is not a Telegram chat "
                                                 "id; expected an integer such as 12345")

        language = self._optional_text(fields.get("language"), "language")
        if language is not None and language not in SUPPORTED_LANGUAGES:
            raise self._error(fields["language"], f"unsupported language {language!r}; expected "
                                                  f"{' or '.join(SUPPORTED_LANGUAGES)} or null")
        timezone = self._optional_text(fields.get("timezone"), "timezone",
                                       column=ChatRow.timezone)
        if timezone is not None and not _is_zone(timezone):
            raise self._error(fields["timezone"], f"unknown time zone {timezone!r}; expected an "
                                                  "IANA name such as Asia/Shanghai or null")

        push_time = self._clock_time(fields.get("push_time"), "push_time")
        quiet_start = self._clock_time(fields.get("quiet_start"), "quiet_start")
        quiet_end = self._clock_time(fields.get("quiet_end"), "quiet_end")
        if (quiet_start is None) != (quiet_end is None):
            raise self._error(node, "quiet_start and quiet_end must be set together or both "
                                    "be null")

        active = True if "active" not in fields else self._boolean(fields["active"], "active")
        reason = self._optional_text(fields.get("inactive_reason"), "inactive_reason")
        if active and reason is not None:
            raise self._error(fields["inactive_reason"], "inactive_reason is set but active is "
                                                         "true; remove it or set active: false")

        kind = self._optional_text(fields.get("kind"), "kind", column=ChatRow.kind)
        return ChatRecord(
            platform=platform, chat_id=chat_id, kind=kind or "private", language=language,
            timezone=timezone, push_time=push_time, quiet_start=quiet_start,
            quiet_end=quiet_end, active=active, inactive_reason=reason,
            subscriptions=self._subscriptions(fields.get("subscriptions"), platform))

    def _subscriptions(self, node: yaml.Node | None,
                       platform: str) -> tuple[SubscriptionRecord, ...]:
        records: list[SubscriptionRecord] = []
        first_lines: dict[tuple[str, str | None], int] = {}
        for item in self._sequence(node, "subscriptions"):
            fields = self._mapping(item, "a subscription", _SUBSCRIPTION_KEYS, required=("rule",))
            written = self._text(fields["rule"], "rule")
            try:
                rule = parse_rule(written).to_text()
            except FilterSyntaxError as error:
                raise self._error(fields["rule"], f"rule {written!r} is not a valid filter: "
                                                  f"{error}") from None
            thread_id = self._optional_text(fields.get("thread_id"), "thread_id",
                                            column=SubscriptionRow.thread_id)
            mode = self._optional_text(fields.get("mode"), "mode") or "cards"
            if mode not in MODES or (mode == "thread" and platform != "slack"):
                raise self._error(fields["mode"], f"mode {mode!r} is not valid here; expected "
                                                  "cards or digest (or thread on Slack)")
            key = (rule.casefold(), thread_id)
            if key in first_lines:
                raise self._error(item, f"subscription {written!r} is listed twice for this chat "
                                        f"(first at line {first_lines[key]})")
            first_lines[key] = _line(item)
            records.append(SubscriptionRecord(rule=rule, thread_id=thread_id, mode=mode))
        return tuple(records)

    def _mapping(self, node: yaml.Node, what: str, allowed: tuple[str, ...], *,
                 required: tuple[str, ...]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self._error(node, f"expected {what} as 'key: value' lines, found "
                                    f"{_kind(node)}")
        fields: dict[str, yaml.Node] = {}
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name not in allowed:
                raise self._error(key, f"unknown key {_shown(key)} in {what}; expected one of: "
                                       f"{', '.join(allowed)}")
            if name in fields:
                raise self._error(key, f"key {name!r} appears twice in {what}")
            fields[name] = value
        for name in required:
            if name not in fields:
                raise self._error(node, f"{what} lacks the key {name!r}")
        return fields

    def _sequence(self, node: yaml.Node | None, name: str) -> list[yaml.Node]:
        if node is None or _is_null(node):
            return []
        if not isinstance(node, yaml.SequenceNode):
            raise self._error(node, f"{name} must be a list ('- ' items), found {_kind(node)}")
        return list(node.value)

    def _text(self, node: yaml.Node, name: str, *, column: object = None) -> str:
        value = self._optional_text(node, name, column=column)
        if not value:
            raise self._error(node, f"{name} must not be empty")
        return value

    def _optional_text(self, node: yaml.Node | None, name: str, *,
                       column: object = None) -> str | None:
        if node is None or _is_null(node):
            return None
        if not isinstance(node, yaml.ScalarNode):
            raise self._error(node, f"{name} must be text, found {_kind(node)}")
        value = str(node.value)
        limit = _max_length(column)
        if limit is not None and len(value) > limit:
            raise self._error(node, f"{name} is {len(value)} characters long; the maximum is "
                                    f"{limit}")
        return value

    def _clock_time(self, node: yaml.Node | None, name: str) -> str | None:
        value = self._optional_text(node, name)
        if value is not None and not _CLOCK_TIME.fullmatch(value):
            assert node is not None  # noqa: S101  # a value was read from it
            raise self._error(node, f"{name} {value!r} is not a time; expected HH:MM on the "
                                    "24-hour clock, such as '09:00', or null")
        return value

    def _boolean(self, node: yaml.Node, name: str) -> bool:
        if not (isinstance(node, yaml.ScalarNode) and node.tag == _BOOL_TAG):
            raise self._error(node, f"{name} must be true or false, found {_shown(node)}")
        return bool(yaml.SafeLoader.bool_values[str(node.value).lower()])

    def _error(self, node: yaml.Node, message: str) -> TransferError:
        return TransferError(message, source=self._source, line=_line(node))


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == _NULL_TAG


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    return f"the value {node.value!r}"


def _shown(node: yaml.Node) -> str:
    return repr(node.value) if isinstance(node, yaml.ScalarNode) else _kind(node)


def _max_length(column: object) -> int | None:
    # Widths come from bot.store.schema, so PostgreSQL never rejects a row mid-import.
    column_type = getattr(column, "type", None)
    return column_type.length if isinstance(column_type, String) else None


def _is_zone(name: str) -> bool:
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True
