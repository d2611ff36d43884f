"""Appends state changes to the persisted event log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from axonql.models import Event
from axonql.models.base import utcnow

DEFAULT_RETENTION = timedelta(days=7)


async def emit(
    event_type: str,
    payload: dict[str, Any] | None = None,
    *,
    retention: timedelta = DEFAULT_RETENTION,
    **subjects: str | None,
) -> Event:
    """Persist one event; subjects are `task_id=…`, `agent_id=…` and the like."""
    event = Event(
        type=event_type,
        payload=payload or {},
        expires_at=utcnow() + retention,
        **subjects,
    )
    await event.insert()
    return event
