"""Tests for matching many subscriptions against a digest's papers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.matcher.filters import Rule, parse_rule
from bot.matcher.match import match_papers
from bot.matcher.orgs import OrgMatcher
from bot.parser.markdown import parse_file
from bot.parser.models import Paper
from tests.matcher import strategies
from tests.matcher.papers import paper

ORGS = OrgMatcher()

PAPERS = [
    paper(1, org="OpenAI", score=66.55, tags=["Super Lab", "Must Read"]),
    paper(2, org="Tencent", score=68.9, tags=["Frontier Lab"]),
    paper(3, org="GoogleDeepMind", score=43.93, tags=["Frontier Lab"]),
    paper(4, org="Meta AI", score=35.0, tags=["Viral"]),
    paper(5, org="Google Research", score=20.69, tags=[]),
]


def ranks(papers: list[Paper]) -> list[int]:
    return [item.rank for item in papers]


def test_match_papers_keeps_digest_order() -> None:
    matched = match_papers(PAPERS, [("chat", parse_rule("Google Tencent"))], ORGS)
    assert ranks(matched["chat"]) == [2, 3, 5]


def test_match_papers_dedupes_overlapping_rules() -> None:
    subscriptions = [
        ("chat", parse_rule("Google")),
        ("chat", parse_rule('tag:"Frontier Lab"')),
        ("chat", parse_rule("all")),
    ]
    matched = match_papers(PAPERS, subscriptions, ORGS)
    assert ranks(matched["chat"]) == [1, 2, 3, 4, 5]


def test_match_papers_unions_rules_of_one_key() -> None:
    subscriptions = [("chat", parse_rule("Meta")), ("chat", parse_rule("score>60"))]
    matched = match_papers(PAPERS, subscriptions, ORGS)
    assert ranks(matched["chat"]) == [1, 2, 4]


def test_match_papers_omits_keys_without_match() -> None:
    subscriptions = [("a", parse_rule("Anthropic")), ("b", parse_rule("OpenAI"))]
    matched = match_papers(PAPERS, subscriptions, ORGS)
    assert list(matched) == ["b"]


def test_match_papers_gives_each_key_its_own_list() -> None:
    matched = match_papers(PAPERS, [("a", Rule()), ("b", Rule())], ORGS)
    matched["a"].clear()
    assert ranks(matched["b"]) == [1, 2, 3, 4, 5]


def test_match_papers_tuple_keys() -> None:
    subscriptions = [(("telegram", 42), parse_rule("-tag:Viral score>=40"))]
    matched = match_papers(PAPERS, subscriptions, ORGS)
    assert ranks(matched[("telegram", 42)]) == [1, 2, 3]


def test_match_papers_empty_digest() -> None:
    assert match_papers([], [("chat", Rule())], ORGS) == {}


def test_match_papers_no_subscriptions() -> None:
    assert match_papers(PAPERS, [], ORGS) == {}


def test_match_papers_accepts_generator() -> None:
    subscriptions = ((f"chat{index}", parse_rule("Google")) for index in range(3))
    matched = match_papers(PAPERS, subscriptions, ORGS)
    assert sorted(matched) == ["chat0", "chat1", "chat2"]


@given(strategies.papers, st.lists(strategies.vocabulary_rules, max_size=8))
def test_match_papers_agrees_with_rule_matches(papers: list[Paper], rules: list[Rule]) -> None:
    matched = match_papers(papers, list(enumerate(rules)), ORGS)
    expected = {}
    for number, rule in enumerate(rules):
        selected = [item for item in papers if rule.matches(item, ORGS)]
        if selected:
            expected[number] = selected
    assert matched == expected


# Real corpus ----------------------------------------------------------------------------

RULE_TEXTS = [
    "all",
    "Google",
    "Microsoft",
    '"Microsoft Research"',
    "Tencent -Hunyuan",
    "Alibaba",
    "Tsinghua",
    'tag:"Frontier Lab"',
    'tag:"Super Lab" -tag:"Must Read"',
    "kw:agent",
    "kw:模型 score>=50",
    "upvotes>20 stars<=100",
    "-Unknown score<40",
]


def corpus_papers(corpus_dir: Path) -> dict[str, list[Paper]]:
    files = sorted((corpus_dir / "real").glob("dailynews_*.md"))
    return {path.name: parse_file(path).papers for path in files}


def test_corpus_index_agrees_with_direct_matching(corpus_dir: Path) -> None:
    for name, papers in corpus_papers(corpus_dir).items():
        subscriptions = [(text, parse_rule(text)) for text in RULE_TEXTS]
        matched = match_papers(papers, subscriptions, ORGS)
        for text, rule in subscriptions:
            expected = [item for item in papers if rule.matches(item, ORGS)]
            assert matched.get(text, []) == expected, (name, text)


def test_corpus_every_org_matches_itself(corpus_dir: Path) -> None:
    for papers in corpus_papers(corpus_dir).values():
        for item in papers:
            assert ORGS.matches(item.org, item.org), item.org


@pytest.mark.parametrize(
    ("file_name", "rule_text", "expected_orgs"),
    [
        pytest.param("dailynews_2026-03-10.md", "Google", ["Deepmind", "Google"],
                     id="google-finds-deepmind"),
        pytest.param("dailynews_2026-03-10.md", "Alibaba", ["Qwen"], id="alibaba-finds-qwen"),
        pytest.param("dailynews_2026-06-09.md", "Microsoft", ["Microsoft", "Microsoft Research"],
                     id="microsoft-both"),
        pytest.param("dailynews_2026-06-09.md", '"Microsoft Research"', ["Microsoft Research"],
                     id="microsoft-research-only"),
        pytest.param("dailynews_2026-06-09.md", "Mistral", ["Mistral AI_"], id="mistral"),
        pytest.param("dailynews_2026-06-09.md", "Huawei", ["HUAWEI Noah's Ark Lab"],
                     id="huawei"),
        pytest.param("dailynews_2026-08-11.md", "Alibaba", ["Qwen Business Unit", "alibaba"],
                     id="alibaba-spellings"),
        pytest.param("dailynews_2026-08-11.md", '"Vision Lab"',
                     ["RAIVN: Reasoning, AI, & Vision Lab @ UW"], id="raivn"),
    ],
)
def test_corpus_org_rule(corpus_dir: Path, file_name: str, rule_text: str,
                         expected_orgs: list[str]) -> None:
    papers = parse_file(corpus_dir / "real" / file_name).papers
    matched = match_papers(papers, [("chat", parse_rule(rule_text))], ORGS)
    assert sorted({item.org for item in matched["chat"]}) == expected_orgs


def test_corpus_frontier_lab_tag_excludes_super_lab(corpus_dir: Path) -> None:
    papers = parse_file(corpus_dir / "real" / "dailynews_2026-03-09.md").papers
    matched = match_papers(papers, [("chat", parse_rule('tag:"Frontier Lab"'))], ORGS)
    assert all("Frontier Lab" in item.tags for item in matched["chat"])
    assert [item.org for item in papers if "Super Lab" in item.tags] == ["OpenAI"]
    assert "OpenAI" not in {item.org for item in matched["chat"]}
