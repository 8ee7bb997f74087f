"""Hypothesis strategies for filter text, rules and papers."""

from __future__ import annotations

from hypothesis import strategies as st

from bot.matcher import filters
from bot.matcher.filters import Comparison, KeywordTerm, Not, OrgTerm, PlainTerm, Rule, TagTerm
from bot.parser.models import Paper

# Characters that mean something to the parser, mixed into generated text.
_SYNTAX = st.sampled_from(list(' \u3000:："“”＂「」『』-－−<>=＜＞＝≥≤.0123456789aAlL\'_&'))
_PIECES = st.sampled_from(["all", "org:", "tag:", "kw:", "score", ">=", "-", '"', " ", "3",
                           "Google", "「", "」"])

text = st.one_of(st.text(max_size=30), st.text(_SYNTAX, max_size=30),
                 st.lists(_PIECES, max_size=10).map("".join))


def _valid(make: type[OrgTerm] | type[TagTerm] | type[KeywordTerm], value: str) -> bool:
    try:
        make(value)
    except ValueError:
        return False
    return True


_values = text.map(lambda typed: " ".join(typed.split()))
_numbers = st.floats(min_value=0, allow_nan=False, allow_infinity=False)
_plain_terms: st.SearchStrategy[PlainTerm] = st.one_of(
    _values.filter(lambda value: _valid(OrgTerm, value)).map(OrgTerm),
    _values.filter(lambda value: _valid(TagTerm, value)).map(TagTerm),
    _values.filter(lambda value: _valid(KeywordTerm, value)).map(KeywordTerm),
    st.builds(Comparison, st.sampled_from(filters.FIELDS), st.sampled_from(filters.OPERATORS),
              _numbers),
)
rules = st.frozensets(st.one_of(_plain_terms, _plain_terms.map(Not)), max_size=6).map(Rule)

# A small vocabulary, so that generated rules and papers often meet.
ORG_NAMES = ["Google", "GoogleDeepMind", "Deepmind", "Google Research", "Meta", "Metaculus",
             "Alibaba", "alibaba-inc", "Qwen", "Tsinghua", "BytedTsinghua-SIA",
             "Microsoft Research", "MSRA", "Mistral AI_",
             "RAIVN: Reasoning, AI, & Vision Lab @ UW"]
TAG_NAMES = ["Frontier Lab", "Super Lab", "Viral", "Must Read"]
WORDS = ["agent", "Diffusion", "模型", "reasoning"]
NUMBERS = [0, 5, 20.69, 35, 38.45, 60, 128.73]

_vocabulary_terms: st.SearchStrategy[PlainTerm] = st.one_of(
    st.sampled_from(ORG_NAMES).map(OrgTerm),
    st.sampled_from([*TAG_NAMES, "frontier lab", "Lab"]).map(TagTerm),
    st.sampled_from([*WORDS, "diffusion"]).map(KeywordTerm),
    st.builds(Comparison, st.sampled_from(filters.FIELDS), st.sampled_from(filters.OPERATORS),
              st.sampled_from(NUMBERS)),
)
vocabulary_rules = st.frozensets(
    st.one_of(_vocabulary_terms, _vocabulary_terms.map(Not)), max_size=4,
).map(Rule)

_counts = st.one_of(st.sampled_from([int(number) for number in NUMBERS]),
                    st.integers(0, 300))
papers = st.lists(
    st.builds(
        Paper,
        rank=st.just(1),
        title_en=st.lists(st.sampled_from(WORDS), max_size=3).map(" ".join),
        summary=st.none() | st.sampled_from(WORDS),
        org=st.sampled_from(ORG_NAMES),
        score=st.one_of(st.sampled_from(NUMBERS).map(float), _numbers, st.just(float("nan"))),
        tags=st.lists(st.sampled_from(TAG_NAMES), max_size=2),
        upvotes=_counts,
        stars=_counts,
    ),
    max_size=12,
).map(lambda drawn: [item.model_copy(update={"rank": rank, "arxiv_id": f"2603.{rank:05d}"})
                     for rank, item in enumerate(drawn, start=1)])
