"""Schedules: when an interval or cron schedule runs next."""

from __future__ import annotations

from datetime import datetime, timedelta

from croniter import croniter

from axonql.errors import ValidationError

MAX_INTERVAL_SECONDS = 365 * 24 * 3600


def check_schedule(kind: str, value: str, field: str = "schedule") -> tuple[str, str]:
    """A valid (type, value) pair: a positive interval in seconds or a cron expression."""
    if kind == "interval":
        try:
            seconds = int(str(value).strip())
        except ValueError as exc:
            raise ValidationError("interval must be whole seconds", field=f"{field}.value") from exc
        if not 1 <= seconds <= MAX_INTERVAL_SECONDS:
            raise ValidationError(
                f"interval must be between 1 and {MAX_INTERVAL_SECONDS} seconds",
                field=f"{field}.value",
            )
        return kind, str(seconds)
    if kind == "cron":
        expression = str(value).strip()
        if not croniter.is_valid(expression):
            raise ValidationError("invalid cron expression", field=f"{field}.value")
        return kind, expression
    raise ValidationError("schedule type must be interval or cron", field=f"{field}.type")


def next_run(kind: str, value: str, after: datetime) -> datetime:
    """The first run strictly after `after`."""
    if kind == "interval":
        return after + timedelta(seconds=int(value))
    result: datetime = croniter(value, after).get_next(datetime)
    return result
