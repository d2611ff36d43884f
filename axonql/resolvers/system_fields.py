"""Root fields for system: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.pagination_types import Connection, sort_order, to_connection
from axonql.schema.permissions import PUBLIC, mutation, query
from axonql.schema.system_types import (
    ComponentInput,
    CreateSystemInput,
    HealthStatus,
    System,
    SystemFilter,
    SystemSort,
    UpdateSystemInput,
    draft_from,
)
from axonql.scopes import Scope
from axonql.services import systems as logic


@strawberry.type
class SystemQuery:
    @query(Scope.CONSCIOUSNESS_READ, description="A system; without an id, this server.")
    async def system(self, info: Info, id: strawberry.ID | None = None) -> System | None:
        return System.from_document(await logic.get_system(id))

    @query(Scope.CONSCIOUSNESS_READ, description="Registered systems matching a filter.")
    async def systems(self, info: Info, filter: SystemFilter | None = None) -> list[System]:
        f = filter or SystemFilter()
        docs = await logic.SYSTEMS.newest_first(
            info.context.settings, info.context.state.value_samples, f.to_args(), f.limit, f.offset
        )
        return [System.from_document(d) for d in docs]

    @query(Scope.CONSCIOUSNESS_READ, description="Systems as a Relay connection.")
    async def systems_connection(
        self,
        info: Info,
        filter: SystemFilter | None = None,
        sort: SystemSort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[System]:
        args = (filter or SystemFilter()).to_args()
        order = sort_order(sort or SystemSort())
        page = await logic.SYSTEMS.page(
            info.context.settings, info.context.state.value_samples, args, order, first, after
        )
        return to_connection(page, System.from_document)

    @query(PUBLIC, description="OCTOSPINE's health check: a real database and fan-out ping.")
    async def health(self, info: Info) -> HealthStatus:
        state = info.context.state
        report = await logic.check_health(state.database.client, state.settings, state.started_at)
        return HealthStatus.from_report(report)


@strawberry.type
class SystemMutation:
    @mutation(Scope.ADMIN_SYSTEM, description="Register a system (its id may be chosen).")
    async def create_system(self, info: Info, input: CreateSystemInput) -> System:
        doc = await logic.create_system(
            info.context.settings, draft_from(input), str(input.id) if input.id else None
        )
        return System.from_document(doc)

    @mutation(Scope.ADMIN_SYSTEM)
    async def update_system(
        self, info: Info, id: strawberry.ID, input: UpdateSystemInput
    ) -> System:
        doc = await logic.update_system(info.context.settings, id, draft_from(input))
        return System.from_document(doc)

    @mutation(Scope.ADMIN_SYSTEM, description="Remove a system and its metric samples.")
    async def delete_system(self, info: Info, id: strawberry.ID) -> bool:
        return await logic.delete_system(id)

    @mutation(Scope.ADMIN_SYSTEM, description="Add or update one component (also a heartbeat).")
    async def upsert_component(
        self, info: Info, system_id: strawberry.ID, input: ComponentInput
    ) -> System:
        return System.from_document(await logic.upsert_component(system_id, input.to_draft()))

    @mutation(Scope.ADMIN_SYSTEM)
    async def remove_component(
        self, info: Info, system_id: strawberry.ID, component_id: strawberry.ID
    ) -> System:
        return System.from_document(await logic.remove_component(system_id, component_id))
