"""The three-character pieces of agents', systems', populations' and users' names (`text_grams`),
kept beside them from their events (`services/name_pieces`), as tasks' are (`TaskName`): a
search reads the ids holding its rarest piece from one of these indexes, and no other write of
the document (a heartbeat, an evolution step) has more index entries to rewrite."""

from __future__ import annotations

from datetime import datetime

from beanie import Document
from pydantic import Field

PIECES_INDEX = [("name_grams", 1), ("created_at", 1)]


class NamePieces(Document):
    """One document's name pieces (its id is the document's)."""

    id: str  # type: ignore[assignment]
    created_at: datetime
    name_grams: list[str] = Field(default_factory=list)


class AgentName(NamePieces):
    class Settings:
        name = "agent_names"
        indexes = [PIECES_INDEX]


class SystemName(NamePieces):
    class Settings:
        name = "system_names"
        indexes = [PIECES_INDEX]


class PopulationName(NamePieces):
    class Settings:
        name = "population_names"
        indexes = [PIECES_INDEX]


class UserName(NamePieces):
    """A user's username pieces."""

    class Settings:
        name = "user_names"
        indexes = [PIECES_INDEX]
