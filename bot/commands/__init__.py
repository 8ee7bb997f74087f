"""Chat commands, shared by every platform: text in, replies out."""

from bot.commands.context import CardsReply, CommandContext, Reply, Services, TextReply
from bot.commands.router import COMMANDS, CommandRouter, parse_command_line

__all__ = ["COMMANDS", "CardsReply", "CommandContext", "CommandRouter", "Reply", "Services",
           "TextReply", "parse_command_line"]
