"""The pieces of names that searches read (`models.TaskName`, `models.names`), kept from the
events of tasks, agents, systems, populations and users (`kept_words`): one created, renamed
or deleted (and an account where it is created, `users.create_account`: some are created
outside a unit of work, with no event)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from beanie import Document

from axonql import models
from axonql.models.event import Event
from axonql.services.kept_words import Kept, KeptWords
from axonql.text_grams import grams


def kept_names(
    source: type[Document],
    pieces: type[Document],
    subject: str,
    event_type: str,
    creations: frozenset[str] = frozenset({"created"}),
    flags: tuple[str, ...] = (),
    field: str = "name",
) -> KeptWords:
    """The pieces of `source`'s `field` kept in `pieces` from its `event_type` events (a
    change in `creations`, an update naming `field` in its fields, a deletion); `flags` are
    stored beside them as booleans (filters the pieces' index carries: a task's
    `is_automation`)."""

    def change(event: Event) -> Kept | None:
        if event.type != event_type:
            return None
        done = event.payload.get("change")
        if done == "deleted":
            return Kept.DELETED
        renamed = done == "updated" and field in (event.payload.get("fields") or [])
        return Kept.WRITTEN if done in creations or renamed else None

    def fields(stored: Mapping[str, Any]) -> dict[str, Any] | None:
        name, created = stored.get(field), stored.get("created_at")
        if not isinstance(name, str) or not isinstance(created, datetime):
            return None
        flagged = {flag: bool(stored.get(flag)) for flag in flags}
        return {"name_grams": grams(name), "created_at": created, **flagged}

    return KeptWords(source, pieces, subject, change, fields, (field, "created_at", *flags))


PIECES = kept_names(
    models.Task,
    models.TaskName,
    "task",
    "TASK_STATE_CHANGED",
    creations=frozenset({"created", "scheduled"}),
    flags=("is_automation",),
)
AGENTS = kept_names(models.Agent, models.AgentName, "agent", "AGENT_STATUS")
SYSTEMS = kept_names(models.System, models.SystemName, "system", "SYSTEM_STATE_CHANGED")
POPULATIONS = kept_names(
    models.Population, models.PopulationName, "population", "POPULATION_UPDATED"
)
USERS = kept_names(
    models.User,
    models.UserName,
    "user",
    "USER_UPDATED",
    creations=frozenset(),  # written by `users.create_account` itself, with or without an event
    field="username",
)
