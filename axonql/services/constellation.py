"""LUKHAS's constellation: the registry of nodes, the MATRIZ pipeline's agents, the pillars.

Registry nodes are agents tagged `lukhas:registry` (with `stage:<name>` and `pillar:<name>`
tags from what they declare); the pipeline is run by agents with the capability `matriz`. Both
count as up by the one definition of an online agent (`queue.online_query`: a recent heartbeat
and not marked offline). Nothing here is measured that the agents do not report: a node's T4
compliance and constructor pattern are as it declared them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axonql import models
from axonql.models.base import utcnow
from axonql.models.system import MetricName
from axonql.models.task import TaskStatus
from axonql.services import queue
from axonql.services.agents import AgentDraft, create_agent
from axonql.services.metric_series import metric_series
from axonql.services.systems import get_system
from axonql.settings import Settings

REGISTRY_TAG = "lukhas:registry"
PIPELINE_CAPABILITY = "matriz"
STAGE_TASK_TYPE = "matriz_stage"
MATRIZ_STAGES = ("memory", "attention", "thought", "risk", "intent", "action")
# LUKHAS's pillars by symbol; nodes may declare either.
PILLARS = {"⚛️": "identity", "🧠": "consciousness", "🛡️": "guardian", "✦": "memory"}
# Registry and pipeline reads are bounded: a registry larger than this lists its newest.
REGISTRY_LIMIT = 500
# T4/0.01%: at most 0.01% of the last hour's requests failed.
T4_ERROR_RATE = 0.0001


def registration_tags(metadata: Any) -> list[str]:
    """A node's tags from its `constellation_metadata` (stages, and pillars by symbol and name)."""
    tags = [REGISTRY_TAG]
    if isinstance(metadata, dict):
        for stage in metadata.get("pipeline_stages") or []:
            tags.append(f"stage:{stage}")
        for pillar in metadata.get("compatible_pillars") or []:
            tags.append(f"pillar:{pillar}")
            if pillar in PILLARS:
                tags.append(f"pillar:{PILLARS[pillar]}")
    return list(dict.fromkeys(tags))


def _declared(agent: models.Agent, key: str) -> Any:
    config = agent.metadata.get("constructor_config")
    return config.get(key) if isinstance(config, dict) else None


@dataclass(frozen=True)
class RegistryNode:
    agent: models.Agent
    online: bool

    @property
    def node_id(self) -> str:
        return str(self.agent.metadata.get("node_id") or self.agent.name)

    @property
    def t4_compliant(self) -> bool:
        """As the node declares it: nothing here measures T4 compliance."""
        return bool(_declared(self.agent, "t4_compliant"))

    @property
    def constructor_aware(self) -> bool:
        return bool(_declared(self.agent, "instantiation_pattern") == "constructor_aware")


@dataclass(frozen=True)
class Registry:
    nodes: list[RegistryNode]

    @property
    def health(self) -> str:
        """`optimal` when every node is online, `degraded` when some are not."""
        if not self.nodes:
            return "empty"
        return "optimal" if all(n.online for n in self.nodes) else "degraded"


def _node_tags(stage: str | None, pillar: str | None) -> list[str]:
    tags = [REGISTRY_TAG]
    if stage:
        tags.append(f"stage:{stage}")
    if pillar:
        tags.append(f"pillar:{PILLARS.get(pillar, pillar)}")
    return tags


async def _agents(query: dict[str, Any]) -> list[models.Agent]:
    found = models.Agent.find(query).sort("-created_at").limit(REGISTRY_LIMIT)
    return await found.to_list()


async def registry(settings: Settings, stage: str | None, pillar: str | None) -> Registry:
    """Registered nodes (by declared stage and pillar), each online or not."""
    agents = await _agents({"tags": {"$all": _node_tags(stage, pillar)}})
    return Registry([RegistryNode(a, queue.is_online(a, settings)) for a in agents])


async def online_nodes(settings: Settings) -> list[RegistryNode]:
    agents = await _agents({"tags": REGISTRY_TAG, **queue.online_query(settings)})
    return [RegistryNode(a, True) for a in agents]


