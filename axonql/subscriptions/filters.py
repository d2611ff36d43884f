"""What one subscription wants: event types, subject ids, and an optional payload test."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from axonql.models.event import SUBJECT_FIELDS, Event


@dataclass(frozen=True)
class EventFilter:
    """Matches events in memory (live) and as a MongoDB query (replay) the same way."""

    types: frozenset[str] | None = None
    subjects: Mapping[str, str] = field(default_factory=dict)
    payload_test: Callable[[dict[str, Any]], bool] | None = None

    def __post_init__(self) -> None:
        unknown = set(self.subjects) - set(SUBJECT_FIELDS)
        if unknown:
            raise ValueError(f"not subject fields: {sorted(unknown)}")

    @classmethod
    def of(
        cls,
        types: frozenset[str] | set[str] | list[str] | None = None,
        payload_test: Callable[[dict[str, Any]], bool] | None = None,
        **subjects: str | None,
    ) -> EventFilter:
        """A filter from optional arguments; `None` subject ids mean "any"."""
        return cls(
            types=frozenset(str(t) for t in types) if types is not None else None,
            subjects={k: v for k, v in subjects.items() if v is not None},
            payload_test=payload_test,
        )

    def matches(self, event: Event) -> bool:
        if self.types is not None and event.type not in self.types:
            return False
        for name, value in self.subjects.items():
            if getattr(event, name) != value:
                return False
        return self.payload_test is None or self.payload_test(event.payload)

    def mongo_query(self) -> dict[str, Any]:
        """The part of the filter the database can apply (types and subject ids)."""
        query: dict[str, Any] = dict(self.subjects)
        if self.types is not None:
            query["type"] = {"$in": sorted(self.types)}
        return query
