"""System types and inputs: OCTOSPINE's `system` and `health`, plus CRUD and components."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING

import strawberry
from strawberry.scalars import JSON

from axonql import models
from axonql.models.system import SERVER_SYSTEM_ID, MetricName
from axonql.models.system import SystemStatus as SystemStatusModel
from axonql.schema.agent_types import Agent
from axonql.schema.context import Info
from axonql.schema.entity_events import events_field
from axonql.schema.node import Node
from axonql.schema.pagination_types import SortDirection, list_window
from axonql.schema.permissions import field
from axonql.schema.task_types import Task, TaskStatus
from axonql.services import components, latest_metrics
from axonql.services import systems as logic
from axonql.services.host_facts import read_host_facts
from axonql.services.metrics_sampler import read_host

if TYPE_CHECKING:
    pass

SystemStatus = strawberry.enum(SystemStatusModel, name="SystemStatus")


@strawberry.type
class NetworkIo:
    """Bytes and packets since boot of the host's network interfaces (Float: counters exceed
    Int)."""

    bytes_sent: float
    bytes_received: float
    packets_sent: float | None = None
    packets_received: float | None = None


@strawberry.type
class LoadAverage:
    """The host's run-queue length averaged over 1, 5 and 15 minutes."""

    one_minute: float
    five_minutes: float
    fifteen_minutes: float


@strawberry.type
class DiskSpace:
    """The filesystem holding the data directory, in MiB."""

    total_mb: float
    used_mb: float
    available_mb: float


@strawberry.type
class SystemMetrics:
    """Live psutil figures for this server; the latest stored samples for other systems.

    The machine's size, load, disk space and GPUs and the server's own counters are known for
    this server only (null for other systems)."""

    cpu_usage: float | None
    memory_usage: float | None
    disk_usage: float | None
    network_io: NetworkIo | None
    source: str
    cpu_count: int | None = None
    memory_total_mb: float | None = None
    memory_used_mb: float | None = strawberry.field(
        default=None, description="Memory in use (total less available), MiB."
    )
    load_average: LoadAverage | None = None
    disk: DiskSpace | None = None
    gpu_available: bool | None = None
    gpu_count: int | None = None
    gpu_usage: float | None = strawberry.field(
        default=None, description="Percent; null: no GPU, or none whose usage can be read."
    )
    requests_processed: float | None = strawberry.field(
        default=None, description="HTTP requests this server process has answered."
    )
    active_connections: int | None = strawberry.field(
        default=None, description="WebSocket connections open on this server process now."
    )


@strawberry.type
class Applications:
    total: int
    running: int
    stopped: int


@strawberry.type
class Component:
    component_id: strawberry.ID
    type: str
    state: str
    health_score: float
    last_heartbeat: datetime | None
    response_time_ms: float
    throughput: float
    error_rate: float
    configuration: JSON

    @classmethod
    def from_model(cls, comp: models.system.Component) -> Component:
        return cls(
            component_id=strawberry.ID(comp.component_id),
            type=comp.type,
            state=comp.state,
            health_score=comp.health_score,
            last_heartbeat=comp.last_heartbeat,
            response_time_ms=comp.response_time_ms,
            throughput=comp.throughput,
            error_rate=comp.error_rate,
            configuration=JSON(comp.configuration),
        )


@strawberry.type
class System(Node):
    """A registered cognitive system, or (id `axonql`) this server itself."""

    id: strawberry.ID
    name: str
    kind: str
    status: SystemStatus  # type: ignore[valid-type]
    version: str
    environment: str
    description: str
    consciousness_level: float
    awareness_state: str
    components: list[Component]
    config: JSON
    tags: list[str]
    started_at: datetime
    created_at: datetime
    updated_at: datetime
    latest: strawberry.Private[dict[str, float]] = dataclasses.field(default_factory=dict)

    @field(description="Seconds since this system started (for the server: this process).")
    def uptime(self, info: Info) -> float:
        return logic.uptime_seconds(str(self.id), self.started_at, info.context.state.started_at)

    @field(
        description="Components in a state that is not inactive (offline, stopped, failed, "
        "disabled, inactive, unhealthy)."
    )
    def active_components(self, info: Info) -> int:
        return components.active_count(c.state for c in self.components)

    @field(description="CPU, memory and disk use in percent, network counters.")
    async def metrics(self, info: Info) -> SystemMetrics:
        if self.id == SERVER_SYSTEM_ID:
            state = info.context.state
            reading = await read_host(state.settings, state.cpu_gauge)
            facts = read_host_facts(state.settings)
            return SystemMetrics(
                cpu_usage=reading.cpu_usage,
                memory_usage=reading.memory_usage,
                disk_usage=reading.disk_usage,
                network_io=NetworkIo(
                    bytes_sent=reading.bytes_sent,
                    bytes_received=reading.bytes_received,
                    packets_sent=facts.packets_sent,
                    packets_received=facts.packets_received,
                ),
                source="live",
                cpu_count=facts.cpu_count,
                memory_total_mb=facts.memory_total_mb,
                memory_used_mb=facts.memory_used_mb,
                load_average=LoadAverage(
                    one_minute=facts.load_1min,
                    five_minutes=facts.load_5min,
                    fifteen_minutes=facts.load_15min,
                ),
                disk=DiskSpace(
                    total_mb=facts.disk_total_mb,
                    used_mb=facts.disk_used_mb,
                    available_mb=facts.disk_available_mb,
                ),
                gpu_available=facts.gpu_available,
                gpu_count=facts.gpu_count,
                requests_processed=state.request_stats.answered(),
                active_connections=state.request_stats.open_websockets(),
            )
        latest = self.latest  # kept on the System document: nothing more to read
        return SystemMetrics(
            cpu_usage=latest.get(MetricName.CPU_USAGE.value),
            memory_usage=latest.get(MetricName.MEMORY_USAGE.value),
            disk_usage=latest.get(MetricName.DISK_USAGE.value),
            network_io=None,
            source="samples",
        )

    @field(description="For the server: registered systems by status; otherwise its components.")
    async def applications(self, info: Info) -> Applications:
        doc = await info.context.loaders.by_id(models.System).load(str(self.id))
        counts = await logic.application_counts(doc)
        return Applications(total=counts.total, running=counts.running, stopped=counts.stopped)

    @field(description="Agents registered to this system.")
    async def agents(self, info: Info) -> list[Agent]:
        loader = info.context.loaders.by_field(models.Agent, "system_id")
        return [Agent.from_document(d) for d in await loader.load(str(self.id))]

    @field(description="Tasks of this system, newest first.")
    async def tasks(
        self,
        info: Info,
        status: TaskStatus | None = None,  # type: ignore[valid-type]
        limit: int = 50,
    ) -> list[Task]:
        size, _ = list_window(info, limit, 0)
        docs = await logic.system_tasks(info.context.loaders, str(self.id), status, size)
        return [Task.from_document(d) for d in docs]

    events = events_field(
        "system",
        "This system's events (what `systemUpdated(id)` streams), a page at a time.",
    )

    @classmethod
    def from_document(cls, doc: models.System) -> System:
        return cls(
            id=strawberry.ID(doc.id),
            name=doc.name,
            kind=doc.kind,
            status=doc.status,
            version=doc.version,
            environment=doc.environment,
            description=doc.description,
            consciousness_level=doc.consciousness_level,
            awareness_state=doc.awareness_state,
            components=[Component.from_model(c) for c in doc.components],
            config=JSON(doc.config),
            tags=doc.tags,
            started_at=doc.started_at,
            created_at=doc.created_at,
            updated_at=doc.updated_at,
            latest=latest_metrics.values(doc),
        )


