"""Root fields for agent: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.agent_types import (
    Agent,
    AgentFilter,
    AgentSort,
    CreateAgentInput,
    UpdateAgentInput,
    draft_from,
)
from axonql.schema.context import Info
from axonql.schema.pagination_types import Connection, sort_order, to_connection
from axonql.schema.permissions import mutation, query
from axonql.scopes import Scope
from axonql.services import agents as logic


@strawberry.type
class AgentQuery:
    @query(Scope.AGENTS_READ, description="Agents matching a filter (OCTOSPINE).")
    async def agents(self, info: Info, filter: AgentFilter | None = None) -> list[Agent]:
        f = filter or AgentFilter()
        docs = await logic.AGENTS.newest_first(
            info.context.settings, info.context.state.value_samples, f.to_args(), f.limit, f.offset
        )
        return [Agent.from_document(d) for d in docs]

    @query(Scope.AGENTS_READ, description="Agents as a Relay connection.")
    async def agents_connection(
        self,
        info: Info,
        filter: AgentFilter | None = None,
        sort: AgentSort | None = None,
        first: int = 20,
        after: str | None = None,
    ) -> Connection[Agent]:
        args = (filter or AgentFilter()).to_args()
        order = sort_order(sort or AgentSort())
        page = await logic.AGENTS.page(
            info.context.settings, info.context.state.value_samples, args, order, first, after
        )
        return to_connection(page, Agent.from_document)

    @query(Scope.AGENTS_READ)
    async def agent(self, info: Info, id: strawberry.ID) -> Agent | None:
        return Agent.from_document(await logic.get_agent(id))


@strawberry.type
class AgentMutation:
    @mutation(Scope.AGENTS_WRITE)
    async def create_agent(self, info: Info, input: CreateAgentInput) -> Agent:
        return Agent.from_document(
            await logic.create_agent(info.context.settings, draft_from(input))
        )

    @mutation(Scope.AGENTS_WRITE)
    async def update_agent(self, info: Info, id: strawberry.ID, input: UpdateAgentInput) -> Agent:
        return Agent.from_document(
            await logic.update_agent(info.context.settings, id, draft_from(input))
        )

    @mutation(Scope.AGENTS_WRITE)
    async def delete_agent(self, info: Info, id: strawberry.ID) -> bool:
        deleted = await logic.delete_agent(id)
        info.context.state.token_validity.forget()  # its keys end here at once
        return deleted
