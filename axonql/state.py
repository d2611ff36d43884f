"""Process-wide state of one running instance, created by the app's lifespan."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from axonql.database import Database
from axonql.settings import Settings


@dataclass
class AppState:
    """Shared by every request of one instance; passed in, never imported as a global."""

    settings: Settings
    database: Database
    started_at: float = field(default_factory=time.time)
    extras: dict[str, Any] = field(default_factory=dict)
