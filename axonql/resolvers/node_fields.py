"""Root fields for node: arguments in, one service call, a schema type out."""

from __future__ import annotations

import strawberry

from axonql.errors import ValidationError
from axonql.schema.context import Info
from axonql.schema.node import Node
from axonql.schema.node_lookup import MAX_NODE_IDS, load_nodes
from axonql.schema.permissions import AUTHENTICATED, query


@strawberry.type
class NodeQuery:
    @query(
        AUTHENTICATED,
        description="The object with this id, of any type (Relay); null if it does not exist "
        "or the token lacks the scope of its type's own query field.",
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return (await load_nodes(info, [id]))[0]

    @query(
        AUTHENTICATED,
        description=f"The objects with these ids, in order (at most {MAX_NODE_IDS}); null in "
        "place of each one `node` would not return.",
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODE_IDS:
            raise ValidationError(
                f"ids has {len(ids)} ids; at most {MAX_NODE_IDS} are allowed",
                field="ids",
                details={"max": MAX_NODE_IDS, "count": len(ids)},
            )
        return await load_nodes(info, ids)
