"""An event's stored subjects (`Event.snapshots`) as the schema's own types.

Imported lazily by `Event`'s subject fields: the entity types import the event type for their
`events` connections, so the two modules must not import each other at load time.
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from pydantic import ValidationError as PydanticValidationError

from axonql import models
from axonql.scopes import Scope

log = logging.getLogger("axonql.subscriptions")

SUBJECT_SCOPES: dict[str, str] = {
    "task": Scope.TASKS_READ,
    "agent": Scope.AGENTS_READ,
    "system": Scope.CONSCIOUSNESS_READ,
    "user": Scope.USER_MANAGE,
    "population": Scope.NEURAL_MONITOR,
    "memory": Scope.MEMORIES_READ,
}
"""Snapshot name → the scope the caller needs to see it: that of the type's own queries."""

_TYPES: dict[str, tuple[type[Any], str, str]] = {
    "task": (models.Task, "axonql.schema.task_types", "Task"),
    "agent": (models.Agent, "axonql.schema.agent_types", "Agent"),
    "system": (models.System, "axonql.schema.system_types", "System"),
    "user": (models.User, "axonql.schema.user_types", "User"),
    "population": (models.Population, "axonql.schema.population_types", "Population"),
    "memory": (models.Memory, "axonql.schema.memory_types", "Memory"),
}


def typed(name: str, stored: dict[str, Any] | None) -> Any:
    """The GraphQL object of a stored subject document (as `from_document` builds it)."""
    if stored is None:
        return None
    model, module, type_name = _TYPES[name]
    fields = dict(stored)
    if "_id" in fields:
        fields["id"] = fields.pop("_id")
    try:
        document = model.model_validate(fields)
    except PydanticValidationError as exc:  # stored by a version whose model differed
        log.warning("an event's %s snapshot no longer reads as one: %s", name, exc)
        return None
    graphql_type = getattr(importlib.import_module(module), type_name)
    return graphql_type.from_document(document)
