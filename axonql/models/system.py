"""Registered cognitive systems (and the server itself), their components and metrics."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import pymongo
from pydantic import BaseModel, Field

from axonql.ids import new_id
from axonql.models.base import Entity, utcnow

SERVER_SYSTEM_ID = "axonql"


class SystemStatus(StrEnum):
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"
    MAINTENANCE = "maintenance"
    STOPPED = "stopped"
    OFFLINE = "offline"


STOPPED_STATUSES = frozenset({SystemStatus.STOPPED, SystemStatus.OFFLINE})
"""Statuses counted as `stopped` in OCTOSPINE's `applications`; every other one is running."""


class MetricName(StrEnum):
    """The stored name of each measured series (OCTOSPINE's metric keys)."""

    CPU_USAGE = "cpu_usage"
    MEMORY_USAGE = "memory_usage"
    DISK_USAGE = "disk_usage"
    NETWORK_IN = "network_in"
    NETWORK_OUT = "network_out"
    RESPONSE_TIME = "response_time"
    THROUGHPUT = "throughput"
    ERROR_RATE = "error_rate"
    REQUEST_RATE = "request_rate"
    RESPONSE_TIME_P50 = "response_time_p50"
    RESPONSE_TIME_P95 = "response_time_p95"
    RESPONSE_TIME_P99 = "response_time_p99"
    CLIENT_ERROR_RATE = "client_error_rate"
    OPEN_WEBSOCKETS = "open_websockets"


SYSTEM_METRICS = (MetricName.CPU_USAGE, MetricName.MEMORY_USAGE, MetricName.DISK_USAGE)
"""The series whose newest value each System keeps (`System.latest_metrics`)."""


class Component(BaseModel):
    """A part of a system: a NexusNet plugin, a LUKHAS module or pipeline stage …"""

    component_id: str
    type: str = "module"
    state: str = "active"
    health_score: float = 1.0
    last_heartbeat: datetime | None = None
    response_time_ms: float = 0.0
    throughput: float = 0.0
    error_rate: float = 0.0
    configuration: dict[str, Any] = Field(default_factory=dict)


class LatestSample(BaseModel):
    """The newest stored sample of one series: its value and when it was measured."""

    value: float
    at: datetime


class System(Entity):
    """A cognitive system: status, consciousness level, components and configuration."""

    id: str = Field(default_factory=lambda: new_id("sys"))
    name: str
    kind: str = "external"
    status: SystemStatus = SystemStatus.HEALTHY
    version: str = "1.0.0"
    environment: str = "development"
    description: str = ""
    consciousness_level: float = 0.5
    awareness_state: str = "aware"
    components: list[Component] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    started_at: datetime = Field(default_factory=utcnow)
    latest_metrics: dict[str, LatestSample] = Field(default_factory=dict, exclude=True)
    """Newest sample per SYSTEM_METRICS name. Written only by conditional updates that move it
    forward in time (`services/latest_metrics.py`), never by a whole-document save or insert
    (`exclude`), so a save of a System read earlier cannot put back an older value."""

    class Settings:
        name = "systems"
        indexes = [
            [("_id", 1), ("created_at", 1)],  # id ranges: samples of values (value_order)
            pymongo.IndexModel("name", unique=True),
            # (filter, created_at): a filter's newest-first windows read only its
            # matches, and the field still leads an index
            [("kind", 1), ("created_at", 1)],
            [("status", 1), ("created_at", 1)],
            [("tags", 1), ("created_at", 1)],
            [("consciousness_level", 1), ("created_at", 1)],  # sorted by value (value_order)
            "created_at",
            "updated_at",
        ]


class MetricSample(Entity):
    """One measured value of one metric at one time."""

    id: str = Field(default_factory=lambda: new_id("met"))
    system_id: str = SERVER_SYSTEM_ID
    metric: str
    value: float
    component_id: str | None = None
    app_id: str | None = None
    timestamp: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "metric_samples"
        indexes = [
            [("system_id", 1), ("metric", 1), ("timestamp", -1)],
            [("app_id", 1), ("metric", 1), ("timestamp", -1)],
            [("component_id", 1), ("metric", 1), ("timestamp", -1)],
        ]


ROLLUP_RESOLUTIONS = (60, 3600)
"""Seconds per rollup bucket the sampler maintains for the series it writes."""


class MetricRollup(Entity):
    """Sum/count/min/max of one sampled series over one minute or hour (cheap long ranges)."""

    id: str = Field(default_factory=lambda: new_id("mru"))
    system_id: str = SERVER_SYSTEM_ID
    metric: str
    resolution: int
    timestamp: datetime
    total: float = 0.0
    samples: int = 0
    low: float | None = None
    high: float | None = None

    class Settings:
        name = "metric_rollups"
        indexes = [
            pymongo.IndexModel(
                [("system_id", 1), ("metric", 1), ("resolution", 1), ("timestamp", -1)],
                unique=True,
            ),
        ]
