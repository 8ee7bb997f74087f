"""Tests for organisation matching, the alias table and alias files."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.matcher.orgs import BUILTIN_ALIASES, OrgMatcher, load_alias_file, org_words


@pytest.mark.parametrize(
    ("query", "org", "expected"),
    [
        pytest.param("Google", "Google", True, id="google-exact"),
        pytest.param("google", "GOOGLE", True, id="case-insensitive"),
        pytest.param("Google", "Google DeepMind", True, id="google-in-google-deepmind"),
        pytest.param("Google", "Google Research", True, id="google-in-google-research"),
        pytest.param("Google", "GoogleDeepMind", True, id="google-via-alias"),
        pytest.param("Google", "Deepmind", True, id="google-via-deepmind-alias"),
        pytest.param("DeepMind", "Deepmind", True, id="deepmind-spelling"),
        pytest.param("DeepMind", "GoogleDeepMind", True, id="deepmind-in-joined"),
        pytest.param("Google DeepMind", "Deepmind", True, id="full-name-from-short"),
        pytest.param("Google DeepMind", "GoogleDeepMind", True, id="full-name-from-joined"),
        pytest.param("GoogleDeepMind", "Google DeepMind", True, id="joined-query"),
        pytest.param("GoogleDeepMind", "Google Research", False, id="joined-query-not-research"),
        pytest.param("DeepMind", "Google", False, id="lab-not-parent"),
        pytest.param("Google DeepMind", "Google Research", False, id="phrase-not-sibling"),
        pytest.param("Meta", "Meta", True, id="meta-exact"),
        pytest.param("Meta", "Meta AI", True, id="meta-ai"),
        pytest.param("Meta", "Metaculus", False, id="meta-not-metaculus"),
        pytest.param("Meta", "FAIR", True, id="meta-via-fair"),
        pytest.param("FAIR", "Meta", False, id="fair-not-all-of-meta"),
        pytest.param("Tsinghua", "Tsinghua University", True, id="tsinghua-university"),
        pytest.param("Tsinghua", "BytedTsinghua-SIA", False, id="tsinghua-not-inside-word"),
        pytest.param("Microsoft Research", "Microsoft Research Asia", True, id="phrase-prefix"),
        pytest.param("Microsoft Research", "Microsoft", False, id="phrase-longer-than-org"),
        pytest.param("Microsoft", "MSRA", True, id="microsoft-via-msra"),
        pytest.param("MSRA", "Microsoft Research Asia", True, id="msra-query"),
        pytest.param("Research Microsoft", "Microsoft Research", False, id="word-order"),
        pytest.param("Alibaba", "alibaba-inc", True, id="alibaba-inc"),
        pytest.param("Alibaba", "Alibaba-Inc", True, id="alibaba-inc-capital"),
        pytest.param("Alibaba", "alibaba", True, id="alibaba-lower"),
        pytest.param("Alibaba", "Alibaba Cloud Apsara Lab ", True, id="trailing-space"),
        pytest.param("Alibaba", "TongyiLab", True, id="alibaba-via-tongyilab"),
        pytest.param("Alibaba", "Qwen Business Unit", True, id="alibaba-via-qwen"),
        pytest.param("Qwen", "alibaba-inc", False, id="qwen-not-all-of-alibaba"),
        pytest.param("Tongyi Lab", "TongyiLab", True, id="tongyi-lab-spelling"),
        pytest.param("Baidu", "BAIDU", True, id="baidu-upper"),
        pytest.param("UW", "RAIVN: Reasoning, AI, & Vision Lab @ UW", True, id="raivn-uw"),
        pytest.param("Vision Lab", "RAIVN: Reasoning, AI, & Vision Lab @ UW", True,
                     id="raivn-phrase"),
        pytest.param("RAIVN", "RAIVN: Reasoning, AI, & Vision Lab @ UW", True, id="raivn-name"),
        pytest.param("AI Vision", "RAIVN: Reasoning, AI, & Vision Lab @ UW", True,
                     id="raivn-punctuation-ignored"),
        pytest.param("Mistral AI", "Mistral AI_", True, id="trailing-underscore"),
        pytest.param("Mila", "Mila – Quebec Artificial Intelligence Institute", True,
                     id="en-dash"),
        pytest.param("Noah's Ark", "HUAWEI Noah's Ark Lab", True, id="apostrophe"),
        pytest.param("Huawei", "Noah's Ark Lab", True, id="huawei-via-alias"),
        pytest.param("Tencent", "ARC Lab, Tencent PCG", True, id="comma-inside-org"),
        pytest.param("Hunyuan", "Tencent Hunyuan", True, id="hunyuan"),
        pytest.param("清华", "清华大学", True, id="cjk-characters-are-words"),
        pytest.param("华大", "北京大学", False, id="cjk-sequence-must-match"),
        pytest.param("Google", "Unknown", False, id="unknown-org"),
    ],
)
def test_org_matcher_matches(query: str, org: str, expected: bool) -> None:
    assert OrgMatcher().matches(query, org) is expected


def test_org_matcher_repeated_pairs_keep_results() -> None:
    matcher = OrgMatcher()
    answers = [matcher.matches(query, org) for query, org in
               [("Meta", "Metaculus"), ("Meta", "Meta AI")] * 2]
    assert answers == [False, True, False, True]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        pytest.param("RAIVN: Reasoning, AI, & Vision Lab @ UW",
                     ("raivn", "reasoning", "ai", "vision", "lab", "uw"), id="punctuation"),
        pytest.param("Mistral AI_", ("mistral", "ai"), id="underscore"),
        pytest.param("BytedTsinghua-SIA", ("bytedtsinghua", "sia"), id="hyphen"),
        pytest.param("ＧＯＯＧＬＥ", ("google",), id="full-width-letters"),
        pytest.param("北大 Lab", ("北", "大", "lab"), id="cjk"),
        pytest.param(" -- ", (), id="no-words"),
    ],
)
def test_org_words(text: str, words: tuple[str, ...]) -> None:
    assert org_words(text) == words


def test_builtin_aliases_all_have_words() -> None:
    for canonical, aliases in BUILTIN_ALIASES.items():
        assert org_words(canonical), canonical
        for alias in aliases:
            assert org_words(alias), alias


def test_extra_aliases_extend_builtin_table() -> None:
    matcher = OrgMatcher({"ByteDance": ["Doubao"]})
    assert matcher.matches("ByteDance", "Doubao Team")
    assert matcher.matches("Google", "GoogleDeepMind")


def test_constructor_rejects_alias_without_words() -> None:
    with pytest.raises(ValueError, match="has no letters or digits"):
        OrgMatcher({"ByteDance": ["--"]})


# Alias files ----------------------------------------------------------------------------


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "aliases.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_load_alias_file_reads_lines(tmp_path: Path) -> None:
    path = write(tmp_path, (
        "# Extra spellings for our readers\n"
        "\n"
        "ByteDance = Doubao, ByteDance Seed Team\n"
        "  Zhipu AI =  THUDM ,Z AI  \n"
        "ByteDance = Seed Edge\n"
    ))
    assert load_alias_file(path) == {
        "ByteDance": ("Doubao", "ByteDance Seed Team", "Seed Edge"),
        "Zhipu AI": ("THUDM", "Z AI"),
    }


def test_from_alias_file_applies_aliases(tmp_path: Path) -> None:
    matcher = OrgMatcher.from_alias_file(write(tmp_path, "Zhipu AI = THUDM\n"))
    assert matcher.matches("Zhipu", "THUDM")
    assert matcher.matches("Meta", "FAIR")


def test_from_alias_file_none_uses_builtin_table() -> None:
    assert OrgMatcher.from_alias_file(None).matches("Google", "Deepmind")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("# ok\nByteDance Doubao\n", ":2: missing '=' in 'ByteDance Doubao'",
                     id="missing-equals"),
        pytest.param("= Doubao\n", ":1: the canonical name before '='", id="empty-canonical"),
        pytest.param("ByteDance =\n", ":1: no aliases after '='", id="empty-aliases"),
        pytest.param("ByteDance = Doubao,,Seed\n", ":1: alias '' in", id="double-comma"),
        pytest.param("ByteDance = Doubao, --\n", ":1: alias '--' in", id="alias-without-words"),
    ],
)
def test_load_alias_file_malformed_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_alias_file(path)
    assert str(caught.value).startswith(f"{path}{message}")


def test_load_alias_file_error_names_the_fix(tmp_path: Path) -> None:
    path = write(tmp_path, "ByteDance Doubao\n")
    with pytest.raises(ConfigError, match="Write 'Canonical Name = alias, other alias'"):
        load_alias_file(path)


def test_load_alias_file_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.txt"
    with pytest.raises(ConfigError, match="cannot read the organisation alias file") as caught:
        load_alias_file(path)
    assert str(caught.value).startswith(str(path))


def test_load_alias_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "aliases.txt"
    path.write_bytes("字节跳动 = Doubao\n".encode("gbk"))
    with pytest.raises(ConfigError, match="readable UTF-8 text file"):
        load_alias_file(path)
