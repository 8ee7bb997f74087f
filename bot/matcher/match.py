"""Matching many subscriptions against the papers of one digest."""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Hashable, Iterable, Sequence
from typing import TypeVar

from bot.matcher.filters import (
    Comparison,
    Field,
    KeywordTerm,
    OrgTerm,
    PlainTerm,
    PreparedPaper,
    Rule,
    TagTerm,
    fold,
)
from bot.matcher.orgs import OrgMatcher
from bot.parser.models import Paper

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)

_FIELDS: tuple[Field, ...] = ("score", "upvotes", "stars")


def match_papers(
    papers: Sequence[Paper],
    subscriptions: Iterable[tuple[K, Rule]],
    orgs: OrgMatcher,
) -> dict[K, list[Paper]]:
    """Return, per subscriber key, the papers that any of its rules takes.

    Each list keeps the order of ``papers`` and contains a paper once, however many of the
    key's rules take it. Keys whose rules take nothing are absent.

    Work is shared: the digest is indexed once, every distinct term is resolved once to
    a bitmask with one bit per paper, and every distinct rule is evaluated once on those
    bitmasks, so the cost per subscription barely grows with the number of papers.
    """
    index = DigestIndex(papers, orgs)
    rule_masks: dict[Rule, int] = {}
    key_masks: dict[K, int] = {}
    subscription_count = 0
    for key, rule in subscriptions:
        subscription_count += 1
        mask = rule_masks.get(rule)
        if mask is None:
            mask = rule.evaluate(index.mask, index.everything)
            rule_masks[rule] = mask
        if mask:
            key_masks[key] = key_masks.get(key, 0) | mask

    selections: dict[int, list[Paper]] = {}
    matched: dict[K, list[Paper]] = {}
    for key, mask in key_masks.items():
        selection = selections.get(mask)
        if selection is None:
            selection = [paper for position, paper in enumerate(papers) if mask >> position & 1]
            selections[mask] = selection
        # Each key gets its own list, so a caller may change one without the others.
        matched[key] = list(selection)
    logger.debug(
        "matched papers=%s subscriptions=%s rules=%s keys_matched=%s",
        len(papers), subscription_count, len(rule_masks), len(matched),
    )
    return matched


class DigestIndex:
    """The papers of one digest indexed by org, tag and numeric field.

    ``mask(term)`` returns the papers a term matches as an int with bit ``i`` set for
    ``papers[i]``. It must agree with ``term.matches`` for every paper, which the
    matcher tests check on generated rules and papers.
    """

    def __init__(self, papers: Sequence[Paper], orgs: OrgMatcher) -> None:
        self.everything = (1 << len(papers)) - 1
        self._orgs = orgs
        self._prepared = [PreparedPaper.from_paper(paper) for paper in papers]
        self._by_org: dict[str, int] = {}
        self._by_tag: dict[str, int] = {}
        for position, prepared in enumerate(self._prepared):
            bit = 1 << position
            self._by_org[prepared.paper.org] = self._by_org.get(prepared.paper.org, 0) | bit
            for tag in prepared.tags:
                self._by_tag[tag] = self._by_tag.get(tag, 0) | bit
        self._ranges = {field: _SortedField(papers, field) for field in _FIELDS}
        self._cache: dict[PlainTerm, int] = {}

    def mask(self, term: PlainTerm) -> int:
        """Return the bitmask of the papers that ``term`` matches."""
        mask = self._cache.get(term)
        if mask is None:
            mask = self._compute(term)
            self._cache[term] = mask
        return mask

    def _compute(self, term: PlainTerm) -> int:
        if isinstance(term, Comparison):
            return self._ranges[term.field].mask(term)
        if isinstance(term, TagTerm):
            return self._by_tag.get(fold(term.tag), 0)
        if isinstance(term, OrgTerm):
            mask = 0
            for org, org_mask in self._by_org.items():
                if self._orgs.matches(term.query, org):
                    mask |= org_mask
            return mask
        return self._scan(term)

    def _scan(self, term: KeywordTerm) -> int:
        mask = 0
        for position, prepared in enumerate(self._prepared):
            if term.matches(prepared, self._orgs):
                mask |= 1 << position
        return mask


class _SortedField:
    """One numeric field of every paper, sorted, with the bitmask of each prefix."""

    def __init__(self, papers: Sequence[Paper], field: Field) -> None:
        # NaN compares false with everything, so such papers are left out of every mask.
        ordered = sorted(
            (value, position)
            for position, paper in enumerate(papers)
            if not math.isnan(value := float(getattr(paper, field)))
        )
        self._values = [value for value, _ in ordered]
        self._prefixes = [0]
        for _, position in ordered:
            self._prefixes.append(self._prefixes[-1] | 1 << position)

    def mask(self, term: Comparison) -> int:
        """Return the papers whose field satisfies ``term``."""
        below = self._prefixes[bisect.bisect_left(self._values, term.value)]
        up_to = self._prefixes[bisect.bisect_right(self._values, term.value)]
        every = self._prefixes[-1]
        if term.operator == "<":
            return below
        if term.operator == "<=":
            return up_to
        if term.operator == ">":
            return every & ~up_to
        if term.operator == ">=":
            return every & ~below
        return up_to & ~below
