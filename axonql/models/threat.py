"""Threats found by the immune (integrity) scan, and the scans themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from axonql.ids import new_id
from axonql.models.base import Entity


class Threat(Entity):
    """One problem found in stored state: what, where, how bad, and what became of it."""

    id: str = Field(default_factory=lambda: new_id("threat"))
    type: str
    check: str
    severity: str
    status: str = "detected"
    description: str
    location: str
    subject_id: str
    scan_id: str
    detections: int = 1
    last_seen: datetime
    healed: bool = False
    healing_method: str | None = None
    resolution: str | None = None
    resolution_time: float | None = None
    resolved_at: datetime | None = None
    details: dict[str, Any] = Field(default_factory=dict)

    class Settings:
        name = "threats"
        indexes = [
            [("check", 1), ("subject_id", 1), ("status", 1)],
            "type",
            "severity",
            "status",
            "created_at",
        ]


class ImmuneScan(Entity):
    """One run of the integrity scan."""

    id: str = Field(default_factory=lambda: new_id("scan"))
    scan_types: list[str] = Field(default_factory=list)
    deep_scan: bool = False
    auto_heal: bool = False
    status: str = "completed"
    threats_found: int = 0
    threats_healed: int = 0
    duration_seconds: float = 0.0
    threat_ids: list[str] = Field(default_factory=list)

    class Settings:
        name = "immune_scans"
        indexes = ["created_at"]
