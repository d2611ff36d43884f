"""SynapticOS Consciousness System V2 (seed 000): mounted at `/api/v2`, bare bodies."""

from __future__ import annotations

from axonql.rest_compat.envelopes import SYNAPTICOS
from axonql.rest_compat.route import Api, Field, Route
from axonql.rest_compat.tables.auth import REFRESH

ROUTES = (
    Route(
        "POST",
        "/auth/refresh",
        summary="Token Refresh",
        operation=REFRESH,
        variables={"refreshToken": "body.refresh_token"},
        body=(Field("refresh_token", required=True),),
        result="refreshToken",
        example={"refresh_token": "your_refresh_token"},
    ),
)

API = Api(
    name="synapticos",
    title="SynapticOS Consciousness System V2",
    mount="/api/v2",
    envelope=SYNAPTICOS,
    routes=ROUTES,
    rate_limits={
        "default": "1000/hour",
        "progress": "60/minute",
        "assessments": "10/hour",
    },
)
