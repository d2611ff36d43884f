"""Log lines as `axonql serve` writes them, captured in-process for assertions."""

from __future__ import annotations

import contextlib
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

from axonql.observability.logs import LogFormat, formatter


class FormattingHandler(logging.Handler):
    """Formats each record when it is emitted: in the task that logged it, with its context."""

    def __init__(self, log_format: LogFormat) -> None:
        super().__init__()
        self.setFormatter(formatter(log_format))
        self.stream = io.StringIO()

    def emit(self, record: logging.LogRecord) -> None:
        self.stream.write(self.format(record) + "\n")

    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def records(self) -> list[dict[str, Any]]:
        """Every JSON line, decoded (a line that is not JSON fails the test here)."""
        return [json.loads(line) for line in self.lines()]


@contextlib.contextmanager
def captured_logs(
    logger: str = "axonql", log_format: LogFormat = "json", level: int = logging.INFO
) -> Iterator[FormattingHandler]:
    """Records of `logger` (and below) at `level`, formatted as the server would."""
    handler = FormattingHandler(log_format)
    target = logging.getLogger(logger)
    previous = target.level
    target.addHandler(handler)
    target.setLevel(level)
    try:
        yield handler
    finally:
        target.removeHandler(handler)
        target.setLevel(previous)
