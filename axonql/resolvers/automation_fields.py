"""Root fields for automation: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.automation import (
    Automation,
    AutomationFilter,
    CreateAutomationInput,
    UpdateAutomationInput,
    draft_from,
)
from axonql.schema.context import Info
from axonql.schema.permissions import mutation, query
from axonql.scopes import Scope
from axonql.services import automations as logic
from axonql.services.tasks import delete_task, get_task


@strawberry.type
class AutomationQuery:
    @query(Scope.TASKS_READ, description="Automations by status and type (OCTOSPINE).")
    async def automations(
        self, info: Info, filter: AutomationFilter | None = None
    ) -> list[Automation]:
        f = filter or AutomationFilter()
        docs = await logic.AUTOMATIONS.newest_first(
            info.context.settings, info.context.state.value_samples, f.to_args(), f.limit, f.offset
        )
        return [Automation.from_document(d) for d in docs]

    @query(Scope.TASKS_READ, description="How many automations match (limit/offset ignored).")
    async def automation_count(self, info: Info, filter: AutomationFilter | None = None) -> int:
        return await logic.count_automations((filter or AutomationFilter()).to_args())

    @query(Scope.TASKS_READ)
    async def automation(self, info: Info, id: strawberry.ID) -> Automation | None:
        return Automation.from_document(await get_task(id, automation=True))


@strawberry.type
class AutomationMutation:
    @mutation(Scope.TASKS_WRITE, description="Store an automation; cron triggers are validated.")
    async def create_automation(self, info: Info, input: CreateAutomationInput) -> Automation:
        doc = await logic.create_automation(info.context.settings, draft_from(input))
        return Automation.from_document(doc)

    @mutation(Scope.TASKS_WRITE)
    async def update_automation(
        self, info: Info, id: strawberry.ID, input: UpdateAutomationInput
    ) -> Automation:
        doc = await logic.update_automation(info.context.settings, id, draft_from(input))
        return Automation.from_document(doc)

    @mutation(Scope.TASKS_WRITE)
    async def delete_automation(self, info: Info, id: strawberry.ID) -> bool:
        return await delete_task(id, automation=True)
