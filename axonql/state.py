"""Process-wide state of one running instance, created by the app's lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from axonql.database import Database
from axonql.observability.metrics import Metrics
from axonql.observability.tracing import Tracing
from axonql.services.login_throttle import LoginThrottle
from axonql.services.persisted_queries import PersistedQueries
from axonql.services.token_validity import TokenValidity
from axonql.settings import Settings
from axonql.sse_reservations import Reservations


@dataclass
class AppState:
    """Shared by every request of one instance; passed in, never imported as a global."""

    settings: Settings
    database: Database
    started_at: float = field(default_factory=time.time)
    extras: dict[str, Any] = field(default_factory=dict)
    # OpenTelemetry (observability/tracing.py): None, the default, means tracing is off.
    tracing: Tracing | None = None
    login_throttle: LoginThrottle = field(init=False)
    token_validity: TokenValidity = field(init=False)
    persisted_queries: PersistedQueries = field(init=False)
    sse_reservations: Reservations = field(init=False)  # graphql-sse single connections
    # Prometheus families of this instance (create_app passes the one its middleware feeds).
    metrics: Metrics = field(default_factory=Metrics)

    def __post_init__(self) -> None:
        self.login_throttle = LoginThrottle(
            self.settings.rest_rate_limit_storage,
            per_account=self.settings.login_attempts_per_account,
            per_address=self.settings.login_attempts_per_address,
            on_refusal=lambda limit: self.metrics.refused("login", limit),
        )
        self.metrics.attach(self)
        self.token_validity = TokenValidity(self.settings.token_check_seconds)
        self.persisted_queries = PersistedQueries(self.settings)
        self.sse_reservations = Reservations(
            self.settings.sse_max_reservations, self.settings.sse_reservation_ttl_seconds
        )
