"""Capped relations: the first N documents per parent, for every parent in one aggregation.

`by_field` loads every child of every parent; for lists that grow without bound (individuals,
generation history, sessions) that is too much, so `first(limit: 5)` over 50 parents ranks the
children inside the database (`$setWindowFields`, MongoDB 5.0+) and returns only 5 each.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader
from beanie import Document

from axonql.services.loaders import Loaders

D = TypeVar("D", bound=Document)


async def top_per_key(
    model: type[D],
    key: str,
    values: Sequence[str],
    *,
    sort: list[tuple[str, int]],
    limit: int,
    where: dict[str, Any] | None = None,
) -> list[list[D]]:
    """For each value, up to `limit` documents whose `key` equals it, in `sort` order."""
    order = dict(sort)
    pipeline: list[dict[str, Any]] = [
        {"$match": {key: {"$in": list(values)}, **(where or {})}},
        {
            "$setWindowFields": {
                "partitionBy": f"${key}",
                "sortBy": order,
                "output": {"_rank": {"$documentNumber": {}}},
            }
        },
        {"$match": {"_rank": {"$lte": limit}}},
        {"$sort": {"_rank": 1}},
        {"$unset": "_rank"},
    ]
    cursor = await model.get_pymongo_collection().aggregate(pipeline)
    grouped: dict[str, list[D]] = defaultdict(list)
    for raw in await cursor.to_list():
        grouped[raw[key]].append(model.model_validate(raw))
    return [grouped.get(value, []) for value in values]


def ranked_loader(
    loaders: Loaders,
    model: type[D],
    key: str,
    *,
    sort: list[tuple[str, int]],
    limit: int,
    where: dict[str, Any] | None = None,
) -> DataLoader[Any, Any]:
    """A per-request loader: `load(parent id)` → that parent's first `limit` documents."""
    name = json.dumps(
        ["ranked", model.__name__, key, sort, limit, where], sort_keys=True, default=str
    )

    async def batch(values: list[Any]) -> list[Any]:
        return await top_per_key(model, key, values, sort=sort, limit=limit, where=where)

    return loaders.custom(name, batch)


async def load_ranked(
    loaders: Loaders,
    model: type[D],
    key: str,
    value: str,
    *,
    sort: list[tuple[str, int]],
    limit: int,
    where: dict[str, Any] | None = None,
) -> list[D]:
    """`value`'s first `limit` documents, batched with every other parent asked for meanwhile."""
    loader = ranked_loader(loaders, model, key, sort=sort, limit=limit, where=where)
    docs: list[D] = await loader.load(value)
    return docs
