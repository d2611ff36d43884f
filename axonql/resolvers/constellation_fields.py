"""Root fields for LUKHAS's constellation: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.constellation_types import (
    MatrizContext,
    MatrizPipeline,
    NodeRegistration,
    RegisterNodeInput,
    Registry,
)
from axonql.schema.context import Info
from axonql.schema.permissions import mutation, query
from axonql.scopes import Scope
from axonql.services import constellation as logic


@strawberry.type
class ConstellationQuery:
    @query(Scope.AGENTS_READ, description="Registry nodes by declared stage and pillar.")
    async def registry(
        self, info: Info, stage: str | None = None, pillar: str | None = None
    ) -> Registry:
        return Registry.from_registry(await logic.registry(info.context.settings, stage, pillar))

    @query(Scope.CONSCIOUSNESS_READ, description="The MATRIZ pipeline's health.")
    async def matriz_pipeline(self, info: Info) -> MatrizPipeline:
        return MatrizPipeline.from_pipeline(await logic.pipeline(info.context.settings))

    @query(Scope.CONSCIOUSNESS_READ, description="What the consciousness state shows of MATRIZ.")
    async def matriz_context(
        self, info: Info, system_id: strawberry.ID | None = None
    ) -> MatrizContext:
        found = await logic.matriz_context(info.context.settings, system_id)
        return MatrizContext.from_context(found)


@strawberry.type
class ConstellationMutation:
    @mutation(
        Scope.AGENTS_WRITE,
        description="Register a node: an agent tagged with the stages and pillars it declares.",
    )
    async def register_node(self, info: Info, input: RegisterNodeInput) -> NodeRegistration:
        found = await logic.register_node(
            info.context.settings,
            input.node_id,
            input.node_type,
            input.capabilities,
            input.constructor_config,
            input.constellation_metadata,
        )
        return NodeRegistration.from_registration(found)
