"""Cluster roles: the interface of every instance, and the lone instance of a SQLite set-up."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Protocol

logger = logging.getLogger(__name__)

# Called with the new state each time this instance gains or loses the leadership.
LeadershipCallback = Callable[[bool], Awaitable[None]]


class Cluster(Protocol):
    """This instance's place among the instances that share one database.

    The leader runs the jobs that must run once (digest scans and planning); every
    instance may send. ``alive`` names the other instances that still run, so the claims
    of dead ones can be given back.
    """

    instance_id: str

    @property
    def is_leader(self) -> bool:
        """Whether this instance holds the leadership right now."""
        ...

    async def start(self) -> None:
        """Join the cluster; a candidate that can lead does so before this returns."""
        ...

    async def stop(self) -> None:
        """Leave the cluster, giving up the leadership."""
        ...

    async def alive(self, instance_ids: Collection[str]) -> set[str]:
        """Return those of ``instance_ids`` that belong to running instances."""
        ...


class SingleInstance:
    """The only instance: the leader (when a candidate), with no other instance alive.

    This is the SQLite set-up, where one instance is all that is supported: a claim made
    under any other instance id was left by an earlier process that has stopped.
    """

    def __init__(self, instance_id: str, *, candidate: bool = True) -> None:
        self.instance_id = instance_id
        self._candidate = candidate
        self._started = False

    @property
    def is_leader(self) -> bool:
        """True once started, unless this instance is not a candidate (a worker)."""
        return self._started and self._candidate

    async def start(self) -> None:
        """Become the leader at once."""
        self._started = True
        logger.info("single instance instance_id=%s leader=%s", self.instance_id,
                    self.is_leader)

    async def stop(self) -> None:
        """Give up the leadership."""
        self._started = False

    async def alive(self, instance_ids: Collection[str]) -> set[str]:
        """Return only this instance's own id, if asked for."""
        return {self.instance_id} & set(instance_ids)
