"""The per-request context: caller, settings, DataLoaders; built fresh for every request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

from axonql.errors import AuthenticationFailed, AxonError
from axonql.services.auth import Principal
from axonql.services.loaders import Loaders
from axonql.state import AppState


@dataclass
class Context:
    """What every resolver may use; nothing else is global."""

    state: AppState
    request: Request | WebSocket | None = None
    principal: Principal | None = None
    auth_error: AxonError | None = None
    request_id: str = ""
    connection_params: dict[str, Any] | None = None
    loaders: Loaders = field(default_factory=Loaders)
    # GraphQL over HTTP: headers set here reach the response (e.g. `Retry-After`).
    response: Response | None = None
    # Whether this caller may introspect: `/graphql` turns it off in production; the REST
    # tables and bridges run fixed documents on the same schema and leave it on.
    introspection: bool = True

    @property
    def settings(self) -> Any:
        return self.state.settings

    @property
    def client_address(self) -> str:
        """The caller's network address, as the server saw it."""
        client = self.request.client if self.request is not None else None
        return client.host if client is not None else "-"

    async def caller_gone(self) -> bool:
        """Whether the HTTP caller has hung up: a long poll then stops instead of claiming work
        for nobody (Starlette does not cancel a request whose client left)."""
        return isinstance(self.request, Request) and await self.request.is_disconnected()

    def require_principal(self) -> Principal:
        """The caller, or the reason there is none (bad token → that error; no token → 401)."""
        if self.principal is None:
            raise self.auth_error or AuthenticationFailed("authentication required")
        return self.principal


Info = strawberry.Info[Context, None]
