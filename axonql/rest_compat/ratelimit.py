"""Documented per-API rate limits on the `limits` library; storage chosen by URL.

`memory://` keeps counters in this process; `mongodb://…` or `redis://…` (setting
`AXONQL_REST_RATE_LIMIT_STORAGE`) lets several instances share them. The network storages are
synchronous in `limits`, so their calls run in a worker thread.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import anyio.to_thread
from limits import RateLimitItem, parse, storage, strategies


@dataclass(frozen=True)
class Verdict:
    """One hit's outcome and the numbers the `X-RateLimit-*` headers carry."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    reset_after: int

    def headers(self, *, reset_after: bool) -> dict[str, str]:
        out = {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }
        if reset_after:
            out["X-RateLimit-Reset-After"] = str(self.reset_after)
        return out


class RateLimiter:
    """Fixed-window counters keyed by (API, group, caller)."""

    def __init__(self, storage_url: str = "memory://") -> None:
        self.storage_url = storage_url
        self._storage = storage.storage_from_string(storage_url)
        self._limiter = strategies.FixedWindowRateLimiter(self._storage)
        self._threaded = not storage_url.startswith("memory://")
        self._items: dict[str, RateLimitItem] = {}

    def _item(self, spec: str) -> RateLimitItem:
        if spec not in self._items:
            self._items[spec] = parse(spec)
        return self._items[spec]

    def _hit(self, spec: str, keys: tuple[str, ...]) -> Verdict:
        item = self._item(spec)
        allowed = self._limiter.hit(item, *keys)
        stats = self._limiter.get_window_stats(item, *keys)
        now = time.time()
        return Verdict(
            allowed=allowed,
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset=math.ceil(stats.reset_time),
            reset_after=max(0, math.ceil(stats.reset_time - now)),
        )

    async def hit(self, spec: str, *keys: str) -> Verdict:
        """Count one request against `spec` (e.g. `100/minute`) for these keys."""
        if self._threaded:
            return await anyio.to_thread.run_sync(self._hit, spec, keys)
        return self._hit(spec, keys)

    def reset(self) -> None:
        """Forget every counter (tests; an operator after changing limits)."""
        self._storage.reset()
