"""Appends state changes to the persisted event log and hands them to the fan-out.

`emit` is called from deep inside services that are not handed the app, so the app binds its
real-time service for the work it runs (`bound`: each request, via `app_scope.BindRealTime`,
and the lifespan's background tasks). The binding is a context variable, so two apps in one
process never see each other's; nothing is kept per module.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from axonql.models import Event
from axonql.subscriptions.log import EventLog

if TYPE_CHECKING:
    from axonql.subscriptions.realtime import RealTime

DEFAULT_RETENTION = timedelta(days=7)

_bound: ContextVar[RealTime | None] = ContextVar("axonql_realtime", default=None)


@contextmanager
def bound(service: RealTime | None) -> Iterator[None]:
    """`emit` in this context (and tasks started from it) goes through `service`."""
    token = _bound.set(service)
    try:
        yield
    finally:
        _bound.reset(token)


def current() -> RealTime | None:
    """The real-time service bound to this context, if any."""
    return _bound.get()


async def emit(
    event_type: str,
    payload: dict[str, Any] | None = None,
    *,
    retention: timedelta | None = None,
    **subjects: str | None,
) -> Event:
    """Persist one event; subjects are `task_id=…`, `agent_id=…` and the like.

    Outside any app (a script, a benchmark, a test's own writes) the event is only committed:
    instances following the log's change stream see it as they see any other writer's.
    """
    service = _bound.get()
    if service is not None:
        return await service.append(str(event_type), payload or {}, subjects, retention)
    # No instance here: no lock to share and no feed to publish to.
    return await EventLog().append(
        str(event_type), payload or {}, subjects, retention or DEFAULT_RETENTION
    )
