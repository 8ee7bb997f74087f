"""Match a stored digest against every active subscription and queue the due cards."""

from __future__ import annotations

import functools
import logging

from bot.clock import Clock
from bot.delivery.schedule import DEFAULT_TIMEZONE, Schedule, due_at, schedule_for
from bot.errors import FilterSyntaxError
from bot.matcher.filters import Rule, parse_rule
from bot.matcher.match import match_papers
from bot.matcher.orgs import OrgMatcher
from bot.parser.models import Digest
from bot.store import DueCard, Store

logger = logging.getLogger(__name__)


class Planner:
    """Turn a digest into outbox rows, one per (paper, chat) that a subscription matches.

    Each row is due at the time the chat's schedule sets (``bot.delivery.schedule``),
    with ``default_timezone`` for chats that set none. It carries the thread and delivery
    mode of the subscription that matched.
    """

    def __init__(self, *, store: Store, orgs: OrgMatcher, clock: Clock,
                 default_timezone: str = DEFAULT_TIMEZONE) -> None:
        self._store = store
        self._orgs = orgs
        self._clock = clock
        self._default_timezone = default_timezone

    async def plan(self, digest: Digest) -> int:
        """Queue the cards of ``digest`` not yet in the ledger; return how many were new."""
        # Keyed by (chat, topic, mode): a subscription made in a forum topic delivers there,
        # in its own mode. The ledger's (digest date, paper, chat) key still sends a paper
        # once per chat.
        subscriptions: list[tuple[tuple[int, str | None, str], Rule]] = []
        schedules: dict[int, Schedule] = {}
        for chat, subscription in await self._store.chats.active_subscriptions():
            rule = _parse_stored(subscription.rule)
            if rule is not None:
                subscriptions.append(((chat.pk, subscription.thread_id, subscription.mode), rule))
                if chat.pk not in schedules:
                    schedules[chat.pk] = schedule_for(chat, default_zone=self._default_timezone)
        matches = match_papers(digest.papers, subscriptions, self._orgs)
        now = self._clock()
        # NOTE: a /time, /tz or /quiet change that lands between the read above and the
        # enqueue below re-times the older cards only, so these keep the old schedule.
        due = {pk: due_at(schedule, stored_at=now, now=now) for pk, schedule in schedules.items()}
        # A paper that several subscriptions of one chat match goes out once, with the thread
        # and mode of the first of them in /list order (the order of ``matches``).
        cards: dict[tuple[int, str], DueCard] = {}
        for (chat_pk, thread_id, mode), papers in matches.items():
            for paper in papers:
                cards.setdefault((chat_pk, paper.key), DueCard(
                    digest_date=digest.date, paper_key=paper.key, chat_pk=chat_pk,
                    thread_id=thread_id, mode=mode, due_at=due[chat_pk]))
        added = await self._store.outbox.enqueue(list(cards.values()), now=now)
        logger.info("planned digest=%s chats=%d matches=%d new_cards=%d", digest.date,
                    len({chat_pk for chat_pk, _ in cards}), len(cards), added)
        return added


# Parsing is the costly part of planning (about 7 µs a rule), so parsed rules are kept
# across digests. NOTE: the memory of 200,000 cached rules is estimated, not measured.
@functools.lru_cache(maxsize=200_000)
def _parse_stored(text: str) -> Rule | None:
    try:
        return parse_rule(text)
    except FilterSyntaxError:
        # Stored rules were valid when saved; one that no longer parses is skipped, not fatal.
        logger.exception("stored rule no longer parses rule=%r", text)
        return None
