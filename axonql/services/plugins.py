"""Plugins: the `plugin` components of a system (NexusNet's `nexusnet`), looked up and changed.

A plugin's version, capabilities, description and author live in its configuration, beside its
settings. Activating, deactivating and configuring a plugin is one conditional update of the
system document (it matches only a plugin of that name), so nothing is created by accident and
no read precedes the write.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument

from axonql import models
from axonql.errors import NotFound, ValidationError
from axonql.models.base import utcnow
from axonql.models.system import Component
from axonql.services import validation as v
from axonql.services.events import Change, atomically, emit
from axonql.services.systems import get_system

PLUGIN = "plugin"
ACTIVE = "active"
INACTIVE = "inactive"
# Keys of a plugin's configuration that describe it (shown apart from its settings).
DESCRIPTIVE = ("version", "capabilities", "description", "author")


@dataclass(frozen=True)
class Plugin:
    """One plugin as clients see it."""

    component: Component

    @property
    def name(self) -> str:
        return self.component.component_id

    @property
    def active(self) -> bool:
        return self.component.state == ACTIVE

    def _described(self, key: str) -> Any:
        return self.component.configuration.get(key)

    @property
    def version(self) -> str | None:
        found = self._described("version")
        return str(found) if found is not None else None

    @property
    def capabilities(self) -> list[str]:
        found = self._described("capabilities")
        return [str(c) for c in found] if isinstance(found, list) else []

    @property
    def description(self) -> str:
        found = self._described("description")
        return str(found) if found is not None else ""

    @property
    def author(self) -> str | None:
        found = self._described("author")
        return str(found) if found is not None else None

    @property
    def average_response_seconds(self) -> float:
        return self.component.response_time_ms / 1000

    @property
    def last_used(self) -> datetime | None:
        return self.component.last_heartbeat


@dataclass(frozen=True)
class PluginList:
    plugins: list[Plugin]

    @property
    def total(self) -> int:
        return len(self.plugins)

    @property
    def active(self) -> int:
        return sum(p.active for p in self.plugins)


def _missing(name: str) -> NotFound:
    return NotFound(f"plugin {name} not found", details={"plugin_name": name})


async def list_plugins(system_id: str) -> PluginList:
    system = await get_system(system_id)
    return PluginList([Plugin(c) for c in system.components if c.type == PLUGIN])


async def get_plugin(system_id: str, name: str) -> Plugin:
    """The plugin of that name; NotFound for any other name (or a component of another type)."""
    system = await get_system(system_id)
    for component in system.components:
        if component.type == PLUGIN and component.component_id == name:
            return Plugin(component)
    raise _missing(name)


def _settings_patch(configuration: Any) -> dict[str, Any]:
    """A settings patch: its top-level keys replace the plugin's, the others stay."""
    patch = v.json_object("configuration", configuration)
    for key in patch:
        if not key or "." in key or key.startswith("$"):
            raise ValidationError(f"configuration key {key!r} is not a name", field="configuration")
    return {f"components.$[p].configuration.{k}": value for k, value in patch.items()}


def _matches(component: Any, match: dict[str, str]) -> bool:
    return isinstance(component, dict) and all(component.get(k) == v for k, v in match.items())


async def change_plugin(
    system_id: str, name: str, *, state: str | None = None, configuration: Any = None
) -> Plugin:
    """Set a plugin's state and/or merge settings into its configuration: one conditional
    write, committed with its event."""
    now = utcnow()
    changes: dict[str, Any] = {"components.$[p].last_heartbeat": now, "updated_at": now}
    if state is not None:
        changes["components.$[p].state"] = v.text("state", state, 50)
    if configuration is not None:
        changes.update(_settings_patch(configuration))
    match = {"component_id": name, "type": PLUGIN}

    async def write(unit: Change) -> Plugin:
        updated = await models.System.get_pymongo_collection().find_one_and_update(
            {"_id": system_id, "components": {"$elemMatch": match}},
            {"$set": changes},
            array_filters=[{f"p.{k}": value for k, value in match.items()}],
            return_document=ReturnDocument.AFTER,
            session=unit.session,
        )
        found = [c for c in (updated or {}).get("components", []) if _matches(c, match)]
        if not found:
            raise _missing(name)
        plugin = Plugin(Component.model_validate(found[0]))
        await emit(
            "SYSTEM_STATE_CHANGED",
            {"change": "component_upserted", "component_id": name, "state": plugin.component.state},
            system_id=system_id,
        )
        return plugin

    plugin = await atomically(write)
    return plugin