@strawberry.type
class HealthServices:
    database: str
    cache: str
    queue: str


@strawberry.type
class HealthStatus:
    """OCTOSPINE's health check; every service state comes from a real probe."""

    status: str
    timestamp: datetime
    version: str
    uptime: float
    services: HealthServices

    @classmethod
    def from_report(cls, report: logic.HealthReport) -> HealthStatus:
        return cls(
            status=report.status,
            timestamp=report.timestamp,
            version=report.version,
            uptime=report.uptime,
            services=HealthServices(
                database=report.database, cache=report.cache, queue=report.queue
            ),
        )


@strawberry.input
class SystemFilter:
    status: SystemStatus | None = None  # type: ignore[valid-type]
    kind: str | None = None
    environment: str | None = None
    tags: list[str] | None = None
    min_consciousness_level: float | None = None
    max_consciousness_level: float | None = None
    search: str | None = None
    limit: int | None = None
    offset: int | None = None

    def to_args(self) -> logic.SystemFilterArgs:
        return logic.SystemFilterArgs(
            status=self.status,
            kind=self.kind,
            environment=self.environment,
            tags=self.tags,
            min_consciousness_level=self.min_consciousness_level,
            max_consciousness_level=self.max_consciousness_level,
            search=self.search,
        )


@strawberry.enum
class SystemSortField(Enum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    NAME = "name"
    CONSCIOUSNESS_LEVEL = "consciousness_level"


@strawberry.input
class SystemSort:
    field: SystemSortField = SystemSortField.CREATED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class ComponentInput:
    component_id: strawberry.ID
    type: str | None = None
    state: str | None = None
    health_score: float | None = None
    response_time_ms: float | None = None
    throughput: float | None = None
    error_rate: float | None = None
    configuration: JSON | None = None
    last_heartbeat: datetime | None = None

    def to_draft(self) -> logic.ComponentDraft:
        return logic.ComponentDraft(
            component_id=str(self.component_id),
            type=self.type,
            state=self.state,
            health_score=self.health_score,
            response_time_ms=self.response_time_ms,
            throughput=self.throughput,
            error_rate=self.error_rate,
            configuration=self.configuration,
            last_heartbeat=self.last_heartbeat,
        )


@strawberry.input
class CreateSystemInput:
    id: strawberry.ID | None = None
    name: str
    kind: str | None = None
    status: SystemStatus | None = None  # type: ignore[valid-type]
    version: str | None = None
    environment: str | None = None
    description: str | None = None
    consciousness_level: float | None = None
    awareness_state: str | None = None
    components: list[ComponentInput] | None = None
    config: JSON | None = None
    tags: list[str] | None = None


@strawberry.input
class UpdateSystemInput:
    name: str | None = None
    kind: str | None = None
    status: SystemStatus | None = None  # type: ignore[valid-type]
    version: str | None = None
    environment: str | None = None
    description: str | None = None
    consciousness_level: float | None = None
    awareness_state: str | None = None
    components: list[ComponentInput] | None = None
    config: JSON | None = None
    config_patch: JSON | None = strawberry.field(
        default=None, description='Dot-path changes, e.g. {"limits.max_agents": 50}; null removes.'
    )
    tags: list[str] | None = None


def draft_from(data: CreateSystemInput | UpdateSystemInput) -> logic.SystemDraft:
    return logic.SystemDraft(
        name=data.name,
        kind=data.kind,
        status=data.status,
        version=data.version,
        environment=data.environment,
        description=data.description,
        consciousness_level=data.consciousness_level,
        awareness_state=data.awareness_state,
        config=data.config,
        config_patch=getattr(data, "config_patch", None),
        tags=data.tags,
        components=[c.to_draft() for c in data.components] if data.components is not None else None,
    )
