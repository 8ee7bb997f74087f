"""Digest parsing: Markdown text in, ``Digest`` model out."""

from bot.parser.markdown import parse_digest, parse_file
from bot.parser.models import Digest, Paper

__all__ = ["Digest", "Paper", "parse_digest", "parse_file"]
