"""The subscription filter language: terms, rules, parsing and the canonical text form.

A rule is a space-separated list of terms:

* ``Google`` or ``"Google DeepMind"``: a bare word or a quoted phrase is an
  organisation, the same as ``org:Google``. Quotes may be ``"…"``, ``“…”``, ``「…」``
  or ``『…』``; any of ``"“”＂`` closes a double quote, because phone keyboards mix them.
* ``tag:"Frontier Lab"``: the paper carries this tag (case-insensitive, whole tag).
* ``kw:diffusion``: a case-insensitive substring of either title, the summary or a
  highlight. No wildcards or regular expressions.
* ``score>=35``, ``upvotes>10``, ``stars<=5``, ``score=38.45``: a comparison with
  ``>=``, ``>``, ``<=``, ``<`` or ``=``; spaces around the operator are allowed.
* ``-`` in front of any term negates it: ``-tag:Viral``, ``-Meta``, ``-score<30``.
* ``all`` alone takes every paper. Combined with other terms it is an error, because
  the user most likely meant something narrower.

Keys are case-insensitive, and a space may follow the colon (``org: Google``). The
full-width colon, comparison signs and minus typed on Chinese keyboards (``：＞＜＝－``),
the minus sign ``−`` and ``≥``/``≤`` are accepted as their ASCII forms.

Semantics: for each of ``org``, ``tag`` and ``kw``, a paper must match at least one of
the key's positive terms (if there are any) and none of its negated terms; the keys are
ANDed. Every comparison is a condition of its own, so ``score>=30 score<50`` is a range
rather than an OR. ``parse_rule(rule.to_text()) == rule`` holds for every rule.
"""

from __future__ import annotations

import math
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Final, Literal

from bot.errors import FilterSyntaxError
from bot.i18n import N_
from bot.matcher.orgs import OrgMatcher, org_words
from bot.parser.models import Paper

KEYS: Final = ("org", "tag", "kw")
FIELDS: Final = ("score", "upvotes", "stars")
OPERATORS: Final = (">=", ">", "<=", "<", "=")

Key = Literal["org", "tag", "kw"]
Field = Literal["score", "upvotes", "stars"]
Operator = Literal[">=", ">", "<=", "<", "="]

# Message ids for FilterSyntaxError.reason, which the chat layer translates.
EMPTY_RULE: Final = N_("The filter is empty.")
UNKNOWN_KEY: Final = N_('Unknown key "{key}". Known keys: {keys}.')
MISSING_KEY: Final = N_("A key is missing before the colon. Known keys: {keys}.")
EMPTY_VALUE: Final = N_('"{key}:" needs a value after the colon.')
EMPTY_QUOTES: Final = N_("The quotes contain no text.")
UNCLOSED_QUOTE: Final = N_("The quote is not closed.")
TEXT_AFTER_QUOTE: Final = N_("The closing quote must be followed by a space.")
LONE_MINUS: Final = N_("A minus sign must be directly followed by a term.")
NO_ORG_WORDS: Final = N_("An organisation name needs at least one letter or digit.")
UNKNOWN_FIELD: Final = N_('Unknown field "{field}". Comparisons work on: {fields}.')
MISSING_FIELD: Final = N_('A field is missing before "{operator}". Comparisons work on: {fields}.')
BAD_OPERATOR: Final = N_('Invalid operator "{operator}". Use one of: {operators}.')
MISSING_NUMBER: Final = N_('A number is missing after "{operator}".')
BAD_NUMBER: Final = N_('"{value}" is not a number.')
ALL_COMBINED: Final = N_('"all" takes every paper, so it cannot be combined with other terms.')
ALL_NEGATED: Final = N_('"all" cannot be negated.')

_COLONS: Final = frozenset(":：")
_MINUS: Final = frozenset("-－−")
_OPERATOR_CHARS: Final = {">": ">", "<": "<", "=": "=", "＞": ">", "＜": "<", "＝": "=",
                          "≥": ">=", "≤": "<="}
_DOUBLE_QUOTES: Final = frozenset('"“”＂')
# Opening quote → the characters that close it.
_QUOTES: Final = {**{quote: _DOUBLE_QUOTES for quote in _DOUBLE_QUOTES},
                  "「": frozenset("」"), "『": frozenset("』")}
