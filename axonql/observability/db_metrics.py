"""Times every MongoDB command of one app's client (registered through `event_listeners`)."""

from __future__ import annotations

from pymongo import monitoring

from axonql.observability.metrics import Metrics


class CommandTimer(monitoring.CommandListener):
    """PyMongo reports each command's round trip; this files it under its command name."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._observe(event.command_name, "ok", event.duration_micros)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._observe(event.command_name, "error", event.duration_micros)

    def _observe(self, command: str, outcome: str, micros: int) -> None:
        self.metrics.db_duration.labels(command, outcome).observe(micros / 1_000_000)
