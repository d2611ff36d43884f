"""The pieces of task names that searches read (`models.TaskName`), kept from the task events
(`kept_words`): a task created, scheduled, renamed or deleted."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from axonql import models
from axonql.models.event import Event
from axonql.services.kept_words import Kept, KeptWords
from axonql.text_grams import grams

CREATIONS = frozenset({"created", "scheduled"})


def _change(event: Event) -> Kept | None:
    if event.type != "TASK_STATE_CHANGED":
        return None
    change = event.payload.get("change")
    if change == "deleted":
        return Kept.DELETED
    renamed = change == "updated" and "name" in (event.payload.get("fields") or [])
    return Kept.WRITTEN if change in CREATIONS or renamed else None


def _pieces(task: Mapping[str, Any]) -> dict[str, Any] | None:
    name, created = task.get("name"), task.get("created_at")
    if not isinstance(name, str) or not isinstance(created, datetime):
        return None
    return {
        "name_grams": grams(name),
        "is_automation": bool(task.get("is_automation")),
        "created_at": created,
    }


PIECES = KeptWords(
    models.Task,
    models.TaskName,
    "task",
    _change,
    _pieces,
    ("name", "created_at", "is_automation"),
)
