"""Plain-text helpers shared by the platforms: length in UTF-16 units and splitting."""

from __future__ import annotations


def utf16_length(text: str) -> int:
    """Return the length of ``text`` in UTF-16 code units, the way Telegram counts it."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, *, limit: int) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` UTF-16 units, at line breaks when possible.

    A single line longer than ``limit`` is cut at a character boundary, never inside a
    surrogate pair.
    """
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = line if not current else current + "\n" + line
        if utf16_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            parts.append(current)
        current = ""
        while utf16_length(line) > limit:
            cut = _cut_index(line, limit)
            parts.append(line[:cut])
            line = line[cut:]
        current = line
    if current or not parts:
        parts.append(current)
    return parts


def _cut_index(line: str, limit: int) -> int:
    units = 0
    for index, char in enumerate(line):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > limit:
            return index
    return len(line)
