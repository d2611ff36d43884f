"""Login, token refresh and API keys (accounts are created by `createUser`)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from axonql.models import ApiKey
from axonql.services import auth


@strawberry.type
class AuthPayload:
    """An access token (JWT) and a single-use refresh token."""

    access_token: str
    refresh_token: str
    token_type: str
    expires_in: int
    scope: list[str]

    @classmethod
    def from_pair(cls, pair: auth.TokenPair) -> AuthPayload:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            token_type="Bearer",
            expires_in=pair.expires_in,
            scope=pair.scopes,
        )


@strawberry.type
class ApiKeyPayload:
    """The key is shown once; only its hash is stored."""

    id: strawberry.ID
    key: str
    scopes: list[str]
    agent_id: strawberry.ID | None
    created_at: datetime

    @classmethod
    def from_key(cls, key: ApiKey, plain: str) -> ApiKeyPayload:
        return cls(
            id=strawberry.ID(key.id),
            key=plain,
            scopes=key.scopes,
            agent_id=strawberry.ID(key.agent_id) if key.agent_id else None,
            created_at=key.created_at,
        )
