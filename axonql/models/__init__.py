"""Beanie documents, one module per entity; indexes are declared next to the fields."""

from beanie import Document

from axonql.models.agent import Agent
from axonql.models.event import Event
from axonql.models.lock import Lock
from axonql.models.memory import Memory, MemoryTerms
from axonql.models.names import AgentName, PopulationName, SystemName, UserName
from axonql.models.persisted_query import PersistedQuery
from axonql.models.population import GenerationRecord, Individual, Population
from axonql.models.security import SecurityAssessment, SecurityScenario
from axonql.models.simulation import (
    MechanisticRecord,
    Simulation,
    SimulationAssessment,
    SimulationConfig,
    SimulationEvent,
)
from axonql.models.system import MetricRollup, MetricSample, System
from axonql.models.tally import Tally
from axonql.models.task import Task, TaskName
from axonql.models.threat import ImmuneScan, Threat
from axonql.models.user import ApiKey, LearningSession, RefreshToken, RevokedSession, User

ALL_DOCUMENTS: list[type[Document]] = [
    System,
    MetricSample,
    MetricRollup,
    Task,
    TaskName,
    AgentName,
    SystemName,
    PopulationName,
    UserName,
    Agent,
    User,
    LearningSession,
    SecurityScenario,
    SecurityAssessment,
    RefreshToken,
    RevokedSession,
    ApiKey,
    Population,
    Individual,
    GenerationRecord,
    Memory,
    MemoryTerms,
    Event,
    Lock,
    Threat,
    ImmuneScan,
    SimulationConfig,
    Simulation,
    SimulationEvent,
    SimulationAssessment,
    MechanisticRecord,
    PersistedQuery,
    Tally,
]

__all__ = [
    "ALL_DOCUMENTS",
    "Agent",
    "AgentName",
    "ApiKey",
    "Event",
    "GenerationRecord",
    "ImmuneScan",
    "Individual",
    "LearningSession",
    "Lock",
    "MechanisticRecord",
    "Memory",
    "MemoryTerms",
    "MetricRollup",
    "MetricSample",
    "PersistedQuery",
    "Population",
    "PopulationName",
    "RefreshToken",
    "RevokedSession",
    "SecurityAssessment",
    "SecurityScenario",
    "Simulation",
    "SimulationAssessment",
    "SimulationConfig",
    "SimulationEvent",
    "System",
    "SystemName",
    "Tally",
    "Task",
    "TaskName",
    "Threat",
    "User",
    "UserName",
]
