"""The subjects of events as they stood at commit, stored with the events.

A subscriber selecting `task { status }` on an event must see that event's task, not today's
(a replay after `after:` shows each state in turn), and a thousand subscribers must not read
it a thousand times. So the unit of work reads each subject once, in its own transaction just
before the events are inserted, and the event carries the stored document (`Event.snapshots`,
keyed by subject name); a subject the unit of work has just written is taken as it wrote it
(`known`), unread. Secrets (a user's password hash) are left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from beanie import Document

from axonql.models import Agent, Event, Memory, Population, System, Task, User

SUBJECTS: dict[str, tuple[str, type[Document]]] = {
    "system_id": ("system", System),
    "task_id": ("task", Task),
    "agent_id": ("agent", Agent),
    "user_id": ("user", User),
    "population_id": ("population", Population),
    "memory_id": ("memory", Memory),
}
"""Subject id field → (snapshot name, stored model)."""

_SECRET: dict[str, tuple[str, ...]] = {"user": ("password_hash",)}


async def _read(
    name: str,
    model: type[Document],
    subject: str,
    session: Any,
    known: Mapping[tuple[str, str], dict[str, Any]],
) -> dict[str, Any] | None:
    found = known.get((name, subject))
    if found is None:
        found = await model.get_pymongo_collection().find_one({"_id": subject}, session=session)
    if found is not None and name in _SECRET:
        found = {k: v for k, v in found.items() if k not in _SECRET[name]}
    return found


async def attach(
    events: list[Event],
    session: Any = None,
    known: Mapping[tuple[str, str], dict[str, Any]] | None = None,
) -> None:
    """Store each event's subjects in it, read in `session` (one read per distinct subject
    not in `known`, the stored forms of subjects the unit of work wrote, by (name, id)).

    A subject that does not exist (deleted by this unit of work, or never stored) gets none.
    """
    seen: dict[tuple[str, str], dict[str, Any] | None] = {}
    for event in events:
        for field, (name, model) in SUBJECTS.items():
            subject = getattr(event, field)
            if not subject or name in event.snapshots:
                continue
            key = (name, subject)
            if key not in seen:
                seen[key] = await _read(name, model, subject, session, known or {})
            document = seen[key]
            if document is not None:
                event.snapshots[name] = document
