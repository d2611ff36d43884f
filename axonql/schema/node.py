"""The Relay `Node` interface, kept apart from the lookup so every entity type can import it.

AxonQL's ids already name their type (`task_…`, `agent_…`, axonql/ids.py), so an entity's
global id is its own id: `strawberry.relay`'s base64 `Type:id` would change every id clients
hold. The lookup behind `node(id:)` / `nodes(ids:)` is in `services/nodes.py`.
"""

from __future__ import annotations

import strawberry


@strawberry.interface(
    description="An object with a global id: refetch it with `node(id:)` (Relay). The id is "
    "the object's own id (`task_…`, `agent_…`), unchanged."
)
class Node:
    id: strawberry.ID
