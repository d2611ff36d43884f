"""Ranges for the parameters of task types whose API documents them, checked before a task exists.

A task hands its parameters to an agent as they are: an out-of-range value would queue work no
agent should run (LUKHAS `/dream/generate` with `num_realities: 1000000000`). The LUKHAS
reference documents no bounds for the dream engine, so these are the product's own: a
creativity level is a fraction like every other level here, and ten realities is already a
long answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from axonql.errors import ValidationError

DREAM = "dream"
CREATIVITY_LEVEL = (0.0, 1.0)
NUM_REALITIES = (1, 10)


def _number(field: str, value: Any, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{field} must be a number", field=field)
    if math.isnan(value) or not low <= value <= high:
        raise ValidationError(
            f"{field} must be between {low} and {high}",
            field=field,
            details={"minimum": low, "maximum": high},
        )


def _integer(field: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer", field=field)
    if not low <= value <= high:
        raise ValidationError(
            f"{field} must be between {low} and {high}",
            field=field,
            details={"minimum": low, "maximum": high},
        )


def check_parameters(
    task_type: str | None, capabilities: Iterable[str] | None, parameters: Any
) -> None:
    """Refuse documented parameters outside their range (422 naming the parameter).

    Dream work is recognised by its type or by the capability it asks for, so a task cannot
    slip past the check by naming itself differently.
    """
    if task_type != DREAM and DREAM not in (capabilities or ()):
        return
    if not isinstance(parameters, Mapping):
        return
    if parameters.get("creativity_level") is not None:
        _number("creativity_level", parameters["creativity_level"], *CREATIVITY_LEVEL)
    if parameters.get("num_realities") is not None:
        _integer("num_realities", parameters["num_realities"], *NUM_REALITIES)
