"""Root fields for node: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.schema.context import Info
from axonql.schema.node import Node
from axonql.schema.node_lookup import to_node
from axonql.schema.permissions import AUTHENTICATED, query
from axonql.services import nodes as logic


@strawberry.type
class NodeQuery:
    @query(
        AUTHENTICATED,
        description="The object with this id, of any type (Relay); null if it does not exist "
        "or the token lacks the scope of its type's own query field.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        context = info.context
        docs = await logic.find_nodes(context.require_principal(), context.loaders, [id])
        return to_node(docs[0])

    @query(
        AUTHENTICATED,
        description=f"The objects with these ids, in order (at most {logic.MAX_NODE_IDS}); null "
        "in place of each one `node` would not return.",
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        context = info.context
        docs = await logic.find_nodes(context.require_principal(), context.loaders, ids)
        return [to_node(d) for d in docs]
