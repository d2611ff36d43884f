"""Security training: generated scenarios (with hidden ground truth) and their assessments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pymongo
from pydantic import Field

from axonql.ids import new_id
from axonql.models.base import Entity


class SecurityScenario(Entity):
    """A scenario generated for one user; the ground-truth fields never leave before assessment."""

    id: str = Field(default_factory=lambda: new_id("scenario"))
    user_id: str
    scenario_type: str
    difficulty: str
    title: str
    description: str
    content: dict[str, Any] = Field(default_factory=dict)
    assessment_criteria: list[str] = Field(default_factory=list)
    time_limit_seconds: int
    expires_at: datetime
    seed: int
    practice: bool = False  # the client chose the seed: replayable, so awareness stays put
    context: dict[str, Any] = Field(default_factory=dict)
    status: str = "open"  # open | assessed
    assessment_id: str | None = None
    # ground truth (hidden)
    is_threat: bool = True
    threat_type: str = ""
    indicators: list[str] = Field(default_factory=list)
    best_action: str = ""
    acceptable_actions: list[str] = Field(default_factory=list)

    class Settings:
        name = "security_scenarios"
        indexes = [[("user_id", 1), ("created_at", -1)], "status", "expires_at"]


class SecurityAssessment(Entity):
    """One user's answer to one scenario, scored against the scenario's indicators."""

    id: str = Field(default_factory=lambda: new_id("assessment"))
    scenario_id: str
    user_id: str
    answer: dict[str, Any] = Field(default_factory=dict)
    time_taken_seconds: float | None = None
    elapsed_seconds: float = 0.0
    score: float
    breakdown: dict[str, float] = Field(default_factory=dict)
    feedback: dict[str, Any] = Field(default_factory=dict)
    indicator_feedback: list[dict[str, Any]] = Field(default_factory=list)
    adaptation: dict[str, str] = Field(default_factory=dict)
    awareness: dict[str, float] = Field(default_factory=dict)
    achievements_unlocked: list[str] = Field(default_factory=list)

    class Settings:
        name = "security_assessments"
        indexes = [
            pymongo.IndexModel("scenario_id", unique=True),
            [("user_id", 1), ("created_at", -1)],
        ]
