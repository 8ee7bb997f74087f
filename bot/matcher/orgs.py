"""Organisation matching: whole-word comparison of org names with a table of aliases.

An org string and a query are both reduced to words: the text is NFKC-normalised and
case-folded, then split on everything that is not a letter or digit (so ``-``, ``_``,
``'``, ``@``, ``:``, ``,`` and dashes separate words). A Chinese or Japanese character
counts as a word of its own, because those scripts put no spaces between words.

Each side is then expanded into *forms*: the words themselves, plus one form for every
alias spelling found in them, with that spelling replaced by its canonical name. The
org matches the query when some form of the query occurs as a contiguous run of whole
words in some form of the org. So ``Google`` matches ``Google Research`` and, through
the alias ``GoogleDeepMind`` → ``Google DeepMind``, also ``GoogleDeepMind``. ``Meta``
does not match ``Metaculus``, and ``Tsinghua`` does not match ``BytedTsinghua-SIA``.

A canonical name puts the parent organisation first (``Alibaba Qwen``), so a query for
the parent finds its labs while a query for a lab does not find the whole parent. When
the canonical name is only another spelling (``Facebook`` → ``Meta``), a query for
either finds both. Expansion is one level deep: the canonical name is not itself
searched for aliases.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

from bot.errors import ConfigError

logger = logging.getLogger(__name__)

# Han, kana and CJK compatibility ideographs: one character is one word.
_CJK: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_WORD: Final = re.compile(rf"[{_CJK}]|[^\W_{_CJK}]+")

# Maximum entries per cache, because org strings change with every digest.
_CACHE_LIMIT: Final = 200_000

BUILTIN_ALIASES: Final[Mapping[str, tuple[str, ...]]] = {
    "Google DeepMind": ("GoogleDeepMind", "DeepMind"),
    "Alibaba Qwen": ("Qwen", "QwenLM"),
    "Alibaba Tongyi Lab": ("TongyiLab", "Tongyi Lab"),
    "Alibaba Tongyi": ("Tongyi",),
    "Alibaba DAMO Academy": ("DAMO Academy",),
    "Alibaba Cloud": ("Aliyun", "AlibabaCloud"),
    "Meta": ("Facebook",),
    "Meta FAIR": ("FAIR", "Facebook AI Research"),
    "Microsoft Research": ("MSR",),
    "Microsoft Research Asia": ("MSRA",),
    "Tencent Hunyuan": ("Hunyuan",),
    "Huawei Noah's Ark Lab": ("Noah's Ark Lab",),
    "Kuaishou Kling Team": ("Kling Team",),
    "Meituan LongCat": ("LongCat",),
    "Moonshot AI": ("MoonshotAI", "Kimi"),
    "Mistral AI": ("MistralAI",),
    "Amazon Web Services": ("AWS",),
    "Allen Institute for AI": ("AI2", "AllenAI"),
    "Shanghai AI Laboratory": ("Shanghai AI Lab", "Shanghai Artificial Intelligence Laboratory"),
    "The Hong Kong University of Science and Technology": ("HKUST",),
    "UC Berkeley": ("University of California Berkeley",),
    "Carnegie Mellon University": ("CMU",),
    "Massachusetts Institute of Technology": ("MIT",),
    "Peking University": ("PKU",),
    "Shanghai Jiao Tong University": ("SJTU",),
    "National University of Singapore": ("NUS",),
}


def org_words(text: str) -> tuple[str, ...]:
    """Split ``text`` into the case-folded words that organisation matching compares."""
    return tuple(_WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def _joined(words: Iterable[str]) -> str:
    # Spaces at both ends make ``" a b " in " x a b y "`` a whole-word test.
    return " " + " ".join(words) + " "


class OrgMatcher:
    """Matcher of organisation strings against queries, with aliases and a cache.

    ``aliases`` maps a canonical name to the other spellings of that organisation and is
    added to ``BUILTIN_ALIASES``. Results are cached per (query, org) pair, so matching
    many subscriptions against one digest scans each pair once.
    """

    def __init__(self, aliases: Mapping[str, Iterable[str]] | None = None) -> None:
        self._aliases: dict[str, set[str]] = {}
        for table in (BUILTIN_ALIASES, aliases or {}):
            for canonical, spellings in table.items():
                self._add_group(canonical, spellings)
        self._forms: dict[str, tuple[str, ...]] = {}
        self._results: dict[tuple[str, str], bool] = {}

    @classmethod
    def from_alias_file(cls, path: Path | None) -> OrgMatcher:
        """Build a matcher from the built-in table plus the aliases in ``path``, if given."""
        if path is None:
            return cls()
        return cls(load_alias_file(path))

    def _add_group(self, canonical: str, spellings: Iterable[str]) -> None:
        target = _joined(org_words(canonical))
        for spelling in spellings:
            words = org_words(spelling)
            if not words:
                raise ValueError(f"alias {spelling!r} of {canonical!r} has no letters or digits")
            self._aliases.setdefault(_joined(words), set()).add(target)

    def matches(self, query: str, org: str) -> bool:
        """Return whether ``org`` names the organisation in ``query`` (see the module doc)."""
        pair = (query, org)
        cached = self._results.get(pair)
        if cached is not None:
            return cached
        if len(self._results) >= _CACHE_LIMIT:
            self._results.clear()
        org_forms = self._forms_of(org)
        result = any(wanted in form for wanted in self._forms_of(query) for form in org_forms)
        self._results[pair] = result
        return result

    def _forms_of(self, text: str) -> tuple[str, ...]:
        forms = self._forms.get(text)
        if forms is not None:
            return forms
        if len(self._forms) >= _CACHE_LIMIT:
            self._forms.clear()
        words = _joined(org_words(text))
        expanded = [words]
        for spelling, targets in self._aliases.items():
            start = words.find(spelling)
            while start != -1:
                # The match shares its boundary spaces with the text around it.
                before, after = words[:start], words[start + len(spelling):]
                expanded.extend(before + target + after for target in targets)
                start = words.find(spelling, start + 1)
        forms = tuple(expanded)
        self._forms[text] = forms
        return forms


def load_alias_file(path: Path) -> dict[str, tuple[str, ...]]:
    """Read extra organisation aliases from a UTF-8 text file.

    Each line reads ``Canonical Name = alias one, alias two``. Blank lines and lines
    starting with ``#`` are skipped. Punctuation is ignored when matching, so a name that
    contains a comma is written without it. A canonical name that appears on several
    lines collects the aliases of all of them.

    Raises ConfigError naming ``FILE:LINE`` and the fix when the file cannot be read or
    a line is malformed.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"{path}: cannot read the organisation alias file ({error}). "
            "Point the setting at a readable UTF-8 text file."
        ) from error
    table: dict[str, list[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        canonical, aliases = _parse_alias_line(line, f"{path}:{number}")
        table.setdefault(canonical, []).extend(aliases)
    logger.info("loaded organisation aliases path=%s canonical_names=%s", path, len(table))
    return {canonical: tuple(aliases) for canonical, aliases in table.items()}


def _parse_alias_line(line: str, place: str) -> tuple[str, list[str]]:
    canonical, separator, rest = line.partition("=")
    canonical = " ".join(canonical.split())
    if not separator:
        raise ConfigError(
            f"{place}: missing '=' in {line!r}. Write 'Canonical Name = alias, other alias'."
        )
    if not org_words(canonical):
        raise ConfigError(
            f"{place}: the canonical name before '=' in {line!r} has no letters or digits. "
            "Write 'Canonical Name = alias, other alias'."
        )
    aliases = [" ".join(alias.split()) for alias in rest.split(",")]
    if not any(aliases):
        raise ConfigError(
            f"{place}: no aliases after '=' in {line!r}. List them separated by commas."
        )
    for alias in aliases:
        if not org_words(alias):
            raise ConfigError(
                f"{place}: alias {alias!r} in {line!r} has no letters or digits. "
                "Remove it or the extra comma."
            )
    return canonical, aliases
