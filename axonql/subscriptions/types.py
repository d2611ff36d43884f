"""Event type names (from the seeds), alert severities and log levels."""

from __future__ import annotations

from enum import Enum, StrEnum


class EventType(StrEnum):
    """Known event types; the log stores any string, so new producers never break readers."""

    CONSCIOUSNESS_UPDATE = "CONSCIOUSNESS_UPDATE"
    TASK_PROGRESS = "TASK_PROGRESS"
    TASK_STATE_CHANGED = "TASK_STATE_CHANGED"
    AGENT_STATUS = "AGENT_STATUS"
    LEARNING_PROGRESS = "LEARNING_PROGRESS"
    LEARNING_SESSION_START = "LEARNING_SESSION_START"
    LEARNING_SESSION_END = "LEARNING_SESSION_END"
    SKILL_ASSESSMENT = "SKILL_ASSESSMENT"
    SYSTEM_ALERT = "SYSTEM_ALERT"
    LOG_ENTRY = "LOG_ENTRY"
    NEURAL_EVOLUTION_COMPLETE = "NEURAL_EVOLUTION_COMPLETE"
    MEMORY_DRIFT = "MEMORY_DRIFT"
    SIMULATION_STATUS = "SIMULATION_STATUS"
    SIMULATION_EVENT = "SIMULATION_EVENT"
    SIMULATION_ASSESSMENT = "SIMULATION_ASSESSMENT"
    SIMULATION_DRIFT = "SIMULATION_DRIFT"
    USER_UPDATED = "USER_UPDATED"
    POPULATION_UPDATED = "POPULATION_UPDATED"
    MEMORY_UPDATED = "MEMORY_UPDATED"
    SYSTEM_UPDATED = "SYSTEM_UPDATED"


class AlertSeverity(Enum):
    """System alert severities, ordered; `minSeverity` keeps this one and above."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)


class LogLevel(Enum):
    """Log entry levels, ordered; `level` keeps this one and above."""

    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self)


_SEVERITY_ORDER = list(AlertSeverity)
_LEVEL_ORDER = list(LogLevel)

# Entity streams: which event types each one carries.
TASK_TYPES = frozenset({EventType.TASK_STATE_CHANGED, EventType.TASK_PROGRESS})
AGENT_TYPES = frozenset({EventType.AGENT_STATUS})
CONSCIOUSNESS_TYPES = frozenset({EventType.CONSCIOUSNESS_UPDATE})
LEARNING_TYPES = frozenset(
    {
        EventType.LEARNING_PROGRESS,
        EventType.LEARNING_SESSION_START,
        EventType.LEARNING_SESSION_END,
        EventType.SKILL_ASSESSMENT,
    }
)
POPULATION_TYPES = frozenset({EventType.NEURAL_EVOLUTION_COMPLETE, EventType.POPULATION_UPDATED})
MEMORY_DRIFT_TYPES = frozenset({EventType.MEMORY_DRIFT})
ALERT_TYPES = frozenset({EventType.SYSTEM_ALERT})
LOG_TYPES = frozenset({EventType.LOG_ENTRY})