# Styles that to_text tries in order: opening and closing character, and what closes it.
_QUOTE_STYLES: Final = (('"', '"', _DOUBLE_QUOTES), ("「", "」", frozenset("」")),
                        ("『", "』", frozenset("』")))
_CLOSER_PATTERNS: Final = {
    opening: re.compile("[" + re.escape("".join(sorted(closers))) + "]")
    for opening, closers in _QUOTES.items()
}
_NUMBER: Final = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
_COMPARE: Final[dict[str, Callable[[float, float], bool]]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt, "=": operator.eq,
}


def fold(text: str) -> str:
    """Normalise text for case-insensitive comparison: NFKC, case-folded, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def format_number(value: float) -> str:
    """Write ``value`` in plain decimal notation without a trailing ``.0``."""
    # Adding 0.0 turns -0.0 into 0.0, which the parser can read back.
    return format(Decimal(repr(value + 0.0)).normalize(), "f")


@dataclass(frozen=True, slots=True)
class PreparedPaper:
    """A paper with the fields that terms test, normalised once per digest."""

    paper: Paper
    tags: frozenset[str]
    text: str

    @classmethod
    def from_paper(cls, paper: Paper) -> PreparedPaper:
        """Fold the tags and join both titles, the summary and the highlights."""
        fields = [paper.title_zh, paper.title_en, paper.summary, *paper.highlights]
        # Fields are joined by a newline, which no folded keyword contains, so a keyword
        # never matches across two fields.
        text = "\n".join(fold(value) for value in fields if value)
        return cls(paper, frozenset(fold(tag) for tag in paper.tags), text)


def _check_value(value: str) -> None:
    if not value or value != " ".join(value.split()):
        raise ValueError(f"term value {value!r} must be non-empty with single spaces")
    if _quote_value(value) is None and not _is_bare_value(value):
        raise ValueError(f"term value {value!r} contains every kind of closing quote")


@dataclass(frozen=True, slots=True)
class OrgTerm:
    """Term for papers whose organisation matches ``query`` (see ``bot.matcher.orgs``)."""

    query: str
    key: ClassVar[Key] = "org"

    def __post_init__(self) -> None:
        _check_value(self.query)
        if not org_words(self.query):
            raise ValueError(f"organisation {self.query!r} has no letters or digits")

    def matches(self, paper: PreparedPaper, orgs: OrgMatcher) -> bool:
        """Return whether the paper's organisation matches the query."""
        return orgs.matches(self.query, paper.paper.org)

    def to_text(self) -> str:
        """Write the term bare or quoted when that parses back to an org, else as ``org:``."""
        if _is_bare_value(self.query) and not _has_syntax(self.query):
            return self.query
        if _is_bare_value(self.query):
            return f"org:{self.query}"
        quoted = _quote_value(self.query)
        assert quoted is not None  # noqa: S101 -- __post_init__ rejects unwritable values
        return quoted


@dataclass(frozen=True, slots=True)
class TagTerm:
    """Term for papers that carry ``tag``, compared case-insensitively as a whole tag."""

    tag: str
    key: ClassVar[Key] = "tag"

    def __post_init__(self) -> None:
        _check_value(self.tag)

    def matches(self, paper: PreparedPaper, orgs: OrgMatcher) -> bool:
        """Return whether one of the paper's tags equals the tag."""
        return fold(self.tag) in paper.tags

    def to_text(self) -> str:
        """Write the term as ``tag:VALUE``."""
        return f"tag:{_write_value(self.tag)}"


@dataclass(frozen=True, slots=True)
class KeywordTerm:
    """Term for papers with ``keyword`` in a title, the summary or a highlight (any case)."""

    keyword: str
    key: ClassVar[Key] = "kw"

    def __post_init__(self) -> None:
        _check_value(self.keyword)

    def matches(self, paper: PreparedPaper, orgs: OrgMatcher) -> bool:
        """Return whether the keyword is a substring of the paper's text."""
        return fold(self.keyword) in paper.text

    def to_text(self) -> str:
        """Write the term as ``kw:VALUE``."""
        return f"kw:{_write_value(self.keyword)}"


