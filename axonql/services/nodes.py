"""`node(id:)` and `nodes(ids:)`: Relay refetching by AxonQL's own ids.

An id's prefix (`task_…`, `agent_…`; axonql/ids.py) names the collection to read and the scope
the caller needs: the scope of that type's own root fields (`task(id:)` needs tasks:read, so
`node(id: "task_…")` does too). Each id is read through the request's DataLoaders, so `nodes`
of 50 ids costs one query per collection involved, not 50. Relay asks for `null` rather than an
error for an id that cannot be returned: unknown, missing, or of a type the caller may not read.

Users, systems and populations may carry ids their creators chose (`executive`, the server's
own `axonql`); an id without a known prefix is looked for there, in that order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from beanie import Document

from axonql import models
from axonql.errors import ValidationError
from axonql.scopes import Scope
from axonql.services.auth import Principal
from axonql.services.loaders import Loaders

MAX_NODE_IDS = 100
# Stored ids are at most this long (`validation.client_id`); a longer one cannot exist.
MAX_ID_LENGTH = 100


@dataclass(frozen=True)
class NodeKind:
    """One stored type: its collection and the scope its root fields require."""

    model: type[Document]
    scope: Scope


KINDS: dict[str, NodeKind] = {
    "task": NodeKind(models.Task, Scope.TASKS_READ),
    "agent": NodeKind(models.Agent, Scope.AGENTS_READ),
    "sys": NodeKind(models.System, Scope.CONSCIOUSNESS_READ),
    "user": NodeKind(models.User, Scope.USER_MANAGE),
    "session": NodeKind(models.LearningSession, Scope.USER_MANAGE),
    "pop": NodeKind(models.Population, Scope.NEURAL_MONITOR),
    "ind": NodeKind(models.Individual, Scope.NEURAL_MONITOR),
    "evo": NodeKind(models.GenerationRecord, Scope.NEURAL_MONITOR),
    "threat": NodeKind(models.Threat, Scope.NEURAL_MONITOR),
    "mem": NodeKind(models.Memory, Scope.MEMORIES_READ),
    "scenario": NodeKind(models.SecurityScenario, Scope.SECURITY_ASSESS),
    "assessment": NodeKind(models.SecurityAssessment, Scope.SECURITY_ASSESS),
    "assess": NodeKind(models.SimulationAssessment, Scope.CONSCIOUSNESS_READ),
    "event": NodeKind(models.SimulationEvent, Scope.CONSCIOUSNESS_READ),
    "mech": NodeKind(models.MechanisticRecord, Scope.CONSCIOUSNESS_READ),
}
# Where an id of the creator's choosing may be, in the order they are tried.
CLIENT_ID_KINDS: tuple[NodeKind, ...] = (KINDS["sys"], KINDS["user"], KINDS["pop"])


def kinds_for(node_id: str) -> tuple[NodeKind, ...]:
    """The collections an id may be in: its prefix's, else those that take chosen ids."""
    prefix, underscore, _ = node_id.partition("_")
    if underscore and prefix in KINDS:
        return (KINDS[prefix],)
    return CLIENT_ID_KINDS


async def find_nodes(
    principal: Principal, loaders: Loaders, ids: Sequence[str]
) -> list[Document | None]:
    """Each id's document, or None; all loads start in one tick, so each collection is read once."""
    if len(ids) > MAX_NODE_IDS:
        raise ValidationError(
            f"ids has {len(ids)} ids; at most {MAX_NODE_IDS} are allowed",
            field="ids",
            details={"max": MAX_NODE_IDS, "count": len(ids)},
        )

    async def one(node_id: str) -> Document | None:
        if len(node_id) > MAX_ID_LENGTH:
            return None
        readable = [k for k in kinds_for(node_id) if principal.has(k.scope)]
        docs = await asyncio.gather(*(loaders.by_id(k.model).load(node_id) for k in readable))
        return next((doc for doc in docs if doc is not None), None)

    return list(await asyncio.gather(*(one(str(i)) for i in ids)))
