"""Prometheus instruments of one paperbot process, kept in a registry of their own.

Components take a ``Metrics`` as a keyword argument; one built without a server is never
scraped, so leaving it out costs nothing. Label values are platform and command names
only, never chat ids or secrets.
"""

from __future__ import annotations

import datetime as dt

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from bot.clock import as_utc
from bot.store.outbox import Outbox

__all__ = ["CONTENT_TYPE_LATEST", "Metrics"]

# From "due" to "sent": seconds when the queue is short, up to an hour when a large
# fan-out waits for the sending limits.
LATENCY_BUCKETS = (0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
                   3600.0)
UNKNOWN_COMMAND = "unknown"


class Metrics:
    """The counters, gauges and histogram that ``/metrics`` exposes."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.digests_ingested = Counter(
            "paperbot_digests_ingested", "Digests parsed and stored.", registry=registry)
        self.digests_rejected = Counter(
            "paperbot_digest_files_rejected", "Digest files that failed to parse.",
            registry=registry)
        self.cards_sent = Counter(
            "paperbot_cards_sent", "Cards delivered.", ["platform"], registry=registry)
        self.cards_failed = Counter(
            "paperbot_cards_failed", "Cards given up on and recorded as failed.",
            ["platform"], registry=registry)
        self.cards_retried = Counter(
            "paperbot_cards_retried", "Card sends that failed and were queued again.",
            ["platform"], registry=registry)
        self.rate_limited = Counter(
            "paperbot_rate_limited", "Sends the platform rejected as too many requests (429).",
            ["platform"], registry=registry)
        self.delivery_latency = Histogram(
            "paperbot_delivery_latency_seconds", "Time from a card's due time to its delivery.",
            ["platform"], buckets=LATENCY_BUCKETS, registry=registry)
        self.commands = Counter(
            "paperbot_commands", "Chat commands handled, by command name.", ["command"],
            registry=registry)
        self.outbox_pending = Gauge(
            "paperbot_outbox_pending", "Outbox rows waiting to be sent (read at scrape time).",
            registry=registry)
        self.outbox_oldest_due_age = Gauge(
            "paperbot_outbox_oldest_due_age_seconds",
            "Age of the oldest pending card that is due, 0 when none is (read at scrape time).",
            registry=registry)
        self.leader = Gauge(
            "paperbot_leader", "1 while this instance is the leader that scans digests.",
            registry=registry)

    def observe_sent(self, platform: str, *, due_at: dt.datetime, now: dt.datetime) -> None:
        """Count a delivered card and its latency from ``due_at``."""
        self.cards_sent.labels(platform=platform).inc()
        latency = (as_utc(now) - as_utc(due_at)).total_seconds()
        self.delivery_latency.labels(platform=platform).observe(max(0.0, latency))

    def count_command(self, name: str, *, known: bool) -> None:
        """Count a command; unknown names share one label so users cannot add series."""
        self.commands.labels(command=name if known else UNKNOWN_COMMAND).inc()

    async def refresh_outbox(self, outbox: Outbox, *, now: dt.datetime) -> None:
        """Read the outbox gauges from the database (two indexed aggregate queries)."""
        summary = await outbox.summary(now=now)
        self.outbox_pending.set(summary.pending)
        age = 0.0
        if summary.oldest_due_at is not None:
            age = max(0.0, (as_utc(now) - as_utc(summary.oldest_due_at)).total_seconds())
        self.outbox_oldest_due_age.set(age)

    def render(self) -> bytes:
        """Return every metric in the Prometheus text format."""
        return generate_latest(self.registry)
