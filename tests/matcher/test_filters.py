"""Tests for the filter language: parsing, errors, canonical text and semantics."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given

from bot.errors import FilterSyntaxError
from bot.matcher import filters
from bot.matcher.filters import (
    Comparison,
    KeywordTerm,
    Not,
    OrgTerm,
    Rule,
    TagTerm,
    parse_rule,
)
from bot.matcher.orgs import OrgMatcher
from bot.parser.models import Paper
from tests.matcher import strategies
from tests.matcher.papers import paper

GOOGLE = OrgTerm("Google")
META = OrgTerm("Meta")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Google", Rule.of(GOOGLE), id="bare-word"),
        pytest.param('"Google DeepMind"', Rule.of(OrgTerm("Google DeepMind")), id="ascii-quotes"),
        pytest.param("“Google DeepMind”", Rule.of(OrgTerm("Google DeepMind")), id="curly-quotes"),
        pytest.param("「Google DeepMind」", Rule.of(OrgTerm("Google DeepMind")), id="corner"),
        pytest.param("『Google DeepMind』", Rule.of(OrgTerm("Google DeepMind")), id="white-corner"),
        pytest.param('"  Google   DeepMind "', Rule.of(OrgTerm("Google DeepMind")),
                     id="quoted-spaces-collapsed"),
        pytest.param("org:Google", Rule.of(GOOGLE), id="org-key"),
        pytest.param("ORG:Google", Rule.of(GOOGLE), id="key-upper-case"),
        pytest.param("org: Google", Rule.of(GOOGLE), id="space-after-colon"),
        pytest.param("org：Google", Rule.of(GOOGLE), id="full-width-colon"),
        pytest.param('org:"Google DeepMind"', Rule.of(OrgTerm("Google DeepMind")),
                     id="org-key-quoted"),
        pytest.param('tag:"Frontier Lab"', Rule.of(TagTerm("Frontier Lab")), id="tag-quoted"),
        pytest.param("tag:Viral", Rule.of(TagTerm("Viral")), id="tag-bare"),
        pytest.param("kw:diffusion", Rule.of(KeywordTerm("diffusion")), id="keyword"),
        pytest.param("kw:a:b", Rule.of(KeywordTerm("a:b")), id="keyword-with-colon"),
        pytest.param("score>=35", Rule.of(Comparison("score", ">=", 35)), id="score-ge"),
        pytest.param("upvotes>10", Rule.of(Comparison("upvotes", ">", 10)), id="upvotes-gt"),
        pytest.param("stars<=5", Rule.of(Comparison("stars", "<=", 5)), id="stars-le"),
        pytest.param("stars<5", Rule.of(Comparison("stars", "<", 5)), id="stars-lt"),
        pytest.param("score=38.45", Rule.of(Comparison("score", "=", 38.45)), id="score-eq"),
        pytest.param("score >= 35", Rule.of(Comparison("score", ">=", 35)), id="spaced-operator"),
        pytest.param("Score＞＝35", Rule.of(Comparison("score", ">=", 35)),
                     id="full-width-operator"),
        pytest.param("score≥35", Rule.of(Comparison("score", ">=", 35)), id="math-sign"),
        pytest.param("score>=３５", Rule.of(Comparison("score", ">=", 35)), id="full-width-digits"),
        pytest.param("-tag:Viral", Rule.of(Not(TagTerm("Viral"))), id="negated-tag"),
        pytest.param("-Meta", Rule.of(Not(META)), id="negated-org"),
        pytest.param("－Meta", Rule.of(Not(META)), id="full-width-minus"),
        pytest.param("-score<30", Rule.of(Not(Comparison("score", "<", 30))), id="negated-score"),
        pytest.param('-"Google DeepMind"', Rule.of(Not(OrgTerm("Google DeepMind"))),
                     id="negated-quoted"),
        pytest.param("Mila-Quebec", Rule.of(OrgTerm("Mila-Quebec")), id="inner-hyphen"),
        pytest.param("Noah's", Rule.of(OrgTerm("Noah's")), id="apostrophe"),
        pytest.param('"all"', Rule.of(OrgTerm("all")), id="quoted-all-is-org"),
        pytest.param("all", Rule(), id="all"),
        pytest.param("ALL", Rule(), id="all-upper-case"),
        pytest.param("Google　Meta", Rule.of(GOOGLE, META), id="ideographic-space"),
        pytest.param(
            'org:Google org:Meta tag:"Frontier Lab" score>=35 -tag:Viral',
            Rule.of(GOOGLE, META, TagTerm("Frontier Lab"), Comparison("score", ">=", 35),
                    Not(TagTerm("Viral"))),
            id="combined",
        ),
    ],
)
def test_parse_rule_valid(text: str, expected: Rule) -> None:
    assert parse_rule(text) == expected


@pytest.mark.parametrize(
    ("text", "term", "reason", "params"),
    [
        pytest.param("foo:bar", "foo:bar", filters.UNKNOWN_KEY,
                     {"key": "foo", "keys": "org, tag, kw"}, id="unknown-key"),
        pytest.param('Google foo:"a b"', 'foo:"a b"', filters.UNKNOWN_KEY,
                     {"key": "foo", "keys": "org, tag, kw"}, id="unknown-key-quoted-value"),
        pytest.param(":bar", ":bar", filters.MISSING_KEY, {"keys": "org, tag, kw"},
                     id="missing-key"),
        pytest.param("org:", "org:", filters.EMPTY_VALUE, {"key": "org"}, id="empty-value"),
        pytest.param("Tag: -Meta", "Tag:", filters.EMPTY_VALUE, {"key": "Tag"},
                     id="empty-value-before-negation"),
        pytest.param('tag:""', 'tag:""', filters.EMPTY_QUOTES, {}, id="empty-quotes"),
        pytest.param('org:"Google DeepMind', 'org:"Google DeepMind', filters.UNCLOSED_QUOTE, {},
                     id="unclosed-quote"),
        pytest.param('"Google', '"Google', filters.UNCLOSED_QUOTE, {}, id="unclosed-bare-quote"),
        pytest.param('"Google"DeepMind', '"Google"DeepMind', filters.TEXT_AFTER_QUOTE, {},
                     id="text-after-quote"),
        pytest.param("score>=abc", "score>=abc", filters.BAD_NUMBER, {"value": "abc"},
                     id="bad-number"),
        pytest.param("score>=1e400", "score>=1e400", filters.BAD_NUMBER, {"value": "1e400"},
                     id="exponent-number"),
        pytest.param("score>=-5", "score>=-5", filters.BAD_NUMBER, {"value": "-5"},
                     id="negative-number"),
        pytest.param("score>=", "score>=", filters.MISSING_NUMBER, {"operator": ">="},
                     id="missing-number"),
        pytest.param("size>3", "size>3", filters.UNKNOWN_FIELD,
                     {"field": "size", "fields": "score, upvotes, stars"}, id="unknown-field"),
        pytest.param(">=3", ">=3", filters.MISSING_FIELD,
                     {"operator": ">=", "fields": "score, upvotes, stars"}, id="missing-field"),
        pytest.param("score=>35", "score=>35", filters.BAD_OPERATOR,
                     {"operator": "=>", "operators": ">=, >, <=, <, ="}, id="reversed-operator"),
        pytest.param("score==3", "score==3", filters.BAD_OPERATOR,
                     {"operator": "==", "operators": ">=, >, <=, <, ="}, id="double-equals"),
        pytest.param("", "", filters.EMPTY_RULE, {}, id="empty-rule"),
        pytest.param("   ", "", filters.EMPTY_RULE, {}, id="blank-rule"),
        pytest.param("- Meta", "-", filters.LONE_MINUS, {}, id="lone-minus"),
        pytest.param("&", "&", filters.NO_ORG_WORDS, {}, id="org-without-letters"),
        pytest.param("all Google", "all", filters.ALL_COMBINED, {}, id="all-combined"),
        pytest.param("-all", "-all", filters.ALL_NEGATED, {}, id="all-negated"),
    ],
)
def test_parse_rule_error(text: str, term: str, reason: str, params: dict[str, str]) -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_rule(text)
    assert caught.value.term == term
    assert caught.value.reason == reason
    assert caught.value.params == params


def test_error_reasons_format_with_their_params() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_rule("tag:x foo:bar")
    assert str(caught.value) == (
        "invalid filter term 'foo:bar': Unknown key \"foo\". Known keys: org, tag, kw."
    )


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        pytest.param("all", "all", id="all"),
        pytest.param("org:Google", "Google", id="org-written-bare"),
        pytest.param("“Google DeepMind”", '"Google DeepMind"', id="quotes-made-ascii"),
        pytest.param('「say "hi" now」', '「say "hi" now」', id="corner-quotes-kept-for-quote"),
        pytest.param('"all"', "org:all", id="org-named-all"),
        pytest.param("org:a:b", "org:a:b", id="org-with-colon"),
        pytest.param("ｓｃｏｒｅ ＞＝ 35.50", "score>=35.5", id="number-normalised"),
        pytest.param(
            '-tag:Viral score>=35 kw:diffusion tag:"Frontier Lab" Meta Google',
            'Google Meta tag:"Frontier Lab" kw:diffusion score>=35 -tag:Viral',
            id="terms-ordered",
        ),
    ],
)
def test_to_text_canonical_form(text: str, canonical: str) -> None:
    assert parse_rule(text).to_text() == canonical


def test_to_text_negative_zero() -> None:
    assert Rule.of(Comparison("score", ">=", -0.0)).to_text() == "score>=0"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param(35.0, "35", id="integral"),
        pytest.param(38.45, "38.45", id="decimal"),
        pytest.param(1e20, "100000000000000000000", id="large"),
        pytest.param(1.5e-7, "0.00000015", id="small"),
    ],
)
def test_format_number(value: float, text: str) -> None:
    assert filters.format_number(value) == text


def test_rule_equal_regardless_of_term_order() -> None:
    assert parse_rule("Google Meta") == parse_rule("Meta Google")


def test_rule_usable_as_dict_key() -> None:
    counts = {parse_rule("Google tag:Viral"): 1}
    assert counts[parse_rule("tag:Viral org:Google")] == 1


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: OrgTerm(""), id="empty-org"),
        pytest.param(lambda: OrgTerm("---"), id="org-without-words"),
        pytest.param(lambda: TagTerm(" padded "), id="untrimmed-tag"),
        pytest.param(lambda: KeywordTerm('a "」』 b'), id="unwritable-keyword"),
        pytest.param(lambda: Comparison("score", ">=", float("nan")), id="nan"),
        pytest.param(lambda: Comparison("score", ">=", -1), id="negative"),
    ],
)
def test_term_constructor_rejects_invalid(make: object) -> None:
    assert callable(make)
    with pytest.raises(ValueError, match=r"\w"):
        make()


# Semantics ------------------------------------------------------------------------------

ORGS = OrgMatcher()


def takes(rule_text: str, candidate: Paper) -> bool:
    return parse_rule(rule_text).matches(candidate, ORGS)


@pytest.mark.parametrize(
    ("rule_text", "candidate", "expected"),
    [
        pytest.param("Google Meta", paper(org="Meta"), True, id="same-key-or"),
        pytest.param("Google Meta", paper(org="OpenAI"), False, id="same-key-or-neither"),
        pytest.param("Google tag:Viral", paper(org="Google", tags=["Viral"]), True,
                     id="keys-and-both"),
        pytest.param("Google tag:Viral", paper(org="Google", tags=["Frontier Lab"]), False,
                     id="keys-and-one-missing"),
        pytest.param("-Meta", paper(org="Google"), True, id="negated-other"),
        pytest.param("-Meta", paper(org="Meta AI"), False, id="negated-hit"),
        pytest.param("-tag:Viral -tag:Super", paper(tags=["Super"]), False,
                     id="negations-none-of"),
        pytest.param("-tag:Viral -tag:Super", paper(tags=["Frontier Lab"]), True,
                     id="negations-none-hit"),
        pytest.param("Google -Google", paper(org="Google"), False, id="contradiction"),
        pytest.param("tag:Viral -Meta", paper(org="Google", tags=["Viral"]), True,
                     id="positive-and-negation"),
        pytest.param("score>=30 score<50", paper(score=40), True, id="comparisons-range-inside"),
        pytest.param("score>=30 score<50", paper(score=60), False, id="comparisons-range-above"),
        pytest.param("score=38.45", paper(score=38.45), True, id="equal-decimal"),
        pytest.param("-score<30", paper(score=30), True, id="negated-comparison-edge"),
        pytest.param("-score<30", paper(score=29.99), False, id="negated-comparison-hit"),
        pytest.param("upvotes>10", paper(upvotes=11), True, id="upvotes"),
        pytest.param("stars<=5", paper(stars=6), False, id="stars"),
        pytest.param('tag:"frontier lab"', paper(tags=["Frontier Lab"]), True,
                     id="tag-case-insensitive"),
        pytest.param('tag:"Frontier Lab"', paper(tags=["Super Lab"]), False, id="tag-whole"),
        pytest.param("tag:Lab", paper(tags=["Frontier Lab"]), False, id="tag-not-substring"),
        pytest.param("kw:DIFFUSION", paper(title_en="Latent Diffusion Models"), True,
                     id="keyword-title-en"),
        pytest.param("kw:扩散", paper(title_zh="扩散模型"), True, id="keyword-title-zh"),
        pytest.param("kw:diffusion", paper(summary="We study diffusion."), True,
                     id="keyword-summary"),
        pytest.param("kw:diffusion", paper(highlights=["a", "diffusion b"]), True,
                     id="keyword-highlight"),
        pytest.param("kw:diffusion", paper(org="Diffusion Lab"), False, id="keyword-not-org"),
        pytest.param('kw:"Models We"', paper(title_en="Models", summary="We"), False,
                     id="keyword-not-across-fields"),
        pytest.param("kw:a.b", paper(title_en="axb"), False, id="keyword-not-regex"),
        pytest.param("all", paper(org="Unknown", tags=[]), True, id="all"),
    ],
)
def test_rule_matches(rule_text: str, candidate: Paper, expected: bool) -> None:
    assert takes(rule_text, candidate) is expected


# Properties -----------------------------------------------------------------------------

@given(strategies.text)
def test_parse_rule_raises_only_filter_syntax_error(text: str) -> None:
    # Any other exception escapes and fails the test.
    with contextlib.suppress(FilterSyntaxError):
        parse_rule(text)


@given(strategies.rules)
def test_to_text_round_trips(rule: Rule) -> None:
    assert parse_rule(rule.to_text()) == rule


@given(strategies.text)
def test_canonical_text_is_stable(text: str) -> None:
    try:
        rule = parse_rule(text)
    except FilterSyntaxError:
        return
    canonical = rule.to_text()
    assert parse_rule(canonical) == rule
    assert parse_rule(canonical).to_text() == canonical
