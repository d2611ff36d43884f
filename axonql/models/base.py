"""What every stored entity carries: a string id in the documented form and timestamps."""

from __future__ import annotations

from datetime import UTC, datetime

from beanie import Document, Insert, Replace, Save, SaveChanges, Update, before_event
from pydantic import Field


def utcnow() -> datetime:
    """Timezone-aware now; the database client is tz-aware too."""
    return datetime.now(UTC)


class Entity(Document):
    """Base document: `id` is a readable string, `updated_at` moves on every write."""

    id: str  # type: ignore[assignment]
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @before_event(Insert, Replace, Save, SaveChanges, Update)
    def _touch(self) -> None:
        self.updated_at = utcnow()
