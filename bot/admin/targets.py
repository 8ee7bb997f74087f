"""The ADMIN_CHAT_IDS setting: a comma-separated list of ``platform:chat_id`` entries."""

from __future__ import annotations

import re

# Telegram chat ids are integers (negative for groups); Slack channel, group, DM and user
# ids are upper-case letters and digits starting with a letter, such as C0123ABC.
_ENTRY_PATTERNS = {
    "telegram": re.compile(r"-?\d+"),
    "slack": re.compile(r"[A-Z][A-Z0-9]+"),
}
EXPECTED_FORM = ("expected comma-separated platform:chat_id entries such as telegram:12345, "
                 "telegram:-1001234567890 or slack:C0123ABC (a bare number means a Telegram "
                 "chat)")


def parse_admin_chat_ids(value: str) -> tuple[str, ...]:
    """Return the entries of ``value`` as ``platform:chat_id`` strings, in order, without repeats.

    Raises ``ValueError`` naming every invalid entry and the expected form.
    """
    entries: list[str] = []
    invalid: list[str] = []
    for raw in value.split(","):
        entry = raw.strip()
        if not entry:
            continue
        platform, separator, chat_id = entry.partition(":")
        if not separator:
            platform, chat_id = "telegram", entry
        pattern = _ENTRY_PATTERNS.get(platform.strip().lower())
        if pattern is None or not pattern.fullmatch(chat_id.strip()):
            invalid.append(entry)
            continue
        normalized = f"{platform.strip().lower()}:{chat_id.strip()}"
        if normalized not in entries:
            entries.append(normalized)
    if invalid:
        listed = ", ".join(repr(entry) for entry in invalid)
        noun = "entry" if len(invalid) == 1 else "entries"
        raise ValueError(f"invalid {noun} {listed}; {EXPECTED_FORM}")
    return tuple(entries)
