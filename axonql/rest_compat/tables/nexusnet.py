"""NexusNet (seed 003): root paths, bare bodies, `{"error": {…, request_id}}` errors."""

from __future__ import annotations

from axonql.rest_compat.envelopes import NEXUSNET
from axonql.rest_compat.route import Api, Field, Route
from axonql.rest_compat.tables.auth import LOGIN

ROUTES = (
    Route(
        "POST",
        "/auth/login",
        summary="Obtain a JWT",
        operation=LOGIN,
        variables={"username": "body.username", "password": "body.password"},
        body=(Field("username", required=True), Field("password", required=True)),
        result="login",
        lower=("token_type",),
        rate_group="auth",
        example={"username": "your-username", "password": "your-password"},
    ),
)

API = Api(
    name="nexusnet",
    title="NexusNet",
    mount="",
    envelope=NEXUSNET,
    routes=ROUTES,
    rate_limits={"default": "100/minute", "auth": "100/minute"},
)
