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
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from beanie import Document

from axonql import models
from axonql.schema.agent_types import Agent
from axonql.schema.automation import Automation
from axonql.schema.context import Info
from axonql.schema.immune_types import Threat
from axonql.schema.memory_types import Memory
from axonql.schema.node import Node
from axonql.schema.population_types import GenerationRecord, Individual, Population
from axonql.schema.security_types import SecurityAssessment, SecurityScenario
from axonql.schema.simulation_types import ClinicalAssessment, MechanisticData, PersonaEvent
from axonql.schema.system_types import System
from axonql.schema.task_types import Task
from axonql.schema.user_types import User, UserSession
from axonql.scopes import Scope

MAX_NODE_IDS = 100
# Stored ids are at most this long (`validation.client_id`); a longer one cannot exist.
MAX_ID_LENGTH = 100


@dataclass(frozen=True)
class NodeKind:
    """One stored type: its collection, the scope its root fields require, its GraphQL type."""

    model: type[Document]
    scope: Scope
    build: Callable[[Any], Node | None]


def _task_or_automation(doc: models.Task) -> Node:
    """Automations are tasks with `is_automation` (one collection, two GraphQL types)."""
    return Automation.from_document(doc) if doc.is_automation else Task.from_document(doc)


KINDS: dict[str, NodeKind] = {
    "task": NodeKind(models.Task, Scope.TASKS_READ, _task_or_automation),
    "agent": NodeKind(models.Agent, Scope.AGENTS_READ, Agent.from_document),
    "sys": NodeKind(models.System, Scope.CONSCIOUSNESS_READ, System.from_document),
    "user": NodeKind(models.User, Scope.USER_MANAGE, User.from_document),
    "session": NodeKind(models.LearningSession, Scope.USER_MANAGE, UserSession.from_document),
    "pop": NodeKind(models.Population, Scope.NEURAL_MONITOR, Population.from_document),
    "ind": NodeKind(models.Individual, Scope.NEURAL_MONITOR, Individual.from_document),
    "evo": NodeKind(models.GenerationRecord, Scope.NEURAL_MONITOR, GenerationRecord.from_document),
    "threat": NodeKind(models.Threat, Scope.NEURAL_MONITOR, Threat.from_document),
    "mem": NodeKind(models.Memory, Scope.MEMORIES_READ, Memory.from_document),
    "scenario": NodeKind(
        models.SecurityScenario, Scope.SECURITY_ASSESS, SecurityScenario.from_document
    ),
    "assessment": NodeKind(
        models.SecurityAssessment, Scope.SECURITY_ASSESS, SecurityAssessment.from_document
    ),
    "assess": NodeKind(
        models.SimulationAssessment, Scope.CONSCIOUSNESS_READ, ClinicalAssessment.from_document
    ),
    "event": NodeKind(models.SimulationEvent, Scope.CONSCIOUSNESS_READ, PersonaEvent.from_document),
    "mech": NodeKind(
        models.MechanisticRecord, Scope.CONSCIOUSNESS_READ, MechanisticData.from_document
    ),
}
# Where an id of the creator's choosing may be, in the order they are tried.
CLIENT_ID_KINDS: tuple[NodeKind, ...] = (KINDS["sys"], KINDS["user"], KINDS["pop"])


def kinds_for(node_id: str) -> tuple[NodeKind, ...]:
    """The collections an id may be in: its prefix's, else those that take chosen ids."""
    prefix, underscore, _ = node_id.partition("_")
    if underscore and prefix in KINDS:
        return (KINDS[prefix],)
    return CLIENT_ID_KINDS


async def load_nodes(info: Info, ids: Sequence[str]) -> list[Node | None]:
    """Each id's object, or None; all loads start in one tick, so each collection is read once."""
    principal = info.context.require_principal()
    loaders = info.context.loaders

    async def one(node_id: str) -> Node | None:
        if len(node_id) > MAX_ID_LENGTH:
            return None
        readable = [k for k in kinds_for(node_id) if principal.has(k.scope)]
        docs = await asyncio.gather(*(loaders.by_id(k.model).load(node_id) for k in readable))
        for kind, doc in zip(readable, docs, strict=True):
            built = kind.build(doc) if doc is not None else None
            if built is not None:
                return built
        return None

    return list(await asyncio.gather(*(one(str(i)) for i in ids)))
