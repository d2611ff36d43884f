"""Root fields for population: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql import models
from axonql.schema.context import Info
from axonql.schema.pagination_types import Connection, SortDirection, list_window, to_connection
from axonql.schema.permissions import mutation, query
from axonql.schema.population_types import (
    CreatePopulationInput,
    IndividualInput,
    Population,
    PopulationFilter,
    PopulationSort,
    UpdatePopulationInput,
)
from axonql.scopes import Scope
from axonql.services import populations as logic
from axonql.services.pagination import paginate


def _individual_drafts(items: list[IndividualInput] | None) -> list[logic.IndividualDraft] | None:
    return [i.to_draft() for i in items] if items is not None else None


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
        size, skip = list_window(info, f.limit, f.offset)
        page = await paginate(
            models.Population,
            logic.population_query(f.to_args()),
            sort_field="created_at",
            descending=True,
            first=size,
            offset=skip,
        )
        return [Population.from_document(d) for d in page.items]

    @query(Scope.NEURAL_MONITOR, description="Populations as a Relay connection.")
    async def populations_connection(
        self,
        info: Info,
        filter: PopulationFilter | None = None,
        sort: PopulationSort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Population]:
        order = sort or PopulationSort()
        size, _ = list_window(info, first, 0)
        page = await paginate(
            models.Population,
            logic.population_query((filter or PopulationFilter()).to_args()),
            sort_field=order.field.value,
            descending=order.direction is SortDirection.DESC,
            first=size,
            after=after,
        )
        return to_connection(page, Population.from_document)


@strawberry.type
class PopulationMutation:
    @mutation(Scope.ADMIN_SYSTEM)
    async def create_population(self, info: Info, input: CreatePopulationInput) -> Population:
        draft = logic.PopulationDraft(
            name=input.name,
            specialization=input.specialization,
            tags=input.tags,
            performance_metrics=input.performance_metrics,
            genome_spec=[g.to_draft() for g in input.genome_spec or []],
            individuals=_individual_drafts(input.individuals),
            size=input.size,
            seed=input.seed,
        )
        doc = await logic.create_population(info.context.settings, draft, population_id=input.id)
        return Population.from_document(doc)

    @mutation(Scope.ADMIN_SYSTEM)
    async def update_population(
        self, info: Info, id: strawberry.ID, input: UpdatePopulationInput
    ) -> Population:
        draft = logic.PopulationDraft(
            name=input.name,
            specialization=input.specialization,
            tags=input.tags,
            performance_metrics=input.performance_metrics,
        )
        return Population.from_document(
            await logic.update_population(info.context.settings, id, draft)
        )

    @mutation(Scope.ADMIN_SYSTEM, description="Delete a population, its individuals and history.")
    async def delete_population(self, info: Info, id: strawberry.ID) -> bool:
        return await logic.delete_population(id)

    @mutation(Scope.ADMIN_SYSTEM, description="Add individuals; statistics are recomputed.")
    async def add_individuals(
        self, info: Info, population_id: strawberry.ID, individuals: list[IndividualInput]
    ) -> Population:
        drafts = _individual_drafts(individuals) or []
        return Population.from_document(await logic.add_individuals(population_id, drafts))

    @mutation(Scope.ADMIN_SYSTEM, description="Remove one individual; statistics are recomputed.")
    async def remove_individual(
        self, info: Info, population_id: strawberry.ID, individual_id: strawberry.ID
    ) -> Population:
        return Population.from_document(await logic.remove_individual(population_id, individual_id))
