"""Slack's message checks, as the fake Slack server applies them: Block Kit limits and mrkdwn.

The limits are those of Slack's Block Kit reference, counted in characters (code points)
as slack-sdk's own models count them. ``check_message`` returns the error code Slack
responds with (``invalid_blocks``, ``msg_too_long``, ``no_text``) and the details Slack
lists in ``errors``. ``displayed_text`` reads mrkdwn the way a Slack client shows it and
raises on a ``<``, ``>`` or ``&`` that mrkdwn would misread, which Slack itself does not
reject but shows wrongly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

MAX_BLOCKS = 50
MAX_HEADER_TEXT = 150
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_ELEMENTS = 10
MAX_ACTIONS_ELEMENTS = 25
MAX_BUTTON_TEXT = 75
MAX_URL = 3000
MAX_ACTION_ID = 255
MAX_MESSAGE_TEXT = 40_000
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
_LINK = re.compile(r"<([^<>|]*)(?:\|([^<>]*))?>")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


@dataclass(frozen=True)
class MessageError:
    """Why Slack rejects a message: its error code and the details of ``errors``."""

    code: str
    details: tuple[str, ...] = ()


class MrkdwnError(ValueError):
    """Text that a Slack client would misread as mrkdwn control sequences."""


def check_message(text: object, blocks: object) -> MessageError | None:
    """Return Slack's error for a message with ``text`` and ``blocks``, or None if accepted.

    Unlike Slack, which accepts blocks without ``text`` and only warns, the fake
    requires the ``text`` fallback, because notifications and screen readers show it.
    """
    if not isinstance(text, str) or not text.strip():
        return MessageError("no_text")
    if len(text) > MAX_MESSAGE_TEXT:
        return MessageError("msg_too_long")
    if blocks is None:
        return None
    details = block_errors(blocks)
    return MessageError("invalid_blocks", tuple(details)) if details else None


def block_errors(blocks: object) -> list[str]:
    """Return what is wrong with ``blocks``, in Slack's wording with a JSON pointer."""
    if not isinstance(blocks, list):
        return ["must be an array [json-pointer:/blocks]"]
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict):
            errors.append(f"must be an object [json-pointer:{pointer}]")
            continue
        checker = _BLOCK_CHECKS.get(str(block.get("type")))
        if checker is None:
            errors.append(f"unknown block type [json-pointer:{pointer}/type]")
            continue
        errors.extend(checker(block, pointer))
    return errors


def displayed_text(mrkdwn: str) -> str:
    """Return what a Slack client shows for ``mrkdwn``: links by label, entities decoded.

    Raises MrkdwnError for a ``<`` or ``>`` outside a link and an ``&`` that starts no
    entity, because Slack would take them as control characters.
    """
    shown: list[str] = []
    position = 0
    for match in _LINK.finditer(mrkdwn):
        shown.append(_decode(mrkdwn[position:match.start()]))
        target, label = match.group(1), match.group(2)
        if not target:
            raise MrkdwnError(f"empty link target at {match.start()}: {match.group(0)!r}")
        shown.append(_decode(label if label is not None else target))
        position = match.end()
    shown.append(_decode(mrkdwn[position:]))
    return "".join(shown)


def link_targets(mrkdwn: str) -> list[str]:
    """Return the targets of the ``<target|label>`` links in ``mrkdwn``, entities decoded."""
    return [_decode(match.group(1)) for match in _LINK.finditer(mrkdwn)]


def _decode(text: str) -> str:
    for char in "<>":
        if char in text:
            raise MrkdwnError(f"raw {char!r} in mrkdwn text {text!r}")
    stripped = _ENTITY.sub("", text)
    if "&" in stripped:
        raise MrkdwnError(f"'&' that starts no entity in mrkdwn text {text!r}")
    return _ENTITY.sub(lambda match: _ENTITIES[match.group(1)], text)


def _text_errors(value: object, pointer: str, *, limit: int,
                 types: frozenset[str] = TEXT_TYPES) -> list[str]:
    if not isinstance(value, dict):
        return [f"must be a text object [json-pointer:{pointer}]"]
    errors = []
    if value.get("type") not in types:
        errors.append(f"must be one of {sorted(types)} [json-pointer:{pointer}/type]")
    text = value.get("text")
    if not isinstance(text, str) or not text:
        errors.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
    elif len(text) > limit:
        errors.append(f"must be less than {limit + 1} characters [json-pointer:{pointer}/text]")
    return errors


def _header(block: dict[str, Any], pointer: str) -> list[str]:
    return _text_errors(block.get("text"), f"{pointer}/text", limit=MAX_HEADER_TEXT,
                        types=frozenset({"plain_text"}))


def _section(block: dict[str, Any], pointer: str) -> list[str]:
    if "text" not in block and not block.get("fields"):
        return [f"must provide text or fields [json-pointer:{pointer}]"]
    errors = []
    if "text" in block:
        errors.extend(_text_errors(block["text"], f"{pointer}/text", limit=MAX_SECTION_TEXT))
    for index, item in enumerate(block.get("fields") or []):
        errors.extend(_text_errors(item, f"{pointer}/fields/{index}", limit=2000))
    return errors


def _context(block: dict[str, Any], pointer: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"must provide at least 1 element [json-pointer:{pointer}/elements]"]
    errors = []
    if len(elements) > MAX_CONTEXT_ELEMENTS:
        errors.append(f"no more than {MAX_CONTEXT_ELEMENTS} items allowed "
                      f"[json-pointer:{pointer}/elements]")
    for index, element in enumerate(elements):
        errors.extend(_text_errors(element, f"{pointer}/elements/{index}",
                                   limit=MAX_SECTION_TEXT))
    return errors


def _actions(block: dict[str, Any], pointer: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [f"must provide at least 1 element [json-pointer:{pointer}/elements]"]
    errors = []
    if len(elements) > MAX_ACTIONS_ELEMENTS:
        errors.append(f"no more than {MAX_ACTIONS_ELEMENTS} items allowed "
                      f"[json-pointer:{pointer}/elements]")
    action_ids: set[str] = set()
    for index, element in enumerate(elements):
        where = f"{pointer}/elements/{index}"
        if not isinstance(element, dict) or element.get("type") != "button":
            errors.append(f"unsupported element [json-pointer:{where}]")
            continue
        errors.extend(_text_errors(element.get("text"), f"{where}/text", limit=MAX_BUTTON_TEXT,
                                   types=frozenset({"plain_text"})))
        url = element.get("url")
        if url is not None and (not isinstance(url, str) or not url or len(url) > MAX_URL):
            errors.append(f"invalid url [json-pointer:{where}/url]")
        action_id = element.get("action_id")
        if isinstance(action_id, str):
            if len(action_id) > MAX_ACTION_ID or action_id in action_ids:
                errors.append(f"invalid or repeated action_id [json-pointer:{where}/action_id]")
            action_ids.add(action_id)
    return errors


def _divider(block: dict[str, Any], pointer: str) -> list[str]:
    return []


_BLOCK_CHECKS = {
    "header": _header,
    "section": _section,
    "context": _context,
    "actions": _actions,
    "divider": _divider,
}
