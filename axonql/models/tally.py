"""Maintained counts (tasks per status, agents per status …), split into shards.

Each unit of work adds to one shard (`shard_slots`: none shared by two in flight on one
instance), so concurrent writers rarely touch the same document; a read sums the shards of one
`kind` (an indexed equality, so its cost does not grow with the collections counted).
`services/tallies.py` keeps them.
"""

from __future__ import annotations

from datetime import datetime

from beanie import Document
from pydantic import Field

SHARDS = 64
"""Shards per kind: more than the units of work one instance usually has in flight."""


class Tally(Document):
    """One shard of one kind's counts: `counts[cell]` and, per cell, summed `sums`."""

    id: str  # type: ignore[assignment]  # "<kind>#<shard>"
    kind: str
    counts: dict[str, int] = Field(default_factory=dict)
    sums: dict[str, float] = Field(default_factory=dict)
    lows: dict[str, datetime] = Field(default_factory=dict)  # per cell (the queue's heads)
    oldest: datetime | None = None
    newest: datetime | None = None

    class Settings:
        name = "tallies"
        indexes = ["kind"]
