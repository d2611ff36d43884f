"""Throttled password checks: per login name and per client address, in shared storage.

Counters live in the rate-limit storage the REST layer uses (`memory://` in one process,
`redis://…` or `mongodb://…` shared by every instance). Each attempt reserves one try of its
login name before the password is checked, so parallel guesses cannot slip past the limit;
a success clears that name's count. The address counts failures only, so one busy client that
logs in correctly is never refused. Unknown and known names are treated the same, so a refusal
reveals nothing about which accounts exist.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import anyio.to_thread
from limits import RateLimitItem, parse, storage, strategies

from axonql.errors import AuthenticationFailed, RateLimitExceeded

T = TypeVar("T")


class Attempt:
    """One login attempt; the caller marks it a success once the password checked out."""

    def __init__(self) -> None:
        self.ok = False

    def succeeded(self) -> None:
        self.ok = True


class LoginThrottle:
    """Refuses password checks once a login name or a client address has failed too often."""

    def __init__(
        self,
        storage_url: str,
        per_account: str,
        per_address: str,
        on_refusal: Callable[[str], None] | None = None,
    ) -> None:
        self.on_refusal = on_refusal  # told "account" or "address" (metrics count refusals)
        self._storage = storage.storage_from_string(storage_url)
        self._limiter = strategies.FixedWindowRateLimiter(self._storage)
        self._threaded = not storage_url.startswith("memory://")
        self.per_account: RateLimitItem = parse(per_account)
        self.per_address: RateLimitItem = parse(per_address)

    @asynccontextmanager
    async def attempt(self, login_name: str, address: str) -> AsyncIterator[Attempt]:
        account = ("login-account", login_name.strip().lower()[:200])
        client = ("login-address", address)
        if not await self._run(self._limiter.test, self.per_address, *client):
            raise await self._refusal(self.per_address, client)
        if not await self._run(self._limiter.hit, self.per_account, *account):
            raise await self._refusal(self.per_account, account)
        attempt = Attempt()
        try:
            yield attempt
        except AuthenticationFailed:
            await self._run(self._limiter.hit, self.per_address, *client)
            raise
        if attempt.ok:
            await self._run(self._limiter.clear, self.per_account, *account)

    def reset(self) -> None:
        """Forget every counter (tests; an operator unlocking accounts)."""
        self._storage.reset()

    async def _refusal(self, item: RateLimitItem, keys: tuple[str, ...]) -> RateLimitExceeded:
        if self.on_refusal is not None:
            self.on_refusal(keys[0].removeprefix("login-"))
        stats = await self._run(self._limiter.get_window_stats, item, *keys)
        retry_after = max(1, math.ceil(stats.reset_time - time.time()))
        return RateLimitExceeded(
            "too many failed login attempts; try again later",
            details={"retry_after": retry_after},
        )

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        """The network storages of `limits` are synchronous: keep them off the event loop."""
        if self._threaded:
            return await anyio.to_thread.run_sync(call, *args)
        return call(*args)
