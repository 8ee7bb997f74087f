"""Several instances on one database: leader election, liveness and recovery of claims."""

from __future__ import annotations

from bot.cluster.base import Cluster, LeadershipCallback, SingleInstance
from bot.cluster.postgres import PostgresCluster
from bot.cluster.recovery import recover_claims
from bot.store.database import Database


def open_cluster(db: Database, *, instance_id: str, candidate: bool = True,
                 on_change: LeadershipCallback | None = None) -> Cluster:
    """Return the cluster for ``db``: advisory locks on PostgreSQL, a lone instance on SQLite.

    ``candidate`` is False for an instance that must never lead (``paperbot worker``).
    ``on_change`` is called only by the PostgreSQL cluster, where leadership can change.
    """
    if db.dialect == "postgresql":
        return PostgresCluster(db, instance_id=instance_id, candidate=candidate,
                               on_change=on_change)
    return SingleInstance(instance_id, candidate=candidate)


__all__ = ["Cluster", "LeadershipCallback", "PostgresCluster", "SingleInstance",
           "open_cluster", "recover_claims"]
