"""Who is calling: the token a request or a connection offers, and the principal it names.

Every transport authenticates the same way (`/graphql` over HTTP and WebSocket, the REST
tables, the legacy WebSocket bridges), so they all import this module; it imports none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from axonql.errors import AxonError
from axonql.schema.errors import translate
from axonql.services.auth import Principal, authenticate
from axonql.state import AppState

CONNECTION_TOKEN_KEYS = ("Authorization", "authorization", "authToken", "token", "access_token")


def bearer_from_headers(headers: Mapping[str, str]) -> str | None:
    """`Authorization: Bearer …` (JWT or API key) or `X-API-Key: …`."""
    value = headers.get("authorization")
    if value:
        scheme, _, token = value.partition(" ")
        return token.strip() if scheme.lower() == "bearer" and token.strip() else value.strip()
    return headers.get("x-api-key") or None


def bearer_from_params(params: Mapping[str, Any]) -> str | None:
    """A token in `connection_init`: `{"Authorization": "Bearer …"}`, `{"token": …}` or headers."""
    nested = params.get("headers")
    if isinstance(nested, Mapping):
        found = bearer_from_headers({str(k).lower(): str(v) for k, v in nested.items()})
        if found:
            return found
    for key in CONNECTION_TOKEN_KEYS:
        value = params.get(key)
        if isinstance(value, str) and value:
            scheme, _, token = value.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else value.strip()
    return None


async def resolve_principal(
    state: AppState, token: str | None
) -> tuple[Principal | None, AxonError | None]:
    """The caller for a token; a bad token is remembered, refused when a field needs a scope."""
    if not token:
        return None, None
    try:
        return await authenticate(state.settings, token, state.token_validity), None
    except Exception as exc:
        # A credential that fails, or a database that cannot check it (503): either way the
        # caller is nobody, and a field that needs a scope answers with this error.
        known = translate(exc)
        if known is None:
            raise
        return None, known