@dataclass(frozen=True, slots=True)
class Comparison:
    """Term that compares a numeric field of the paper with ``value``."""

    field: Field
    operator: Operator
    value: float

    def __post_init__(self) -> None:
        if self.field not in FIELDS or self.operator not in OPERATORS:
            raise ValueError(f"invalid comparison {self.field!r} {self.operator!r}")
        if not math.isfinite(self.value) or self.value < 0:
            raise ValueError(f"comparison value {self.value!r} must be finite and >= 0")

    def matches(self, paper: PreparedPaper, orgs: OrgMatcher) -> bool:
        """Return whether the paper's field satisfies the comparison."""
        actual: float = getattr(paper.paper, self.field)
        return _COMPARE[self.operator](actual, self.value)

    def to_text(self) -> str:
        """Write the comparison without spaces, e.g. ``score>=35``."""
        return f"{self.field}{self.operator}{format_number(self.value)}"


PlainTerm = OrgTerm | TagTerm | KeywordTerm | Comparison


@dataclass(frozen=True, slots=True)
class Not:
    """Term for papers that the wrapped term does not match."""

    term: PlainTerm

    def matches(self, paper: PreparedPaper, orgs: OrgMatcher) -> bool:
        """Return whether the negated term does not match."""
        return not self.term.matches(paper, orgs)

    def to_text(self) -> str:
        """Write the term with a leading ``-``."""
        return f"-{self.term.to_text()}"


Term = PlainTerm | Not
# One condition of a rule: the paper must match one of the first terms, if there are
# any, and none of the second.
_Group = tuple[tuple[PlainTerm, ...], tuple[PlainTerm, ...]]


