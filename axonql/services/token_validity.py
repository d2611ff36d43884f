"""Whether an access token still stands after logout, deactivation or a scope change.

A JWT is valid until `exp` by itself; this check ends it early. Each answer is remembered for
`token_check_seconds`, so a revocation takes effect on every instance within that time while
a busy client costs the database at most two indexed lookups per interval. An API key that
was accepted is remembered the same way (its key and its agent were two lookups per request:
a working agent makes several requests per task).
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING

from axonql.models import RevokedSession, User

if TYPE_CHECKING:
    from axonql.services.auth import Principal

_MAX_REMEMBERED = 10_000


class TokenValidity:
    """Per-instance memory of recent answers, keyed by (user, token version, session)."""

    def __init__(self, remember_seconds: float) -> None:
        self.remember_seconds = remember_seconds
        self._answers: dict[tuple[str, int, str | None], tuple[float, bool]] = {}
        self._keys: dict[bytes, tuple[float, Principal]] = {}  # by the key's sha256

    async def stands(self, user_id: str, version: int, session: str | None) -> bool:
        key = (user_id, version, session)
        now = time.monotonic()
        known = self._answers.get(key)
        if known is not None and known[0] > now:
            return known[1]
        answer = await self._ask(user_id, version, session)
        if len(self._answers) >= _MAX_REMEMBERED:
            self._answers.clear()
        self._answers[key] = (now + self.remember_seconds, answer)
        return answer

    def recall_key(self, key: str) -> Principal | None:
        """Who an API key accepted within the last `remember_seconds` stands for."""
        known = self._keys.get(hashlib.sha256(key.encode()).digest())
        return known[1] if known is not None and known[0] > time.monotonic() else None

    def remember_key(self, key: str, principal: Principal) -> None:
        """Remember an API key that was just accepted (refusals are never remembered)."""
        if len(self._keys) >= _MAX_REMEMBERED:
            self._keys.clear()
        until = time.monotonic() + self.remember_seconds
        self._keys[hashlib.sha256(key.encode()).digest()] = (until, principal)

    def forget(self) -> None:
        """Drop every remembered answer (this instance revoked something itself)."""
        self._answers.clear()
        self._keys.clear()

    @staticmethod
    async def _ask(user_id: str, version: int, session: str | None) -> bool:
        user = await User.get_pymongo_collection().find_one(
            {"_id": user_id}, {"is_active": 1, "token_version": 1}
        )
        if user is None or not user.get("is_active", True):
            return False
        if int(user.get("token_version", 0)) != version:
            return False
        if session is None:
            return True
        revoked = await RevokedSession.get_pymongo_collection().find_one(
            {"_id": session}, {"_id": 1}
        )
        return revoked is None
