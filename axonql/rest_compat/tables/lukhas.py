"""LUKHAS AI (seed 002): mounted at `/v1`, bare bodies, errors with `trace_id`."""

from __future__ import annotations

from typing import Any

from axonql.rest_compat.envelopes import LUKHAS
from axonql.rest_compat.route import Api, Field, Inputs, Route
from axonql.rest_compat.tables.auth import LOGIN, REFRESH


def constellation_session(login: dict[str, Any], inputs: Inputs) -> dict[str, Any]:
    """A Λ iD login in the documented shape; only what the login really established."""
    return {
        "authentication_result": {
            "status": "authenticated",
            "lambda_id_verified": True,
        },
        "constellation_token": login["access_token"],
        "refresh_token": login["refresh_token"],
        "access_permissions": {"scopes": login["scope"]},
        "session_metadata": {"expires_in": login["expires_in"]},
    }


ROUTES = (
    Route(
        "POST",
        "/auth/token",
        summary="Obtain Token",
        operation=LOGIN,
        variables={"username": "body.username", "password": "body.password"},
        body=(
            Field("username", required=True),
            Field("password", required=True),
            Field("biometric_data", description="accepted for compatibility; not evaluated"),
        ),
        result="login",
        lower=("token_type",),
        example={
            "username": "user@example.com",
            "password": "secure_password",
            "biometric_data": "base64_encoded_biometric",
        },
    ),
    Route(
        "POST",
        "/auth/refresh",
        summary="Refresh Token",
        operation=REFRESH,
        variables={"refreshToken": "body.refresh_token"},
        body=(Field("refresh_token", required=True),),
        result="refreshToken",
        lower=("token_type",),
        example={"refresh_token": "eyJ0eXAiOiJKV1QiLCJhbGc..."},
    ),
    Route(
        "POST",
        "/constellation/identity/authenticate",
        summary="Authenticate with Lambda ID",
        operation=LOGIN,
        # The Λ iD is the account name and the biometric payload the secret it was enrolled
        # with; nothing is scored, so no `biometric_match` is claimed.
        variables={"username": "body.lambda_id", "password": "body.biometric_data"},
        body=(
            Field("lambda_id", required=True),
            Field("biometric_data", required=True),
            Field("authentication_context", "object"),
        ),
        result="login",
        shape=constellation_session,
        example={
            "lambda_id": "ΛPRIME-2025-0001",
            "biometric_data": "base64_encoded_biometric",
            "authentication_context": {
                "session_id": "session456",
                "requested_tier": "ΛPRIME",
                "constellation_context": True,
            },
        },
    ),
)

API = Api(
    name="lukhas",
    title="LUKHAS AI",
    mount="/v1",
    envelope=LUKHAS,
    routes=ROUTES,
    rate_limits={
        "process": "60/minute",
        "memory": "100/minute",
        "consciousness": "100/minute",
        "dream": "10/minute",
    },
    reset_after_header=True,
)
