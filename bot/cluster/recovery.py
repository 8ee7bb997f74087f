"""Give the delivery claims of stopped instances back, so another sender finishes their cards."""

from __future__ import annotations

import datetime as dt
import logging

from bot.cluster.base import Cluster
from bot.store.outbox import Outbox, Recovered

logger = logging.getLogger(__name__)


async def recover_claims(outbox: Outbox, cluster: Cluster, *, now: dt.datetime) -> Recovered:
    """Return never-attempted cards of dead instances to the queue and fail their in-flight ones.

    This instance always counts as alive. Claims older than the outbox's lease are taken
    back too, whoever holds them.
    """
    owners = {owner for owner in await outbox.claim_owners() if owner is not None}
    alive = await cluster.alive(owners - {outbox.instance_id}) | {outbox.instance_id}
    recovered = await outbox.recover(alive=alive, now=now)
    if recovered.released:
        logger.warning("claims of stopped instances returned to the queue cards=%d chats=%d",
                       len(recovered.released), len({d.chat_pk for d in recovered.released}))
    for delivery in recovered.failed:
        logger.critical("card not resent after an interrupted send chat_pk=%s arxiv_id=%s",
                        delivery.chat_pk, delivery.paper_key)
    return recovered
