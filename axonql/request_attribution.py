"""Which application a request belongs to, for per-application request metrics.

A REST compatibility route names its API (synapticos, octospine, lukhas, nexusnet, drift);
the GraphQL endpoint is `graphql`. Requests no route matched and the legacy WebSocket streams
are named by their API's path prefix; `/ws` (shared by OCTOSPINE and NexusNet), the docs and
the IDE belong to no application and count for the server only.
"""

from __future__ import annotations

from starlette.types import Scope

from axonql.graphql_view import AxonGraphQL
from axonql.rest_compat.mount import RouteEndpoint

GRAPHQL_APP = "graphql"

PREFIXES = (
    ("/api/graphql", GRAPHQL_APP),
    ("/graphql", GRAPHQL_APP),
    ("/api/v2/", "synapticos"),
    ("/api/v1/", "drift"),
    ("/v1/", "lukhas"),
)


def app_of(scope: Scope) -> str | None:
    """The application of a routed (or unroutable) request; None when there is none."""
    endpoint = scope.get("endpoint")
    if isinstance(endpoint, RouteEndpoint):
        return endpoint.api.name
    if isinstance(endpoint, AxonGraphQL):
        return GRAPHQL_APP
    path = str(scope.get("path", ""))
    for prefix, app in PREFIXES:
        if path.startswith(prefix):
            return app
    return None
