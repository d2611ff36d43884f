"""Relay-style connections, generic over the node type."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, Generic, Protocol, TypeVar

import strawberry

from axonql.services import pagination
from axonql.services.listing import SortOrder
from axonql.services.pagination import Page

T = TypeVar("T")


@strawberry.enum
class SortDirection(Enum):
    ASC = "asc"
    DESC = "desc"


@strawberry.enum
class EventOrder(Enum):
    """Which end of the event log a page starts from."""

    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    node: T
    cursor: str


@strawberry.type
class Connection(Generic[T]):
    """A page of nodes with cursors; `totalCount` counts every match, not just this page."""

    edges: list[Edge[T]]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field
    async def total_count(self) -> int:
        """Every match, counted only when selected (from maintained counts where they apply)."""
        return await self.count()

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def to_connection(page: Page[Any], convert: Callable[[Any], T]) -> Connection[T]:
    edges = [Edge(node=convert(d), cursor=c) for d, c in zip(page.items, page.cursors, strict=True)]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next,
            has_previous_page=page.has_previous,
            start_cursor=page.cursors[0] if page.cursors else None,
            end_cursor=page.cursors[-1] if page.cursors else None,
        ),
        count=page.count,
    )


class SortInput(Protocol):
    """What every `<Type>Sort` input holds: a field enum valued with the stored name."""

    @property
    def field(self) -> Enum: ...

    @property
    def direction(self) -> SortDirection: ...


def sort_order(sort: SortInput) -> SortOrder:
    """A sort input as the order the services page by (no Strawberry types below schema/)."""
    return SortOrder(field=sort.field.value, descending=sort.direction is SortDirection.DESC)


def list_window(info: Any, limit: int | None, offset: int | None) -> tuple[int, int]:
    """A (limit, offset) pair clamped to the server's page size (for nested list fields)."""
    return pagination.list_window(info.context.settings.max_page_size, limit, offset)