def active_pillars(nodes: list[RegistryNode]) -> list[str]:
    """Pillars (by name, in LUKHAS's order) declared by at least one of these nodes."""
    tags = {tag for node in nodes for tag in node.agent.tags}
    return [name for name in PILLARS.values() if f"pillar:{name}" in tags]


@dataclass(frozen=True)
class Pipeline:
    """The MATRIZ pipeline: its online agents, their mean task time, the registry's pillars and
    the hour's measured error rate against the T4 standard."""

    agents_online: int
    latency_ms: float | None
    active_pillars: list[str]
    constructor_aware: bool
    error_rate: float | None

    @property
    def status(self) -> str:
        return "active" if self.agents_online else "offline"

    @property
    def performance_standards(self) -> str:
        if self.error_rate is None:
            return "unmeasured"
        return "met" if self.error_rate <= T4_ERROR_RATE else "not_met"


async def pipeline(settings: Settings) -> Pipeline:
    online = await _agents({"capabilities": PIPELINE_CAPABILITY, **queue.online_query(settings)})
    durations = [a.statistics.average_task_duration for a in online]
    nodes = await online_nodes(settings)
    errors = [p.value for p in await metric_series(MetricName.ERROR_RATE, "1h")]
    return Pipeline(
        agents_online=len(online),
        latency_ms=round(1000 * sum(durations) / len(durations), 1) if durations else None,
        active_pillars=active_pillars(nodes),
        constructor_aware=any(n.constructor_aware for n in nodes),
        error_rate=sum(errors) / len(errors) if errors else None,
    )


@dataclass(frozen=True)
class MatrizContext:
    """What the consciousness state shows of the pipeline: the stage a running task is in,
    whether an agent that runs the pipeline is online, and the online registry nodes."""

    active_stage: str | None
    pipeline_online: bool
    nodes: list[RegistryNode]
    state_since: datetime

    @property
    def active_pillars(self) -> list[str]:
        return active_pillars(self.nodes)

    @property
    def state_duration_seconds(self) -> int:
        return max(0, int((utcnow() - self.state_since).total_seconds()))


async def matriz_context(settings: Settings, system_id: str | None = None) -> MatrizContext:
    system = await get_system(system_id)
    running = await models.Task.find_one(
        {"status": TaskStatus.RUNNING.value, "type": STAGE_TASK_TYPE}
    )
    stage = running.parameters.get("stage") if running is not None else None
    up = await queue.online_agents_for(settings, [PIPELINE_CAPABILITY])
    return MatrizContext(
        active_stage=str(stage) if stage is not None else None,
        pipeline_online=up > 0,
        nodes=await online_nodes(settings),
        state_since=system.updated_at,
    )


@dataclass(frozen=True)
class Registration:
    """A registered node and what was checked of its declarations (nothing is measured)."""

    agent: models.Agent
    node_id: str
    t4_declared: bool
    constructor_validation: str
    constellation_compatibility: str


def _compatibility(pillars: Any) -> str:
    if not pillars:
        return "not_declared"
    known = all(p in PILLARS or p in PILLARS.values() for p in pillars)
    return "verified" if known else "unknown_pillar"


async def register_node(
    settings: Settings,
    node_id: str,
    node_type: str | None,
    capabilities: list[str] | None,
    constructor_config: Any,
    constellation_metadata: Any,
) -> Registration:
    """A registry node: an agent tagged with the stages and pillars it declares."""
    constructor = constructor_config if isinstance(constructor_config, dict) else {}
    metadata = constellation_metadata if isinstance(constellation_metadata, dict) else {}
    agent = await create_agent(
        settings,
        AgentDraft(
            name=node_id,
            type=node_type,
            capabilities=capabilities,
            tags=registration_tags(metadata),
            metadata={
                "node_id": node_id,
                "constructor_config": constructor_config,
                "constellation_metadata": constellation_metadata,
            },
        ),
    )
    return Registration(
        agent=agent,
        node_id=node_id,
        t4_declared=bool(constructor.get("t4_compliant")),
        constructor_validation="passed"
        if constructor.get("instantiation_pattern")
        else "not_declared",
        constellation_compatibility=_compatibility(metadata.get("compatible_pillars")),
    )
