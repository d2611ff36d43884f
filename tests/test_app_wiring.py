"""How one app is wired: one schema for every transport, services as typed fields of its state,
and `emit` reaching the real-time service of the app whose work called it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from starlette.routing import Route, WebSocketRoute

from axonql.app import create_app
from axonql.errors import ServiceUnavailable
from axonql.graphql_view import AxonGraphQL
from axonql.models.event import Event
from axonql.rest_compat.mount import engine_of
from axonql.services import events
from axonql.settings import Settings
from axonql.state import AppState
from axonql.subscriptions.realtime import RealTime
from tests.support import RunningServer, extra_server


def test_graphql_rest_and_bridges_share_one_schema(server: RunningServer) -> None:
    routes = server.app.routes
    apps = [getattr(route, "app", None) for route in routes]
    views = {id(app.schema) for app in apps if isinstance(app, AxonGraphQL)}
    engine = engine_of(routes)
    assert engine is not None
    bridges: set[int] = set()
    for route in routes:
        owner: Any = getattr(getattr(route, "endpoint", None), "__self__", None)
        if isinstance(route, WebSocketRoute) and hasattr(owner, "schema"):
            bridges.add(id(owner.schema))
    assert len(views) == 1 and bridges == views == {id(engine.schema)}
    assert any(isinstance(r, Route) and r.path == "/graphql" for r in routes)


def test_services_the_lifespan_starts_are_refused_before_it(settings: Settings) -> None:
    state = AppState(settings=settings, database=None)  # type: ignore[arg-type]
    for name in ("realtime", "background", "metrics_sampler"):
        with pytest.raises(ServiceUnavailable, match="not running"):
            getattr(state, name)
    assert state.realtime_if_running() is None


async def test_outside_any_app_emit_is_bound_to_no_service(server: RunningServer) -> None:
    assert events.current() is None  # a test's own writes: committed, seen via change streams
    service: RealTime = server.app.state.axon.realtime
    with events.bound(service):
        assert events.current() is service
        event = await events.emit("LOG_ENTRY", {"message": "through the app"})
    assert events.current() is None
    assert event.expires_at - event.created_at == service.retention


async def test_a_request_emits_through_its_own_app(
    settings: Settings, server: RunningServer, admin_token: str
) -> None:
    """Two apps in one process: the event a request commits carries its app's retention."""
    short = settings.model_copy(update={"event_retention_seconds": 600})
    async with (
        extra_server(create_app(short), server) as second,
        httpx.AsyncClient(base_url=second.url, timeout=30) as client,
    ):
        body = (
            await client.post(
                "/graphql",
                json={"query": 'mutation { writeLogEntry(input: {message: "m"}) { id } }'},
                headers={"Authorization": f"Bearer {admin_token}"},
            )
        ).json()
        event_id = body["data"]["writeLogEntry"]["id"]
        stored = await Event.find_one({"_id": event_id})
    assert stored is not None
    assert stored.expires_at - stored.created_at == timedelta(seconds=600)
