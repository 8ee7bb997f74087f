"""Command lines as the platforms deliver them."""

from __future__ import annotations

import pytest

from bot.commands import parse_command_line


@pytest.mark.parametrize(("line", "expected"), [
    ("/top 3", ("top", "3")),
    ("/top@paperbot_test_bot 3 org:Google", ("top", "3 org:Google")),
    ("/TOP@PaperBot_Test_Bot", ("top", "")),
    ("top 3", ("top", "3")),
    ("  /subscribe   tag:\"Frontier Lab\"  ", ("subscribe", "tag:\"Frontier Lab\"")),
], ids=["plain", "addressed", "case-insensitive", "no-slash", "extra-spaces"])
def test_parse_command_line(line: str, expected: tuple[str, str]) -> None:
    assert parse_command_line(line, bot_username="paperbot_test_bot") == expected


def test_parse_command_line_for_other_bot_is_none() -> None:
    assert parse_command_line("/top@other_bot 3", bot_username="paperbot_test_bot") is None


def test_parse_command_line_empty_is_none() -> None:
    assert parse_command_line("   ") is None
