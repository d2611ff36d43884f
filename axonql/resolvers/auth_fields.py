"""Root fields for auth: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.errors import RateLimitExceeded
from axonql.schema.auth_types import ApiKeyPayload, AuthPayload
from axonql.schema.context import Info
from axonql.schema.permissions import PUBLIC, mutation
from axonql.scopes import Scope
from axonql.services import auth


@strawberry.type
class AuthMutation:
    @mutation(
        PUBLIC,
        description="Exchange a username and password for tokens. Failed attempts are "
        "throttled per username and per client address (RATE_LIMIT_EXCEEDED, 429).",
    )
    async def login(self, info: Info, username: str, password: str) -> AuthPayload:
        context = info.context
        try:
            pair = await auth.login(
                context.settings,
                username,
                password,
                throttle=context.state.login_throttle,
                address=context.client_address,
            )
        except RateLimitExceeded as exc:
            if context.response is not None:
                context.response.headers["Retry-After"] = str(exc.details["retry_after"])
            raise
        return AuthPayload.from_pair(pair)

    @mutation(PUBLIC, description="Rotate a refresh token: the old one stops working.")
    async def refresh_token(self, info: Info, refresh_token: str) -> AuthPayload:
        state = info.context.state
        pair = await auth.rotate_refresh_token(state.settings, refresh_token, state.token_validity)
        return AuthPayload.from_pair(pair)

    @mutation(PUBLIC, description="Revoke a refresh token and every token rotated from it.")
    async def logout(self, info: Info, refresh_token: str) -> bool:
        state = info.context.state
        return await auth.revoke_refresh_token(state.settings, refresh_token, state.token_validity)

    @mutation(
        Scope.AGENTS_WRITE,
        description="Issue an API key for an agent, with scopes the caller holds itself "
        "(admins may grant any).",
    )
    async def create_agent_api_key(
        self, info: Info, agent_id: strawberry.ID, scopes: list[str] | None = None
    ) -> ApiKeyPayload:
        key, plain = await auth.create_agent_api_key(
            info.context.require_principal(), agent_id, scopes
        )
        return ApiKeyPayload.from_key(key, plain)
