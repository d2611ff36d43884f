"""The three clinical scales of the drift simulation, their score ranges and severity bands.

| scale | items × max | range | bands (upper bound inclusive) |
|---|---|---|---|
| PHQ-9 | 9 × 3 | 0–27 | minimal ≤4, mild ≤9, moderate ≤14, moderately severe ≤19, severe ≤27 |
| GAD-7 | 7 × 3 | 0–21 | minimal ≤4, mild ≤9, moderate ≤14, severe ≤21 |
| PSS-10 | 10 × 4 | 0–40 | low ≤13, moderate ≤26, high ≤40 |
"""

from __future__ import annotations

from dataclasses import dataclass

from axonql.errors import ValidationError


@dataclass(frozen=True)
class Scale:
    items: int
    item_max: int
    bands: tuple[tuple[int, str], ...]

    @property
    def maximum(self) -> int:
        return self.items * self.item_max


SCALES = {
    "phq9": Scale(
        9,
        3,
        ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately severe"), (27, "severe")),
    ),
    "gad7": Scale(7, 3, ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe"))),
    "pss10": Scale(10, 4, ((13, "low"), (26, "moderate"), (40, "high"))),
}


def scale(name: str, field: str = "assessmentType") -> Scale:
    if name not in SCALES:
        raise ValidationError(f"assessment type must be one of {', '.join(SCALES)}", field=field)
    return SCALES[name]


def severity(name: str, score: int) -> str:
    """The band of a score; out-of-range scores are refused."""
    chosen = scale(name)
    if not 0 <= score <= chosen.maximum:
        raise ValidationError(f"{name} score must be between 0 and {chosen.maximum}", field="score")
    return next(label for upper, label in chosen.bands if score <= upper)


def check_items(name: str, score: int, item_scores: list[int]) -> None:
    """Item scores, when given, must be in range and add up to the total."""
    if not item_scores:
        return
    chosen = scale(name)
    if len(item_scores) > chosen.items:
        raise ValidationError(f"{name} has {chosen.items} items", field="responses")
    if any(not 0 <= s <= chosen.item_max for s in item_scores):
        raise ValidationError(f"{name} item scores are 0 to {chosen.item_max}", field="responses")
    if len(item_scores) == chosen.items and sum(item_scores) != score:
        raise ValidationError("item scores do not add up to the score", field="responses")
