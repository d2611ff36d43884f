"""LUKHAS's constellation: registry nodes, the MATRIZ pipeline, the pillars they declare."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from axonql.schema.agent_types import Agent
from axonql.services import constellation as logic


@strawberry.type
class RegistryNode:
    node_id: str
    capabilities: list[str]
    online: bool = strawberry.field(
        description="A recent heartbeat and not marked offline (the one definition of online)."
    )
    t4_compliant: bool = strawberry.field(description="As the node declares it.")
    constructor_aware: bool = strawberry.field(description="As the node declares it.")
    agent: Agent

    @classmethod
    def from_node(cls, node: logic.RegistryNode) -> RegistryNode:
        return cls(
            node_id=node.node_id,
            capabilities=node.agent.capabilities,
            online=node.online,
            t4_compliant=node.t4_compliant,
            constructor_aware=node.constructor_aware,
            agent=Agent.from_document(node.agent),
        )


@strawberry.type
class Registry:
    nodes: list[RegistryNode]
    total_count: int
    health: str = strawberry.field(
        description="empty, optimal (every node online) or degraded (some are not)."
    )

    @classmethod
    def from_registry(cls, found: logic.Registry) -> Registry:
        return cls(
            nodes=[RegistryNode.from_node(n) for n in found.nodes],
            total_count=len(found.nodes),
            health=found.health,
        )


@strawberry.type
class MatrizPipeline:
    stages: list[str]
    status: str = strawberry.field(description="active while an agent that runs it is online.")
    agents_online: int
    latency_ms: float | None = strawberry.field(
        description="Mean task time of the online pipeline agents; null when none is online."
    )
    active_pillars: list[str]
    constructor_aware: bool = strawberry.field(
        description="Some online registry node declares constructor-aware instantiation."
    )
    error_rate: float | None = strawberry.field(description="Mean error rate of the last hour.")
    performance_standards: str = strawberry.field(
        description="T4/0.01%: met, not_met, or unmeasured (no sample in the hour)."
    )

    @classmethod
    def from_pipeline(cls, found: logic.Pipeline) -> MatrizPipeline:
        return cls(
            stages=list(logic.MATRIZ_STAGES),
            status=found.status,
            agents_online=found.agents_online,
            latency_ms=found.latency_ms,
            active_pillars=found.active_pillars,
            constructor_aware=found.constructor_aware,
            error_rate=found.error_rate,
            performance_standards=found.performance_standards,
        )


@strawberry.type
class MatrizContext:
    active_stage: str | None = strawberry.field(description="The stage a running task is in.")
    pipeline_online: bool
    active_pillars: list[str]
    registry_nodes_active: list[str]
    state_duration_seconds: int = strawberry.field(
        description="Seconds since the server's system state last changed."
    )

    @classmethod
    def from_context(cls, found: logic.MatrizContext) -> MatrizContext:
        return cls(
            active_stage=found.active_stage,
            pipeline_online=found.pipeline_online,
            active_pillars=found.active_pillars,
            registry_nodes_active=[n.node_id for n in found.nodes],
            state_duration_seconds=found.state_duration_seconds,
        )


@strawberry.type
class NodeRegistration:
    """A registered node and what was checked of its declarations (none of it is measured)."""

    registration_id: strawberry.ID
    node_id: str
    t4_compliance: bool = strawberry.field(description="As the node declares it.")
    constructor_validation: str = strawberry.field(
        description="passed (an instantiation pattern is declared) or not_declared."
    )
    constellation_compatibility: str = strawberry.field(
        description="verified (every declared pillar is known), unknown_pillar or not_declared."
    )
    agent: Agent

    @classmethod
    def from_registration(cls, found: logic.Registration) -> NodeRegistration:
        return cls(
            registration_id=strawberry.ID(found.agent.id),
            node_id=found.node_id,
            t4_compliance=found.t4_declared,
            constructor_validation=found.constructor_validation,
            constellation_compatibility=found.constellation_compatibility,
            agent=Agent.from_document(found.agent),
        )


@strawberry.input
class RegisterNodeInput:
    """LUKHAS's `POST /constellation/registry/nodes` body."""

    node_id: str
    node_type: str | None = None
    capabilities: list[str] | None = None
    constructor_config: JSON | None = None
    constellation_metadata: JSON | None = None
