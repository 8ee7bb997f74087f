"""Message checks of the Bot API: HTML parse mode, text length and inline keyboards.

The parser follows ``parse_html`` in TDLib (``td/telegram/MessageEntity.cpp``), which the
Bot API server runs. It has the same supported tags and attribute rules, and it words errors
the same way, with UTF-8 byte offsets. Entity offsets are in UTF-16 code units. One rule is
deliberately stricter: TDLib keeps an unknown named entity such as
``&foo;`` as literal text, while this parser rejects it, because in paperbot output it can
only mean that a value skipped ``html.escape``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from telegram.constants import MessageLimit

SUPPORTED_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "tg-emoji", "tg-time", "code", "pre", "blockquote",
})
BUTTON_URL_SCHEMES = frozenset({"http", "https", "tg"})
MAX_CALLBACK_DATA_BYTES = 64
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACES = frozenset(" \t\r\n\v")
_ATTRIBUTE_NAME_END = _SPACES | frozenset("=>/\"'")
_NAME_TOKEN = frozenset(string.ascii_letters + string.digits + ".-")
_SIMPLE_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough",
    "del": "strikethrough", "tg-spoiler": "spoiler", "span": "spoiler",
}
_OTHER_BUTTON_ACTIONS = ("switch_inline_query", "switch_inline_query_current_chat",
                         "switch_inline_query_chosen_chat", "web_app", "login_url", "pay",
                         "callback_game", "copy_text")
_UNICODE_ERROR = ("Text contains invalid Unicode characters after decoding HTML entities, "
                  "check for unmatched surrogate code units")


class ApiError(Exception):
    """An error response of the Bot API: HTTP status, description and optional parameters."""

    def __init__(self, error_code: int, description: str,
                 parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters


class EntityParseError(ValueError):
    """HTML that Telegram cannot parse. ``str(error)`` is TDLib's wording of the reason."""


@dataclass(frozen=True)
class ParsedText:
    """A message text after parsing: what the chat shows, and its entities as Bot API dicts."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


def utf16_units(text: str) -> int:
    """Count ``text`` in UTF-16 code units, a lone surrogate as one unit."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def parse_html(markup: str) -> ParsedText:
    """Parse ``markup`` in Telegram's HTML style, raising EntityParseError where Telegram would."""
    return _HtmlParser(markup).parse()


def check_message_text(text: str, parse_mode: str | None) -> ParsedText:
    """Apply ``parse_mode`` and the text rules of ``sendMessage``, raising ApiError on a breach.

    The length is counted after parsing, in UTF-16 code units, against
    ``MessageLimit.MAX_TEXT_LENGTH``.

    NOTE: only HTML is parsed. MarkdownV2 and Markdown texts are checked for length as
    given, so a Markdown syntax error passes here although Telegram rejects it.
    """
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            parsed = parse_html(text)
        except EntityParseError as error:
            raise ApiError(400, f"Bad Request: can't parse entities: {error}") from error
    elif mode in ("", "markdown", "markdownv2"):
        parsed = ParsedText(text)
    else:
        raise ApiError(400, f"Bad Request: unsupported parse_mode {parse_mode!r}")

    if not parsed.text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_units(parsed.text) > MessageLimit.MAX_TEXT_LENGTH:
        raise ApiError(400, "Bad Request: message is too long")
    return parsed


