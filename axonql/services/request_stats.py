"""Request counters between two metric samples: rates, latency percentiles, open WebSockets.

Latencies go into a log-bucketed histogram (HDR-style: each bucket is 2 % wider than the one
below, 10 µs to 10 min), so recording is O(1), memory is fixed however many requests arrive,
and a percentile read from it is within 2 % of the exact value. Everything is updated without
awaiting, under a lock, so the event loop and any worker thread see consistent windows.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field

MIN_MS = 0.01
MAX_MS = 600_000.0
GROWTH = 1.02
_LOG_GROWTH = math.log(GROWTH)
BUCKETS = math.ceil(math.log(MAX_MS / MIN_MS) / _LOG_GROWTH) + 2

OUTCOME_SCOPE_KEY = "axonql.outcome_status"
"""ASGI scope key where a GraphQL response (always HTTP 200) leaves its errors' worst status."""


def bucket_of(duration_ms: float) -> int:
    """Bucket 0 holds ≤ 10 µs; bucket i holds (MIN·G^(i-1), MIN·G^i]; the last one the rest."""
    if duration_ms <= MIN_MS:
        return 0
    return min(BUCKETS - 1, math.ceil(math.log(duration_ms / MIN_MS) / _LOG_GROWTH - 1e-9))


def bucket_ceiling(index: int) -> float:
    return MIN_MS * GROWTH**index


@dataclass
class Window:
    """One key's requests since the last drain: counts by outcome and a latency histogram."""

    count: int = 0
    errors: int = 0
    client_errors: int = 0
    total_ms: float = 0.0
    low_ms: float = math.inf
    high_ms: float = 0.0
    histogram: list[int] = field(default_factory=lambda: [0] * BUCKETS)

    def add(self, index: int, duration_ms: float, status: int) -> None:
        self.count += 1
        self.errors += status >= 500
        self.client_errors += 400 <= status < 500
        self.total_ms += duration_ms
        self.low_ms = min(self.low_ms, duration_ms)
        self.high_ms = max(self.high_ms, duration_ms)
        self.histogram[index] += 1

    def percentile(self, q: float) -> float:
        """Nearest-rank percentile (bucket ceiling, clamped to the exact min and max seen)."""
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index, n in enumerate(self.histogram):
            seen += n
            if seen >= rank:
                return min(self.high_ms, max(self.low_ms, bucket_ceiling(index)))
        return self.high_ms


@dataclass
class Summary:
    """What the sampler stores for one key and one window."""

    requests: int
    errors: int
    client_errors: int
    mean_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    open_websockets: int

    @classmethod
    def of(cls, window: Window, open_websockets: int) -> Summary:
        measured = window.count > 0
        return cls(
            requests=window.count,
            errors=window.errors,
            client_errors=window.client_errors,
            mean_ms=window.total_ms / window.count if measured else None,
            p50_ms=window.percentile(0.50) if measured else None,
            p95_ms=window.percentile(0.95) if measured else None,
            p99_ms=window.percentile(0.99) if measured else None,
            open_websockets=open_websockets,
        )


@dataclass
class Snapshot:
    """A drained window: the server as a whole and each application seen so far."""

    seconds: float
    server: Summary
    apps: dict[str, Summary]


class RequestStats:
    """The instance's live request window (the middleware writes, the sampler drains)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since = time.monotonic()
        self._server = Window()
        self._apps: dict[str, Window] = {}
        self._open: dict[str | None, int] = {}
        self._answered = 0

    def answered(self) -> int:
        """HTTP requests answered since this instance started."""
        with self._lock:
            return self._answered

    def record(self, app_id: str | None, duration_ms: float, status: int) -> None:
        """One answered HTTP request; `app_id` None when no application can be named."""
        index = bucket_of(duration_ms)
        with self._lock:
            self._answered += 1
            self._server.add(index, duration_ms, status)
            if app_id is not None:
                window = self._apps.get(app_id)
                if window is None:
                    window = self._apps[app_id] = Window()
                window.add(index, duration_ms, status)

    def websocket_opened(self, app_id: str | None) -> None:
        with self._lock:
            self._open[app_id] = self._open.get(app_id, 0) + 1
            if app_id is not None:
                self._apps.setdefault(app_id, Window())

    def websocket_closed(self, app_id: str | None) -> None:
        with self._lock:
            self._open[app_id] = max(0, self._open.get(app_id, 0) - 1)

    def open_websockets(self, app_id: str | None = None, *, total: bool = True) -> int:
        """Connections open now: all of them, or (total=False) those of `app_id`."""
        with self._lock:
            return sum(self._open.values()) if total else self._open.get(app_id, 0)

    def open_websockets_by_app(self) -> dict[str | None, int]:
        """Connections open now per application (None: those no application owns)."""
        with self._lock:
            return dict(self._open)

    def drain(self) -> Snapshot:
        """The window since the last drain; every known application keeps being reported."""
        with self._lock:
            now = time.monotonic()
            seconds, self._since = now - self._since, now
            server, self._server = self._server, Window()
            apps, self._apps = self._apps, {name: Window() for name in self._apps}
            open_now = dict(self._open)
        return Snapshot(
            seconds=seconds,
            server=Summary.of(server, sum(open_now.values())),
            apps={name: Summary.of(w, open_now.get(name, 0)) for name, w in sorted(apps.items())},
        )
