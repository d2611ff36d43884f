"""The GraphQL type of each document `node(id:)` / `nodes(ids:)` finds (`services/nodes.py`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from beanie import Document

from axonql import models
from axonql.schema.agent_types import Agent
from axonql.schema.automation import Automation
from axonql.schema.immune_types import Threat
from axonql.schema.memory_types import Memory
from axonql.schema.node import Node
from axonql.schema.population_types import GenerationRecord, Individual, Population
from axonql.schema.security_types import SecurityAssessment, SecurityScenario
from axonql.schema.simulation_types import ClinicalAssessment, MechanisticData, PersonaEvent
from axonql.schema.system_types import System
from axonql.schema.task_types import Task
from axonql.schema.user_types import User, UserSession


def _task_or_automation(doc: models.Task) -> Node:
    """Automations are tasks with `is_automation` (one collection, two GraphQL types)."""
    return Automation.from_document(doc) if doc.is_automation else Task.from_document(doc)


NODE_TYPES: dict[type[Document], Callable[[Any], Node]] = {
    models.Task: _task_or_automation,
    models.Agent: Agent.from_document,
    models.System: System.from_document,
    models.User: User.from_document,
    models.LearningSession: UserSession.from_document,
    models.Population: Population.from_document,
    models.Individual: Individual.from_document,
    models.GenerationRecord: GenerationRecord.from_document,
    models.Threat: Threat.from_document,
    models.Memory: Memory.from_document,
    models.SecurityScenario: SecurityScenario.from_document,
    models.SecurityAssessment: SecurityAssessment.from_document,
    models.SimulationAssessment: ClinicalAssessment.from_document,
    models.SimulationEvent: PersonaEvent.from_document,
    models.MechanisticRecord: MechanisticData.from_document,
}


def to_node(doc: Document | None) -> Node | None:
    return NODE_TYPES[type(doc)](doc) if doc is not None else None
