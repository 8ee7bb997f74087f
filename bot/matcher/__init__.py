"""Subscription filters: the filter language, organisation matching and digest matching."""

from bot.matcher.describe import describe_rule
from bot.matcher.filters import (
    Comparison,
    KeywordTerm,
    Not,
    OrgTerm,
    PlainTerm,
    PreparedPaper,
    Rule,
    TagTerm,
    Term,
    parse_rule,
)
from bot.matcher.match import match_papers
from bot.matcher.orgs import BUILTIN_ALIASES, OrgMatcher, load_alias_file, org_words

__all__ = [
    "BUILTIN_ALIASES",
    "Comparison",
    "KeywordTerm",
    "Not",
    "OrgMatcher",
    "OrgTerm",
    "PlainTerm",
    "PreparedPaper",
    "Rule",
    "TagTerm",
    "Term",
    "describe_rule",
    "load_alias_file",
    "match_papers",
    "org_words",
    "parse_rule",
]
