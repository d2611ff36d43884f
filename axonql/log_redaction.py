"""Keep credentials that arrive in query strings (`?token=` on the legacy WebSockets) out of logs.

uvicorn logs every request's path with its query string: the access log for HTTP, its
`uvicorn.error` logger for WebSocket handshakes. A log file is read by more people and kept
longer than a token should live, so the values are replaced before any handler formats them.
"""

from __future__ import annotations

import logging
import re
from typing import Any

SECRET_PARAMETERS = ("token", "access_token", "api_key")
REDACTED = "[REDACTED]"
_SECRET_VALUE = re.compile(
    r"(?P<name>(?:^|[?&;])(?:" + "|".join(SECRET_PARAMETERS) + r")=)[^&;#\s\"']*",
    re.IGNORECASE,
)
# Loggers that print request paths: uvicorn's access log and its WebSocket handshake lines.
PATH_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact(text: str) -> str:
    """`text` with the value of every `token=`, `access_token=`, `api_key=` replaced."""
    return _SECRET_VALUE.sub(lambda m: m.group("name") + REDACTED, text)


def _clean(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactSecrets(logging.Filter):
    """Rewrites a record's message and string arguments in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = _clean(record.msg)
        if isinstance(record.args, tuple):
            # Same length and types: uvicorn's access formatter unpacks these arguments.
            record.args = tuple(_clean(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _clean(arg) for key, arg in record.args.items()}
        return True


def install_redaction() -> None:
    """Filter uvicorn's path-logging loggers and the root handlers (which our loggers reach).

    Logger filters survive uvicorn's `dictConfig`, so calling this before `uvicorn.run` is
    enough; calling it twice adds nothing.
    """
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in PATH_LOGGERS]
    targets.extend(logging.getLogger().handlers)
    for target in targets:
        if not any(isinstance(f, RedactSecrets) for f in target.filters):
            target.addFilter(RedactSecrets())
