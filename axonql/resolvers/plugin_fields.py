"""Root fields for plugins: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from axonql.schema.context import Info
from axonql.schema.permissions import mutation, query
from axonql.schema.plugin_types import Plugin, PluginList
from axonql.scopes import Scope
from axonql.services import plugins as logic


@strawberry.type
class PluginQuery:
    @query(Scope.CONSCIOUSNESS_READ, description="A system's plugins, with how many are active.")
    async def plugins(
        self, info: Info, system_id: strawberry.ID = strawberry.ID("nexusnet")
    ) -> PluginList:
        return PluginList.from_list(await logic.list_plugins(system_id))

    @query(Scope.CONSCIOUSNESS_READ, description="One plugin by name (RESOURCE_NOT_FOUND else).")
    async def plugin(
        self, info: Info, name: str, system_id: strawberry.ID = strawberry.ID("nexusnet")
    ) -> Plugin:
        return Plugin.from_plugin(await logic.get_plugin(system_id, name))


@strawberry.type
class PluginMutation:
    @mutation(
        Scope.ADMIN_SYSTEM,
        description="Activate or deactivate a plugin and/or merge settings into its "
        "configuration, in one write; an unknown name is RESOURCE_NOT_FOUND (nothing created).",
    )
    async def change_plugin(
        self,
        info: Info,
        name: str,
        active: bool | None = None,
        configuration: JSON | None = None,
        system_id: strawberry.ID = strawberry.ID("nexusnet"),
    ) -> Plugin:
        state = None if active is None else logic.ACTIVE if active else logic.INACTIVE
        changed = await logic.change_plugin(
            system_id, name, state=state, configuration=configuration
        )
        return Plugin.from_plugin(changed)
