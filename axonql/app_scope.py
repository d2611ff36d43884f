"""Binds the serving app's real-time service for each request, so `emit` reaches its feed.

`services.events.emit` is called deep inside services that are not handed the app; the binding
is a context variable set here per request (and by the lifespan for background work), so two
apps in one process never publish through each other.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from axonql.services.events import bound
from axonql.state import AppState


class BindRealTime:
    """ASGI middleware: the request runs with its app's real-time service bound for `emit`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = getattr(scope["app"].state, "axon", None) if "app" in scope else None
        if scope["type"] not in ("http", "websocket") or not isinstance(state, AppState):
            await self.app(scope, receive, send)
            return
        with bound(state.realtime_if_running()):
            await self.app(scope, receive, send)
