"""Match a stored digest against every active subscription and queue the due cards."""

from __future__ import annotations

import functools
import logging

from bot.clock import Clock
from bot.errors import FilterSyntaxError
from bot.matcher.filters import Rule, parse_rule
from bot.matcher.match import match_papers
from bot.matcher.orgs import OrgMatcher
from bot.parser.models import Digest
from bot.store import DueCard, Store

logger = logging.getLogger(__name__)


class Planner:
    """Turn a digest into outbox rows, one per (paper, chat) that a subscription matches."""

    def __init__(self, *, store: Store, orgs: OrgMatcher, clock: Clock) -> None:
        self._store = store
        self._orgs = orgs
        self._clock = clock

    async def plan(self, digest: Digest) -> int:
        """Queue the cards of ``digest`` not yet in the ledger; return how many were new."""
        # Keyed by (chat, topic): a subscription made in a forum topic delivers there. The
        # ledger's (digest date, paper, chat) key still sends a paper once per chat.
        subscriptions: list[tuple[tuple[int, str | None], Rule]] = []
        for chat, subscription in await self._store.chats.active_subscriptions():
            rule = _parse_stored(subscription.rule)
            if rule is not None:
                subscriptions.append(((chat.pk, subscription.thread_id), rule))
        matches = match_papers(digest.papers, subscriptions, self._orgs)
        now = self._clock()
        cards = [
            DueCard(digest_date=digest.date, paper_key=paper.key, chat_pk=chat_pk,
                    thread_id=thread_id, due_at=now)
            for (chat_pk, thread_id), papers in matches.items()
            for paper in papers
        ]
        added = await self._store.outbox.enqueue(cards, now=now)
        logger.info("planned digest=%s chats=%d matches=%d new_cards=%d", digest.date,
                    len(matches), len(cards), added)
        return added


@functools.lru_cache(maxsize=4096)
def _parse_stored(text: str) -> Rule | None:
    try:
        return parse_rule(text)
    except FilterSyntaxError:
        # Stored rules were valid when saved; one that no longer parses is skipped, not fatal.
        logger.exception("stored rule no longer parses rule=%r", text)
        return None
