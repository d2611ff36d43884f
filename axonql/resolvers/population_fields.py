"""Root fields for population: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.pagination_types import Connection, sort_order, to_connection
from axonql.schema.permissions import mutation, query
from axonql.schema.population_types import (
    CreatePopulationInput,
    IndividualInput,
    Population,
    PopulationFilter,
    PopulationSort,
    UpdatePopulationInput,
    draft_from,
)
from axonql.scopes import Scope
from axonql.services import populations as logic


@strawberry.type
class PopulationQuery:
    @query(Scope.NEURAL_MONITOR)
    async def population(self, info: Info, id: strawberry.ID) -> Population | None:
        return Population.from_document(await logic.get_population(id))

    @query(Scope.NEURAL_MONITOR, description="Populations matching a filter, newest first.")
    async def populations(
        self, info: Info, filter: PopulationFilter | None = None
    ) -> list[Population]:
        f = filter or PopulationFilter()
        docs = await logic.POPULATIONS.newest_first(
            info.context.settings, info.context.state.value_samples, f.to_args(), f.limit, f.offset
        )
        return [Population.from_document(d) for d in docs]

    @query(
        Scope.NEURAL_MONITOR,
        description="The mean of every population's average fitness (0 without populations).",
    )
    async def system_intelligence_score(self, info: Info) -> float:
        return await logic.intelligence_score()

    @query(Scope.NEURAL_MONITOR, description="Populations as a Relay connection.")
    async def populations_connection(
        self,
        info: Info,
        filter: PopulationFilter | None = None,
        sort: PopulationSort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Population]:
        args = (filter or PopulationFilter()).to_args()
        order = sort_order(sort or PopulationSort())
        page = await logic.POPULATIONS.page(
            info.context.settings, info.context.state.value_samples, args, order, first, after
        )
        return to_connection(page, Population.from_document)


@strawberry.type
class PopulationMutation:
    @mutation(Scope.ADMIN_SYSTEM)
    async def create_population(self, info: Info, input: CreatePopulationInput) -> Population:
        doc = await logic.create_population(
            info.context.settings, draft_from(input), population_id=input.id
        )
        return Population.from_document(doc)

    @mutation(Scope.ADMIN_SYSTEM)
    async def update_population(
        self, info: Info, id: strawberry.ID, input: UpdatePopulationInput
    ) -> Population:
        return Population.from_document(
            await logic.update_population(info.context.settings, id, draft_from(input))
        )

    @mutation(Scope.ADMIN_SYSTEM, description="Delete a population, its individuals and history.")
    async def delete_population(self, info: Info, id: strawberry.ID) -> bool:
        return await logic.delete_population(id)

    @mutation(Scope.ADMIN_SYSTEM, description="Add individuals; statistics are recomputed.")
    async def add_individuals(
        self, info: Info, population_id: strawberry.ID, individuals: list[IndividualInput]
    ) -> Population:
        drafts = [i.to_draft() for i in individuals]
        return Population.from_document(await logic.add_individuals(population_id, drafts))

    @mutation(Scope.ADMIN_SYSTEM, description="Remove one individual; statistics are recomputed.")
    async def remove_individual(
        self, info: Info, population_id: strawberry.ID, individual_id: strawberry.ID
    ) -> Population:
        return Population.from_document(await logic.remove_individual(population_id, individual_id))
