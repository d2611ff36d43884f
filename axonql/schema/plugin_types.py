"""Plugins: a system's `plugin` components as NexusNet lists them."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from axonql.services import plugins as logic


@strawberry.type
class PluginPerformance:
    requests_processed: int | None = strawberry.field(
        description="Null: no per-plugin request counter is kept yet."
    )
    average_response_time: float = strawberry.field(description="Seconds.")
    throughput: float
    error_rate: float


@strawberry.type
class Plugin:
    name: str
    version: str | None
    status: str
    active: bool
    capabilities: list[str]
    description: str
    author: str | None
    configuration: JSON
    health_score: float
    performance_metrics: PluginPerformance
    last_used: datetime | None = strawberry.field(
        description="When the plugin last reported or was changed."
    )

    @classmethod
    def from_plugin(cls, found: logic.Plugin) -> Plugin:
        c = found.component
        return cls(
            name=found.name,
            version=found.version,
            status=c.state,
            active=found.active,
            capabilities=found.capabilities,
            description=found.description,
            author=found.author,
            configuration=JSON(c.configuration),
            health_score=c.health_score,
            performance_metrics=PluginPerformance(
                requests_processed=None,
                average_response_time=found.average_response_seconds,
                throughput=c.throughput,
                error_rate=c.error_rate,
            ),
            last_used=found.last_used,
        )


@strawberry.type
class PluginList:
    plugins: list[Plugin]
    total_plugins: int
    active_plugins: int

    @classmethod
    def from_list(cls, found: logic.PluginList) -> PluginList:
        return cls(
            plugins=[Plugin.from_plugin(p) for p in found.plugins],
            total_plugins=found.total,
            active_plugins=found.active,
        )
