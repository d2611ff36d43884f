"""Success and error bodies of each legacy API, exactly as its reference document shows them.

    SynapticOS  success: bare body
                error:   {"error": {code, message, details}}
    OCTOSPINE   success: {success, data, message, timestamp, request_id}
                error:   {success: false, error: {code, message, details}, timestamp, request_id}
    LUKHAS      success: bare body
                error:   {"error": {code, message, details, trace_id, timestamp}}
    NexusNet    success: bare body
                error:   {"error": {code, message, details, timestamp, request_id}}
    Drift       success: bare body (each endpoint's documented shape)
                error:   {error, detail, status_code, timestamp}

AxonQL's own codes (`axonql.errors`) are renamed where an API documents another word for the
same thing, and statuses an API does not document are folded onto the one it does (422 → 400).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from axonql.errors import AxonError


def timestamp() -> str:
    """An ISO 8601 UTC timestamp with a `Z`, as every document writes them."""
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Failure:
    """One error on its way out: AxonQL code and status, message, details."""

    status: int
    code: str
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, error: AxonError) -> Failure:
        """An AxonQL error raised outside the schema (bad JSON, a shape's NotFound …)."""
        details = dict(error.details)
        if error.field is not None:
            details["field"] = error.field
        return cls(error.status, error.code, error.message, details)


class _Render(Protocol):
    def __call__(self, failure: Failure, code: str, request_id: str) -> dict[str, Any]: ...


class _Wrap(Protocol):
    def __call__(self, data: Any, message: str, request_id: str) -> Any: ...


@dataclass(frozen=True)
class Envelope:
    """How one API wraps successes and errors, and the words it uses for AxonQL's codes."""

    name: str
    wrap: _Wrap
    render: _Render
    codes: Mapping[str, str] = field(default_factory=dict)
    statuses: Mapping[int, int] = field(default_factory=dict)
    bad_json_status: int = 400

    def success(self, data: Any, *, message: str, request_id: str) -> Any:
        return self.wrap(data, message, request_id)

    def error(self, failure: Failure, request_id: str) -> tuple[int, dict[str, Any]]:
        """The documented status and body for a failure."""
        status = self.statuses.get(failure.status, failure.status)
        code = self.codes.get(failure.code, failure.code)
        return status, self.render(failure, code, request_id)


def _bare(data: Any, message: str, request_id: str) -> Any:
    return data


def _octospine_ok(data: Any, message: str, request_id: str) -> dict[str, Any]:
    return {
        "success": True,
        "data": data,
        "message": message,
        "timestamp": timestamp(),
        "request_id": request_id,
    }


def _octospine_error(failure: Failure, code: str, request_id: str) -> dict[str, Any]:
    return {
        "success": False,
        "error": {"code": code, "message": failure.message, "details": dict(failure.details)},
        "timestamp": timestamp(),
        "request_id": request_id,
    }


def _synapticos_error(failure: Failure, code: str, request_id: str) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": failure.message}
    error["details"] = dict(failure.details)
    if "retry_after" in failure.details:
        error["retry_after"] = failure.details["retry_after"]
    return {"error": error}


def _lukhas_error(failure: Failure, code: str, request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": failure.message,
            "details": dict(failure.details),
            "trace_id": request_id,
            "timestamp": timestamp(),
        }
    }


def _nexusnet_error(failure: Failure, code: str, request_id: str) -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": failure.message,
            "details": dict(failure.details),
            "timestamp": timestamp(),
            "request_id": request_id,
        }
    }


def _drift_error(failure: Failure, code: str, request_id: str) -> dict[str, Any]:
    detail = code
    if failure.details:
        detail += ": " + ", ".join(f"{k}={v}" for k, v in failure.details.items())
    return {
        "error": failure.message,
        "detail": detail,
        "status_code": 0,
        "timestamp": timestamp(),
    }


class _DriftEnvelope(Envelope):
    """The drift API repeats the HTTP status inside its error body."""

    def error(self, failure: Failure, request_id: str) -> tuple[int, dict[str, Any]]:
        status, body = super().error(failure, request_id)
        body["status_code"] = status
        return status, body


SYNAPTICOS = Envelope(
    name="synapticos",
    wrap=_bare,
    render=_synapticos_error,
    statuses={422: 400, 504: 503},
)

OCTOSPINE = Envelope(
    name="octospine",
    wrap=_octospine_ok,
    render=_octospine_error,
    codes={
        "CONFLICT": "VALIDATION_ERROR",
        "ILLEGAL_TRANSITION": "VALIDATION_ERROR",
        "NO_CAPABLE_AGENT": "SERVICE_UNAVAILABLE",
        "TIMEOUT": "SERVICE_UNAVAILABLE",
    },
    statuses={422: 400, 409: 400, 504: 503},
)

LUKHAS = Envelope(
    name="lukhas",
    wrap=_bare,
    render=_lukhas_error,
    codes={
        "AUTHENTICATION_FAILED": "INVALID_TOKEN",
        "AUTHORIZATION_DENIED": "INSUFFICIENT_PERMISSIONS",
        "TIMEOUT": "MODULE_TIMEOUT",
        "AGENT_FAILED": "INTERNAL_ERROR",
    },
    bad_json_status=422,
)

NEXUSNET = Envelope(
    name="nexusnet",
    wrap=_bare,
    render=_nexusnet_error,
    codes={
        "INVALID_REQUEST": "INVALID_INPUT",
        "VALIDATION_ERROR": "INVALID_INPUT",
        "AUTHENTICATION_FAILED": "UNAUTHORIZED",
        "AUTHORIZATION_DENIED": "FORBIDDEN",
        "RESOURCE_NOT_FOUND": "NOT_FOUND",
        "RATE_LIMIT_EXCEEDED": "RATE_LIMITED",
        "INTERNAL_ERROR": "PROCESSING_ERROR",
        "AGENT_FAILED": "PROCESSING_ERROR",
        "NO_CAPABLE_AGENT": "SERVICE_UNAVAILABLE",
        "TIMEOUT": "SERVICE_UNAVAILABLE",
    },
    statuses={504: 503},  # the reference documents no 504: a late answer is unavailability
)

DRIFT = _DriftEnvelope(name="drift", wrap=_bare, render=_drift_error)

ENVELOPES: dict[str, Envelope] = {
    e.name: e for e in (SYNAPTICOS, OCTOSPINE, LUKHAS, NEXUSNET, DRIFT)
}
