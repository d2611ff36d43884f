"""The immune (integrity) scan in the schema: status, scans, threat history (NexusNet)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from axonql.models.threat import Threat as ThreatDocument
from axonql.schema.node import Node


@strawberry.type
class Threat(Node):
    id: strawberry.ID
    type: str
    check: str
    severity: str
    status: str
    description: str
    location: str
    detections: int
    healed: bool
    healing_method: str | None
    resolution: str | None
    resolution_time: float | None
    detected_at: datetime
    last_seen: datetime
    resolved_at: datetime | None

    @classmethod
    def from_document(cls, doc: ThreatDocument) -> Threat:
        return cls(
            id=strawberry.ID(doc.id),
            type=doc.type,
            check=doc.check,
            severity=doc.severity,
            status=doc.status,
            description=doc.description,
            location=doc.location,
            detections=doc.detections,
            healed=doc.healed,
            healing_method=doc.healing_method,
            resolution=doc.resolution,
            resolution_time=doc.resolution_time,
            detected_at=doc.created_at,
            last_seen=doc.last_seen,
            resolved_at=doc.resolved_at,
        )


@strawberry.type
class ThreatCategory:
    name: str
    active: bool
    threats_found: int
    severity: str


@strawberry.type
class ImmuneStatus:
    active: bool
    health_score: float
    threats_detected: int
    threats_resolved: int
    last_scan: datetime | None
    scan_frequency: int
    auto_healing: bool
    threat_categories: list[ThreatCategory]


@strawberry.type
class ImmuneScanResult:
    scan_id: strawberry.ID
    status: str
    threats_found: int
    threats_healed: int
    scan_duration: float
    results: list[Threat]


@strawberry.type
class ThreatSummary:
    total_threats: int
    resolved_threats: int
    pending_threats: int
    average_resolution_time: float


@strawberry.type
class ThreatHistory:
    threats: list[Threat]
    summary: ThreatSummary


@strawberry.input
class ImmuneScanInput:
    scan_types: list[str] | None = None
    deep_scan: bool = False
    auto_heal: bool = True
