"""The scopes a token can carry; each GraphQL field declares the one it needs."""

from enum import StrEnum


class Scope(StrEnum):
    CONSCIOUSNESS_READ = "consciousness:read"
    CONSCIOUSNESS_WRITE = "consciousness:write"
    USER_MANAGE = "user:manage"
    SECURITY_ASSESS = "security:assess"
    NEURAL_MONITOR = "neural:monitor"
    ADMIN_SYSTEM = "admin:system"
    TASKS_READ = "tasks:read"
    TASKS_WRITE = "tasks:write"
    AGENTS_READ = "agents:read"
    AGENTS_WRITE = "agents:write"
    MEMORIES_READ = "memories:read"
    MEMORIES_WRITE = "memories:write"


ALL_SCOPES: frozenset[str] = frozenset(s.value for s in Scope)

AGENT_DEFAULT_SCOPES: frozenset[str] = frozenset(
    {Scope.TASKS_READ, Scope.TASKS_WRITE, Scope.AGENTS_READ, Scope.AGENTS_WRITE}
)