def check_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Check an inline keyboard the way Telegram does and return the markup.

    Reply keyboards and the other markup types pass unchecked.
    """
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" not in markup:
        return markup
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup '
                            "must be an Array of Arrays")
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: Field \"text\" "
                            "must be of type String")
    if not button["text"]:
        raise ApiError(400, "Bad Request: inline keyboard button text is empty")
    if "url" in button:
        url = str(button["url"])
        parts = urlsplit(url)
        if parts.scheme.lower() not in BUTTON_URL_SCHEMES:
            raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                                "Unsupported URL protocol")
        if parts.scheme.lower() != "tg" and not parts.netloc:
            raise ApiError(400, f"Bad Request: inline keyboard button URL '{url}' is invalid: "
                                "Wrong HTTP URL")
    elif "callback_data" in button:
        data = str(button["callback_data"]).encode("utf-8")
        if not 1 <= len(data) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    elif not any(key in button for key in _OTHER_BUTTON_ACTIONS):
        raise ApiError(400, "Bad Request: text buttons are unallowed in the inline keyboard")


@dataclass
class _OpenTag:
    name: str
    attributes: dict[str, str]
    offset: int  # UTF-16 offset of the first character inside the tag
    text_start: int  # index into the parsed characters, for an <a> without href


class _HtmlParser:
    def __init__(self, markup: str) -> None:
        self.markup = markup
        self.pos = 0
        self.chars: list[str] = []
        self.units = 0
        self.stack: list[_OpenTag] = []
        self.entities: list[dict[str, Any]] = []
        self.decoded_surrogate = False

    def parse(self) -> ParsedText:
        markup = self.markup
        while self.pos < len(markup):
            char = markup[self.pos]
            if char == "&" and self._append_entity():
                continue
            if char != "<":
                self._append(char)
                self.pos += 1
            elif markup.startswith("</", self.pos):
                self._close_tag()
            else:
                self._open_tag()

        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        if self.decoded_surrogate:
            raise EntityParseError(_UNICODE_ERROR)
        for entity in self.entities:
            if entity["type"] == "code":
                entity.pop("language", None)
        self.entities.sort(key=lambda entity: (entity["offset"], -entity["length"]))
        return ParsedText("".join(self.chars), self.entities)

    def _append(self, text: str) -> None:
        self.chars.append(text)
        self.units += utf16_units(text)

    def _byte_offset(self, index: int) -> int:
        return len(self.markup[:index].encode("utf-8", "surrogatepass"))

    def _append_entity(self) -> bool:
        """Decode the character reference at ``pos``, or return False to keep the ``&`` literal."""
        decoded = self._decode_reference(self.pos, strict=True)
        if decoded is None:
            return False
        char, self.pos = decoded
        self._append(char)
        return True

    def _decode_reference(self, start: int, *, strict: bool) -> tuple[str, int] | None:
        markup = self.markup
        end = start + 1
        if markup.startswith("&#", start):
            end += 1
            hexadecimal = markup.startswith("x", end)
            digits = string.hexdigits if hexadecimal else string.digits
            if hexadecimal:
                end += 1
            digits_start = end
            while end < len(markup) and markup[end] in digits:
                end += 1
            # TDLib keeps over-long, zero and out-of-range references as literal text.
            if end == digits_start or end - start >= 10:
                return None
            value = int(markup[digits_start:end], 16 if hexadecimal else 10)
            if value == 0 or value >= 0x10FFFF:
                return None
            if 0xD800 <= value <= 0xDFFF:
                self.decoded_surrogate = True
            char = chr(value)
        else:
            while end < len(markup) and markup[end] in string.ascii_letters:
                end += 1
            name = markup[start + 1:end]
            if name not in NAMED_ENTITIES:
                if strict and name and markup.startswith(";", end):
                    raise EntityParseError(
                        f'Unsupported HTML entity "&{name};" at byte offset '
                        f"{self._byte_offset(start)}")
                return None
            char = NAMED_ENTITIES[name]
        if markup.startswith(";", end):
            end += 1
        return char, end

    def _skip_spaces(self, index: int) -> int:
        while index < len(self.markup) and self.markup[index] in _SPACES:
            index += 1
        return index

    def _open_tag(self) -> None:
        markup = self.markup
        start = self.pos
        offset = self._byte_offset(start)
        index = start + 1
        while index < len(markup) and markup[index] not in _SPACES and markup[index] != ">":
            index += 1
        if index >= len(markup):
            raise EntityParseError(f"Unclosed start tag at byte offset {offset}")
        name = markup[start + 1:index].lower()
        if name not in SUPPORTED_TAGS:
            raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')

        attributes: dict[str, str] = {}
        while True:
            index = self._skip_spaces(index)
            if index >= len(markup):
                raise EntityParseError(f'Unclosed start tag "{name}" at byte offset {offset}')
            if markup[index] == ">":
                break
            index = self._read_attribute(name, index, offset, attributes)
        self.pos = index + 1

        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
        self.stack.append(_OpenTag(name, attributes, self.units, len(self.chars)))

    def _read_attribute(self, tag: str, index: int, tag_offset: int,
                        attributes: dict[str, str]) -> int:
        """Read one ``name=value`` or bare ``name`` attribute and return the index after it."""
        markup = self.markup
        name_start = index
        while index < len(markup) and markup[index] not in _ATTRIBUTE_NAME_END:
            index += 1
        attribute = markup[name_start:index]
        if not attribute:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {tag_offset}')
        index = self._skip_spaces(index)
        if index >= len(markup):
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {tag_offset}')
        if markup[index] != "=":
            attributes[attribute] = ""
            return index

        index = self._skip_spaces(index + 1)
        if index >= len(markup):
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {tag_offset}')
        if markup[index] in "\"'":
            value, index = self._read_quoted(index)
        else:
            token_start = index
            while index < len(markup) and markup[index] in _NAME_TOKEN:
                index += 1
            value = markup[token_start:index].lower()
            if index < len(markup) and markup[index] not in _SPACES and markup[index] != ">":
                raise EntityParseError(
                    f"Unexpected end of name token at byte offset {self._byte_offset(token_start)}")
        if index >= len(markup):
            raise EntityParseError(f"Unclosed start tag at byte offset {tag_offset}")
        attributes[attribute] = value
        return index

    def _read_quoted(self, index: int) -> tuple[str, int]:
        markup = self.markup
        quote = markup[index]
        index += 1
        value: list[str] = []
        while index < len(markup) and markup[index] != quote:
            if markup[index] == "&":
                decoded = self._decode_reference(index, strict=False)
                if decoded is not None:
                    char, index = decoded
                    value.append(char)
                    continue
            value.append(markup[index])
            index += 1
        if index < len(markup):
            index += 1
        return "".join(value), index

    def _close_tag(self) -> None:
        markup = self.markup
        start = self.pos
        offset = self._byte_offset(start)
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
        index = start + 2
        while index < len(markup) and markup[index] not in _SPACES and markup[index] != ">":
            index += 1
        name = markup[start + 2:index].lower()
        index = self._skip_spaces(index)
        if index >= len(markup) or markup[index] != ">":
            raise EntityParseError(f"Unclosed end tag at byte offset {offset}")
        opened = self.stack[-1]
        # An empty end tag "</>" closes whatever tag is open, as in TDLib.
        if name and name != opened.name:
            raise EntityParseError(f'Unmatched end tag at byte offset {offset}, expected '
                                   f'"</{opened.name}>", found "</{name}>"')
        self.pos = index + 1
        self.stack.pop()
        if self.units > opened.offset:
            self._add_entity(opened)

    def _add_entity(self, opened: _OpenTag) -> None:
        entity: dict[str, Any] = {"offset": opened.offset, "length": self.units - opened.offset}
        name = opened.name
        attributes = opened.attributes
        if name in _SIMPLE_ENTITY_TYPES:
            entity["type"] = _SIMPLE_ENTITY_TYPES[name]
        elif name == "a":
            url = attributes.get("href") or "".join(self.chars[opened.text_start:])
            if not url:
                return
            entity.update(type="text_link", url=url)
        elif name == "tg-emoji":
            emoji_id = attributes.get("emoji-id", "")
            if not emoji_id.isdigit() or int(emoji_id) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            entity.update(type="custom_emoji", custom_emoji_id=emoji_id)
        elif name == "tg-time":
            unix = attributes.get("unix", "")
            if not unix.isdigit():
                # NOTE: the fake's own wording, because TDLib's text for this case was not checked.
                raise EntityParseError("Invalid Unix time specified")
            entity.update(type="date_time", unix_time=int(unix))
            if attributes.get("format"):
                entity["date_time_format"] = attributes["format"]
        elif name == "blockquote":
            entity["type"] = "expandable_blockquote" if "expandable" in attributes else "blockquote"
        elif name == "code":
            self._add_code(entity, attributes.get("class", ""))
            return
        else:
            self._add_pre(entity)
            return
        self.entities.append(entity)

    def _add_code(self, entity: dict[str, Any], css_class: str) -> None:
        language = css_class.removeprefix("language-") if css_class.startswith("language-") else ""
        previous = self.entities[-1] if self.entities else None
        if (language and previous is not None and previous["type"] == "pre"
                and previous["offset"] == entity["offset"]
                and previous["length"] == entity["length"]):
            previous["language"] = language
            return
        entity["type"] = "code"
        if language:
            # Kept until the enclosing <pre> closes. A standalone code entity drops it.
            entity["language"] = language
        self.entities.append(entity)

    def _add_pre(self, entity: dict[str, Any]) -> None:
        previous = self.entities[-1] if self.entities else None
        if (previous is not None and previous["type"] == "code" and "language" in previous
                and previous["offset"] == entity["offset"]
                and previous["length"] == entity["length"]):
            previous["type"] = "pre"
            return
        entity["type"] = "pre"
        self.entities.append(entity)
