"""AI Personality Drift Simulation (seed 004): paths under `/api/v1/…`, page/size headers."""

from __future__ import annotations

from axonql.rest_compat.envelopes import DRIFT
from axonql.rest_compat.route import Api, Route

ROUTES: tuple[Route, ...] = ()

API = Api(
    name="drift",
    title="AI Personality Drift Simulation",
    mount="",
    envelope=DRIFT,
    routes=ROUTES,
    rate_limits={"default": "100/minute", "export": "5/hour"},
)
