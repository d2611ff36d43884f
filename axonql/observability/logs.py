"""How `axonql serve` logs: structlog formatting every stdlib record, as text or JSON lines.

All loggers (ours, uvicorn's, libraries') stay plain stdlib loggers; one root handler renders
their records through structlog's processors, which add the request context bound in
`log_context` (request id, GraphQL operation, user) and redact credentials. Text stays the
default; `AXONQL_LOG_FORMAT=json` writes one JSON object per line for log collectors.
"""

from __future__ import annotations

import logging
import sys
from typing import IO, Any, Literal

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from axonql.log_redaction import RedactSecrets, redact

LogFormat = Literal["text", "json"]


def redact_values(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Credentials out of every string of the record, bound values and tracebacks included."""
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = redact(value)
    return event_dict


def render_text(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> str:
    """`time LEVEL logger: message key=value…`: the old format, with the bound context after."""
    timestamp = event_dict.pop("timestamp", "")
    level = str(event_dict.pop("level", "")).upper()
    name = event_dict.pop("logger", "")
    message = event_dict.pop("event", "")
    exception = event_dict.pop("exception", None)
    line = f"{timestamp} {level} {name}: {message}"
    if event_dict:
        line += " " + " ".join(f"{key}={value}" for key, value in event_dict.items())
    return f"{line}\n{exception}" if exception else line


def _shared(log_format: LogFormat) -> list[Processor]:
    """What both stdlib records and structlog events go through before rendering."""
    stamp = (
        structlog.processors.TimeStamper(fmt="iso", utc=True)
        if log_format == "json"
        else structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S,%f", utc=False)
    )
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        stamp,
    ]


def formatter(log_format: LogFormat) -> structlog.stdlib.ProcessorFormatter:
    """The formatter of every handler: context, redaction, then text or JSON."""
    renderer: Processor = (
        structlog.processors.JSONRenderer() if log_format == "json" else render_text
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared(log_format),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redact_values,
            renderer,
        ],
    )


class AxonHandler(logging.StreamHandler[Any]):
    """The root handler `configure_logging` installs (found again, and replaced, by its type)."""


def configure_logging(
    log_format: LogFormat = "text", *, level: int = logging.INFO, stream: IO[str] | None = None
) -> logging.Handler:
    """Send every log record to `stream` (stderr) in `log_format`; calling it again replaces it.

    Call before `uvicorn.run(..., log_config=None)`, so uvicorn's records reach this handler
    instead of its own formatters.
    """
    handler = AxonHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter(log_format))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, AxonHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    structlog.configure(
        processors=[
            *_shared(log_format),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return handler
