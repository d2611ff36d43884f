"""Durations written the way the seeds write them: `30s`, `5m`, `1h`, `24h`, `7d`, `2w`."""

from __future__ import annotations

import re
from datetime import timedelta

from axonql.errors import ValidationError

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PATTERN = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$")

MIN_SECONDS = 1
MAX_SECONDS = 365 * 86400


def parse_period(value: str, field: str = "period") -> timedelta:
    """A positive duration of at most a year; anything else names `field` in the error."""
    match = _PATTERN.match(value or "")
    if match is None:
        raise ValidationError(
            f"{field} must be a number followed by s, m, h, d or w (e.g. 5m, 1h, 24h, 7d)",
            field=field,
            details={"value": (value or "")[:50]},
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if not MIN_SECONDS <= seconds <= MAX_SECONDS:
        raise ValidationError(
            f"{field} must be between 1s and 365d",
            field=field,
            details={"value": value.strip()},
        )
    return timedelta(seconds=seconds)
