"""Turn one chat's claimed outbox rows into send jobs, following each row's delivery mode.

``cards`` rows become one job per card. ``digest`` rows of one digest date become one
job per digest message, grouped the way the messenger splits them. ``thread`` rows of
one date become one job that posts a summary, after which their cards follow as jobs
into its thread; a platform without threads gets them as cards.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.i18n import Translator
from bot.parser.models import Paper
from bot.platform.base import Messenger, ThreadMessenger
from bot.store import Delivery

CARDS, DIGEST, THREAD = "cards", "digest", "thread"


class JobKind(enum.Enum):
    """What a job sends."""

    CARD = "card"
    DIGEST = "digest"
    SUMMARY = "summary"


@dataclass
class Job:
    """One message (or, when split, one logical message) for one chat, and its rows.

    ``deliveries`` and ``papers`` are in the same order. ``failures`` counts failed tries
    in a row that may be retried, ``waits`` the ``retry_after`` answers.
    """

    chat_pk: int
    kind: JobKind
    date: dt.date
    thread_id: str | None
    deliveries: list[Delivery]
    papers: list[Paper]
    part: int = 1
    parts: int = 1
    failures: int = 0
    waits: int = 0
    moves: int = 0
    tries: int = 0

    @property
    def ids(self) -> list[int]:
        """The outbox row ids of the job."""
        return [delivery.id for delivery in self.deliveries]

    @property
    def keys(self) -> str:
        """The paper keys of the job, for log lines."""
        return ",".join(delivery.paper_key for delivery in self.deliveries)


def build_jobs(deliveries: Sequence[Delivery], papers: Mapping[tuple[dt.date, str], Paper], *,
               messenger: Messenger, t: Translator) -> tuple[list[Job], list[Delivery]]:
    """Group one chat's rows into jobs, in the order of each group's first row.

    Returns the jobs and the rows whose paper is no longer stored, which cannot be sent.
    """
    jobs: list[Job] = []
    missing: list[Delivery] = []
    groups: dict[tuple[str, dt.date, str | None], list[tuple[Delivery, Paper]]] = {}
    threads = isinstance(messenger, ThreadMessenger)
    for delivery in deliveries:
        paper = papers.get((delivery.digest_date, delivery.paper_key))
        if paper is None:
            missing.append(delivery)
            continue
        mode = delivery.mode
        if mode == THREAD and (not threads or delivery.thread_id is not None):
            # Without threads on the platform, or once the summary is posted: plain cards.
            mode = CARDS
        if mode not in (DIGEST, THREAD):
            jobs.append(Job(delivery.chat_pk, JobKind.CARD, delivery.digest_date,
                            delivery.thread_id, [delivery], [paper]))
            continue
        key = (mode, delivery.digest_date, delivery.thread_id)
        if key not in groups:
            groups[key] = []
            # A placeholder keeps the group at the position of its first row.
            jobs.append(Job(delivery.chat_pk, JobKind.DIGEST, delivery.digest_date,
                            delivery.thread_id, [], []))
        groups[key].append((delivery, paper))
    return _fill_groups(jobs, groups, messenger=messenger, t=t), missing


def _fill_groups(jobs: list[Job],
                 groups: dict[tuple[str, dt.date, str | None], list[tuple[Delivery, Paper]]], *,
                 messenger: Messenger, t: Translator) -> list[Job]:
    placeholders = iter([job for job in jobs if not job.deliveries])
    filled: dict[int, list[Job]] = {}
    for (mode, date, thread_id), members in groups.items():
        placeholder = next(placeholders)
        members.sort(key=lambda member: (member[1].rank, member[0].id))
        rows = [delivery for delivery, _ in members]
        papers = [paper for _, paper in members]
        if mode == THREAD:
            filled[id(placeholder)] = [Job(placeholder.chat_pk, JobKind.SUMMARY, date,
                                           thread_id, rows, papers)]
            continue
        parts = messenger.split_digest(papers, t=t, date=date)
        by_key = {delivery.paper_key: delivery for delivery in rows}
        filled[id(placeholder)] = [
            Job(placeholder.chat_pk, JobKind.DIGEST, date, thread_id,
                [by_key[paper.key] for paper in part], list(part), part=index, parts=len(parts))
            for index, part in enumerate(parts, start=1)
        ]
    result: list[Job] = []
    for job in jobs:
        result.extend(filled.get(id(job), [job]) if not job.deliveries else [job])
    return result


def thread_cards(job: Job, thread_id: str | None) -> list[Job]:
    """Return the card jobs of a thread job, to go into ``thread_id``."""
    return [Job(job.chat_pk, JobKind.CARD, job.date, thread_id, [delivery], [paper])
            for delivery, paper in zip(job.deliveries, job.papers, strict=True)]
