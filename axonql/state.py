"""Process-wide state of one running instance, created by the app's lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from axonql.database import Database
from axonql.services.login_throttle import LoginThrottle
from axonql.services.token_validity import TokenValidity
from axonql.settings import Settings


@dataclass
class AppState:
    """Shared by every request of one instance; passed in, never imported as a global."""

    settings: Settings
    database: Database
    started_at: float = field(default_factory=time.time)
    extras: dict[str, Any] = field(default_factory=dict)
    login_throttle: LoginThrottle = field(init=False)
    token_validity: TokenValidity = field(init=False)

    def __post_init__(self) -> None:
        self.login_throttle = LoginThrottle(
            self.settings.rest_rate_limit_storage,
            per_account=self.settings.login_attempts_per_account,
            per_address=self.settings.login_attempts_per_address,
        )
        self.token_validity = TokenValidity(self.settings.token_check_seconds)
