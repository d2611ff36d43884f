"""Process-wide state of one running instance, created by the app's lifespan.

Every service an instance owns is a named, typed field here (no string-keyed registry), so
a second app in the same process gets its own of each.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from axonql.database import Database
from axonql.errors import ServiceUnavailable
from axonql.observability.metrics import Metrics
from axonql.observability.tracing import Tracing
from axonql.services.group_commit import GroupCommit
from axonql.services.login_throttle import LoginThrottle
from axonql.services.metrics_sampler import CpuGauge
from axonql.services.persisted_queries import PersistedQueries
from axonql.services.queue import ClaimsInFlight
from axonql.services.reply import Replies
from axonql.services.request_stats import RequestStats
from axonql.services.token_validity import TokenValidity
from axonql.services.value_order import ValueSamples
from axonql.settings import Settings
from axonql.sse_reservations import Reservations

if TYPE_CHECKING:
    from axonql.services.metrics_sampler import MetricsSampler
    from axonql.services.scheduler import Background
    from axonql.subscriptions.realtime import RealTime

_T = TypeVar("_T")


@dataclass
class AppState:
    """Shared by every request of one instance; passed in, never imported as a global."""

    settings: Settings
    database: Database
    started_at: float = field(default_factory=time.time)
    # What the request-metrics middleware counts (create_app passes the one it feeds).
    request_stats: RequestStats = field(default_factory=RequestStats)
    cpu_gauge: CpuGauge = field(default_factory=CpuGauge)  # live readings and the sampler
    replies: Replies = field(default_factory=Replies)  # task-finished / work-queued wake-ups
    claims: ClaimsInFlight = field(default_factory=ClaimsInFlight)  # tasks being claimed here
    # Claims and completions waiting together share a transaction (services/group_commit.py).
    queue_units: GroupCommit = field(default_factory=GroupCommit)
    # Samples of sorted fields' values, sizing the ranges pages by value read (value_order.py).
    value_samples: ValueSamples = field(default_factory=ValueSamples)
    # OpenTelemetry (observability/tracing.py): None, the default, means tracing is off.
    tracing: Tracing | None = None
    login_throttle: LoginThrottle = field(init=False)
    token_validity: TokenValidity = field(init=False)
    persisted_queries: PersistedQueries = field(init=False)
    sse_reservations: Reservations = field(init=False)  # graphql-sse single connections
    # Prometheus families of this instance (create_app passes the one its middleware feeds).
    metrics: Metrics = field(default_factory=Metrics)
    # Whether the database offers text indexes (MongoDB does, SecantusDB not): set at start.
    text_search: bool = False
    # Started by the lifespan after this object exists: read through the properties below.
    _realtime: RealTime | None = field(default=None, init=False, repr=False)
    _background: Background | None = field(default=None, init=False, repr=False)
    _metrics_sampler: MetricsSampler | None = field(default=None, init=False, repr=False)

    @property
    def realtime(self) -> RealTime:
        """The running real-time service (SERVICE_UNAVAILABLE before the lifespan started it)."""
        return _started(self._realtime, "real-time service")

    @realtime.setter
    def realtime(self, service: RealTime) -> None:
        self._realtime = service

    def realtime_if_running(self) -> RealTime | None:
        """The real-time service, or None before start and after stop (for binding `emit`)."""
        return self._realtime

    async def stop_realtime(self) -> None:
        """Stop the real-time service if it was started; reading it afterwards fails."""
        service, self._realtime = self._realtime, None
        if service is not None:
            await service.stop()

    @property
    def background(self) -> Background:
        """The scheduler's background work (started by the lifespan)."""
        return _started(self._background, "background work")

    @background.setter
    def background(self, work: Background) -> None:
        self._background = work

    @property
    def metrics_sampler(self) -> MetricsSampler:
        """The sampler storing this instance's metric series (started by the lifespan)."""
        return _started(self._metrics_sampler, "metrics sampler")

    @metrics_sampler.setter
    def metrics_sampler(self, sampler: MetricsSampler) -> None:
        self._metrics_sampler = sampler

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


def _started(service: _T | None, name: str) -> _T:
    if service is None:
        raise ServiceUnavailable(f"{name} is not running")
    return service