@dataclass(frozen=True)
class Rule:
    """Subscription filter made of terms. A rule without terms takes every paper."""

    terms: frozenset[Term] = frozenset()
    _groups: tuple[_Group, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_groups", _group_terms(self.terms))

    def __hash__(self) -> int:
        # A frozenset caches its own hash, so this is cheap when rules key a dict.
        return hash(self.terms)

    @classmethod
    def of(cls, *terms: Term) -> Rule:
        """Build a rule from terms given as arguments."""
        return cls(frozenset(terms))

    @property
    def takes_all(self) -> bool:
        """Whether the rule has no terms and so takes every paper."""
        return not self.terms

    def evaluate(self, term_mask: Callable[[PlainTerm], int], everything: int) -> int:
        """Combine per-term bitmasks into the bitmask of papers the rule takes.

        ``term_mask`` returns the papers one term matches as bits of an int, and
        ``everything`` has a bit set for every paper. A single paper is the one-bit case.
        """
        selected = everything
        for alternatives, exclusions in self._groups:
            if alternatives:
                any_of = 0
                for term in alternatives:
                    any_of |= term_mask(term)
                selected &= any_of
            for term in exclusions:
                selected &= ~term_mask(term)
            if not selected:
                break
        return selected

    def matches(self, paper: Paper | PreparedPaper, orgs: OrgMatcher) -> bool:
        """Return whether the rule takes ``paper``."""
        prepared = paper if isinstance(paper, PreparedPaper) else PreparedPaper.from_paper(paper)
        return self.evaluate(lambda term: int(term.matches(prepared, orgs)), 1) == 1

    def ordered_terms(self) -> list[Term]:
        """Return the terms in canonical order: orgs, tags, keywords, comparisons, negations."""
        return sorted(self.terms, key=_sort_key)

    def to_text(self) -> str:
        """Write the rule in canonical form: ``all``, or its terms in canonical order."""
        if not self.terms:
            return "all"
        return " ".join(term.to_text() for term in self.ordered_terms())

    def __str__(self) -> str:
        return self.to_text()


def _group_terms(terms: Iterable[Term]) -> tuple[_Group, ...]:
    by_key: dict[str, tuple[list[PlainTerm], list[PlainTerm]]] = {k: ([], []) for k in KEYS}
    comparisons: list[_Group] = []
    for term in terms:
        negated = isinstance(term, Not)
        plain = term.term if isinstance(term, Not) else term
        if isinstance(plain, Comparison):
            comparisons.append(((), (plain,)) if negated else ((plain,), ()))
        else:
            by_key[plain.key][1 if negated else 0].append(plain)
    groups = [(tuple(pos), tuple(neg)) for pos, neg in by_key.values() if pos or neg]
    return (*groups, *comparisons)


def _sort_key(term: Term) -> tuple[bool, int, str, float, str]:
    negated = isinstance(term, Not)
    plain = term.term if isinstance(term, Not) else term
    if isinstance(plain, Comparison):
        order = f"{FIELDS.index(plain.field)}{OPERATORS.index(plain.operator)}"
        return negated, len(KEYS), order, plain.value, ""
    value = plain.to_text()
    return negated, KEYS.index(plain.key), fold(value), 0.0, value


def _is_bare_value(value: str) -> bool:
    """Return whether ``value`` can follow ``key:`` unquoted and be read back unchanged."""
    return bool(value) and value[0] not in _QUOTES and not any(c.isspace() for c in value)


def _has_syntax(value: str) -> bool:
    """Return whether a bare word would be read as something other than an organisation."""
    return (
        value[0] in _MINUS
        or any(c in _COLONS or c in _OPERATOR_CHARS for c in value)
        or fold(value) == "all"
    )


def _quote_value(value: str) -> str | None:
    for opening, closing, closers in _QUOTE_STYLES:
        if closers.isdisjoint(value):
            return f"{opening}{value}{closing}"
    return None


def _write_value(value: str) -> str:
    if _is_bare_value(value):
        return value
    quoted = _quote_value(value)
    assert quoted is not None  # noqa: S101 -- term constructors reject unwritable values
    return quoted


_FIELD_NAMES: Final[dict[str, Field]] = {"score": "score", "upvotes": "upvotes", "stars": "stars"}
_OPERATOR_NAMES: Final[dict[str, Operator]] = {">=": ">=", ">": ">", "<=": "<=", "<": "<", "=": "="}


def parse_rule(text: str) -> Rule:
    """Parse a filter as typed by a user into a Rule.

    Raises FilterSyntaxError whose ``term`` is the offending term exactly as typed and
    whose ``reason`` is one of the message ids defined in this module.
    """
    scanner = _Scanner(text)
    terms: list[Term] = []
    all_words: list[str] = []
    while (parsed := scanner.next_term()) is not None:
        typed, term = parsed
        if term is None:
            all_words.append(typed)
        else:
            terms.append(term)
    if not terms and not all_words:
        raise FilterSyntaxError("", EMPTY_RULE)
    if terms and all_words:
        raise FilterSyntaxError(all_words[0], ALL_COMBINED)
    return Rule(frozenset(terms))


class _Scanner:
    """Reader of terms from the typed text, one at a time, from index ``pos`` on."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def next_term(self) -> tuple[str, Term | None] | None:
        """Read the next term and return it as typed with the parsed term, None for ``all``.

        Returns None once the text is used up.
        """
        self.pos = self._skip_space(self.pos)
        if self.pos == len(self.text):
            return None
        start = self.pos
        negated = self.text[start] in _MINUS
        if negated:
            self.pos += 1
            if self._at_boundary(self.pos):
                raise FilterSyntaxError(self.text[start:self.pos], LONE_MINUS)
        term = self._plain_term(start)
        typed = self.text[start:self.pos]
        if term is None:
            if negated:
                raise FilterSyntaxError(typed, ALL_NEGATED)
            return typed, None
        return typed, Not(term) if negated else term

    def _plain_term(self, start: int) -> PlainTerm | None:
        if self.text[self.pos] in _QUOTES:
            return self._org(self._quoted(start), start)
        head_end = self._head_end(self.pos)
        head = self.text[self.pos:head_end]
        follower = self.text[head_end:head_end + 1]
        if follower in _COLONS:
            return self._keyed(start, head, head_end + 1)
        if follower in _OPERATOR_CHARS:
            return self._comparison(start, head, head_end)
        if fold(head) in FIELDS:
            after = self._skip_space(head_end)
            if self.text[after:after + 1] in _OPERATOR_CHARS:
                return self._comparison(start, head, after)
        self.pos = head_end
        if fold(head) == "all":
            return None
        return self._org(head, start)

    def _keyed(self, start: int, head: str, value_start: int) -> PlainTerm:
        key = fold(head)
        if not head or key not in KEYS:
            typed = self._typed_extent(start, value_start)
            if not head:
                raise FilterSyntaxError(typed, MISSING_KEY, keys=", ".join(KEYS))
            raise FilterSyntaxError(typed, UNKNOWN_KEY, key=head, keys=", ".join(KEYS))
        self.pos = value_start
        if self._at_boundary(value_start):
            # A space may separate the colon from the value, unless a new term follows.
            after = self._skip_space(value_start)
            if after == len(self.text) or self._starts_own_term(after):
                raise FilterSyntaxError(self.text[start:value_start], EMPTY_VALUE, key=head)
            self.pos = after
        value = self._value(start)
        if key == "org":
            return self._org(value, start)
        if key == "tag":
            return TagTerm(value)
        return KeywordTerm(value)

    def _comparison(self, start: int, head: str, operator_start: int) -> Comparison:
        operator_end = operator_start
        while self.text[operator_end:operator_end + 1] in _OPERATOR_CHARS:
            operator_end += 1
        typed_operator = self.text[operator_start:operator_end]
        number_start = self._skip_space(operator_end)
        number_end = self._word_end(number_start)
        self.pos = number_end if number_end > number_start else operator_end
        typed = self.text[start:self.pos]
        fields = ", ".join(FIELDS)
        if not head:
            raise FilterSyntaxError(typed, MISSING_FIELD, operator=typed_operator, fields=fields)
        field_name = _FIELD_NAMES.get(fold(head))
        if field_name is None:
            raise FilterSyntaxError(typed, UNKNOWN_FIELD, field=head, fields=fields)
        ascii_operator = "".join(_OPERATOR_CHARS[c] for c in typed_operator)
        operator_name = _OPERATOR_NAMES.get(ascii_operator)
        if operator_name is None:
            raise FilterSyntaxError(typed, BAD_OPERATOR, operator=typed_operator,
                                    operators=", ".join(OPERATORS))
        if number_end == number_start:
            raise FilterSyntaxError(typed, MISSING_NUMBER, operator=typed_operator)
        typed_number = self.text[number_start:number_end]
        number = unicodedata.normalize("NFKC", typed_number)
        value = float(number) if _NUMBER.fullmatch(number) else math.inf
        if not math.isfinite(value):
            raise FilterSyntaxError(typed, BAD_NUMBER, value=typed_number)
        return Comparison(field_name, operator_name, value)

    def _org(self, value: str, start: int) -> OrgTerm:
        if not org_words(value):
            raise FilterSyntaxError(self.text[start:self.pos], NO_ORG_WORDS)
        return OrgTerm(value)

    def _value(self, start: int) -> str:
        if self.text[self.pos] in _QUOTES:
            return self._quoted(start)
        end = self._word_end(self.pos)
        value = self.text[self.pos:end]
        self.pos = end
        return value

    def _quoted(self, start: int) -> str:
        """Read a quoted phrase at ``pos`` and return its text with spaces collapsed."""
        found = _CLOSER_PATTERNS[self.text[self.pos]].search(self.text, self.pos + 1)
        if found is None:
            raise FilterSyntaxError(self.text[start:], UNCLOSED_QUOTE)
        close = found.start()
        value = " ".join(self.text[self.pos + 1:close].split())
        self.pos = close + 1
        if not self._at_boundary(self.pos):
            raise FilterSyntaxError(self.text[start:self._word_end(self.pos)], TEXT_AFTER_QUOTE)
        if not value:
            raise FilterSyntaxError(self.text[start:self.pos], EMPTY_QUOTES)
        return value

    def _typed_extent(self, start: int, value_start: int) -> str:
        """Return the whole term that starts at ``start``, its value included if readable."""
        self.pos = value_start
        end = self._word_end(value_start)
        if not self._at_boundary(value_start):
            # A value that cannot be read ends the term at the next space instead.
            try:
                self._value(start)
                end = self.pos
            except FilterSyntaxError:
                pass
        return self.text[start:end]

    def _starts_own_term(self, pos: int) -> bool:
        """Return whether the word at ``pos`` is a negation, ``key:value`` or a comparison."""
        first = self.text[pos]
        if first in _MINUS:
            return True
        if first in _QUOTES:
            return False
        head_end = self._head_end(pos)
        follower = self.text[head_end:head_end + 1]
        return follower in _COLONS or follower in _OPERATOR_CHARS

    def _head_end(self, pos: int) -> int:
        """Return where the word at ``pos`` meets a space, a colon or a comparison sign."""
        text = self.text
        while (pos < len(text) and not text[pos].isspace() and text[pos] not in _COLONS
               and text[pos] not in _OPERATOR_CHARS):
            pos += 1
        return pos

    def _word_end(self, pos: int) -> int:
        while pos < len(self.text) and not self.text[pos].isspace():
            pos += 1
        return pos

    def _skip_space(self, pos: int) -> int:
        while pos < len(self.text) and self.text[pos].isspace():
            pos += 1
        return pos

    def _at_boundary(self, pos: int) -> bool:
        return pos >= len(self.text) or self.text[pos].isspace()
