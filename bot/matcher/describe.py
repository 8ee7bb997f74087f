"""A subscription rule restated in words, in the chat's language."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

from bot.i18n import Translator
from bot.matcher.filters import (
    Comparison,
    KeywordTerm,
    Not,
    OrgTerm,
    PlainTerm,
    Rule,
    TagTerm,
    format_number,
)

# A negated comparison is described as the opposite comparison: -score<30 is score ≥ 30.
_OPPOSITE: Final = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "=": "≠"}
_SYMBOL: Final = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "=", "≠": "≠"}


def describe_rule(rule: Rule, t: Translator) -> str:
    """Restate ``rule`` as a phrase such as 'papers from Google, with score ≥ 35'.

    Conditions come in a fixed order: organisations, tags and keywords, comparisons,
    then the negated organisations, tags and keywords.
    """
    if rule.takes_all:
        return t.gettext("all papers")
    included: dict[type, list[str]] = {OrgTerm: [], TagTerm: [], KeywordTerm: []}
    excluded: dict[type, list[str]] = {OrgTerm: [], TagTerm: [], KeywordTerm: []}
    comparisons: list[str] = []
    for term in rule.ordered_terms():
        plain = term.term if isinstance(term, Not) else term
        if isinstance(plain, Comparison):
            comparisons.append(_comparison(plain, t, negated=isinstance(term, Not)))
        else:
            target = excluded if isinstance(term, Not) else included
            target[type(plain)].append(_value(plain))
    conditions = [
        *_clauses(included, t, negated=False),
        *comparisons,
        *_clauses(excluded, t, negated=True),
    ]
    return t.gettext("papers {conditions}", conditions=_join_conditions(conditions, t))


def _value(term: PlainTerm) -> str:
    if isinstance(term, OrgTerm):
        return term.query
    if isinstance(term, TagTerm):
        return term.tag
    if isinstance(term, KeywordTerm):
        return term.keyword
    raise TypeError(f"comparison {term!r} has no single value")


def _clauses(values: dict[type, list[str]], t: Translator, *, negated: bool) -> list[str]:
    clauses = []
    if orgs := values[OrgTerm]:
        names = _join_names(orgs, t)
        clauses.append(t.gettext("not from {names}", names=names) if negated
                       else t.gettext("from {names}", names=names))
    if tags := values[TagTerm]:
        quoted = _join_quoted(tags, t)
        clauses.append(t.gettext("not tagged {values}", values=quoted) if negated
                       else t.gettext("tagged {values}", values=quoted))
    if keywords := values[KeywordTerm]:
        quoted = _join_quoted(keywords, t)
        clauses.append(t.gettext("not mentioning {values}", values=quoted) if negated
                       else t.gettext("mentioning {values}", values=quoted))
    return clauses


def _comparison(term: Comparison, t: Translator, *, negated: bool) -> str:
    operator = _SYMBOL[_OPPOSITE[term.operator] if negated else term.operator]
    value = format_number(term.value)
    if term.field == "score":
        return t.gettext("with score {operator} {value}", operator=operator, value=value)
    if term.field == "upvotes":
        return t.gettext("with upvotes {operator} {value}", operator=operator, value=value)
    return t.gettext("with stars {operator} {value}", operator=operator, value=value)


def _join_names(names: Sequence[str], t: Translator) -> str:
    """Join organisation names with 'or', e.g. 'Google, Meta, or Amazon'."""
    return _join(
        names,
        pair=lambda first, last: t.gettext("{names} or {name}", names=first, name=last),
        middle=lambda head, item: t.gettext("{names}, {name}", names=head, name=item),
        last=lambda head, item: t.gettext("{names}, or {name}", names=head, name=item),
    )


def _join_quoted(values: Sequence[str], t: Translator) -> str:
    """Quote each tag or keyword and join them with 'or'."""
    quoted = [t.gettext('"{value}"', value=value) for value in values]
    return _join(
        quoted,
        pair=lambda first, last: t.gettext("{values} or {value}", values=first, value=last),
        middle=lambda head, item: t.gettext("{values}, {value}", values=head, value=item),
        last=lambda head, item: t.gettext("{values}, or {value}", values=head, value=item),
    )


def _join_conditions(conditions: Sequence[str], t: Translator) -> str:
    """Join conditions with 'and', e.g. 'from Google, tagged "X", and with score ≥ 35'."""
    return _join(
        conditions,
        pair=lambda first, last: t.gettext(
            "{conditions} and {condition}", conditions=first, condition=last),
        middle=lambda head, item: t.gettext(
            "{conditions}, {condition}", conditions=head, condition=item),
        last=lambda head, item: t.gettext(
            "{conditions}, and {condition}", conditions=head, condition=item),
    )


_Joiner = Callable[[str, str], str]


def _join(items: Sequence[str], *, pair: _Joiner, middle: _Joiner, last: _Joiner) -> str:
    # Each language joins two items differently from the end of a longer list
    # (English "A or B" but "A, B, or C"), so both patterns are separate messages.
    if len(items) == 1:
        return items[0]
    if len(items) == 2:
        return pair(items[0], items[1])
    text = items[0]
    for item in items[1:-1]:
        text = middle(text, item)
    return last(text, items[-1])
