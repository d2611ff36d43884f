"""Every field the API filters or sorts lists by is the leading key of a declared index."""

from __future__ import annotations

from enum import Enum

import pytest
from beanie import Document

from axonql import models
from axonql.schema.agent_types import AgentSortField
from axonql.schema.memory_types import MemorySortField
from axonql.schema.population_types import PopulationSortField
from axonql.schema.system_types import SystemSortField
from axonql.schema.task_types import TaskSortField
from axonql.schema.user_types import UserSortField

SORTS: list[tuple[type[Document], type[Enum]]] = [
    (models.Task, TaskSortField),
    (models.Agent, AgentSortField),
    (models.User, UserSortField),
    (models.Population, PopulationSortField),
    (models.Memory, MemorySortField),
    (models.System, SystemSortField),
]

# Equality/range filters of the list queries (see resolvers/*_query and the filter inputs).
FILTERS: dict[type[Document], list[str]] = {
    models.Task: [
        "status",
        "type",
        "priority",
        "agent_id",
        "system_id",
        "tags",
        "required_capabilities",
        "created_at",
        "updated_at",
        "is_automation",
    ],
    models.Agent: [
        "status",
        "type",
        "capabilities",
        "system_id",
        "tags",
        "last_heartbeat",
        "created_at",
    ],
    models.User: ["is_active", "scopes", "tags", "created_at", "email"],
    models.Population: ["specialization", "tags", "fitness_best", "created_at"],
    models.Memory: [
        "type",
        "tags",
        "pool",
        "owner_user_id",
        "owner_system_id",
        "importance",
        "created_at",
    ],
    models.System: ["kind", "status", "tags"],
    models.Event: [
        "type",
        "task_id",
        "agent_id",
        "system_id",
        "user_id",
        "population_id",
        "memory_id",
    ],
}

CASES = [(m, str(f.value)) for m, enum in SORTS for f in enum] + [
    (m, f) for m, fields in FILTERS.items() for f in fields
]


@pytest.mark.parametrize(("model", "field"), CASES, ids=[f"{m.__name__}.{f}" for m, f in CASES])
async def test_field_leads_an_index(model: type[Document], field: str) -> None:
    info = await model.get_pymongo_collection().index_information()
    leading = {spec["key"][0][0] for spec in info.values()}
    assert field in leading, f"{model.__name__}.{field} has no index (indexes lead with {leading})"
