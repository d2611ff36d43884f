"""Errors with stable codes and HTTP statuses.

    AxonError (500 INTERNAL_ERROR)
    ├── ValidationError (422 VALIDATION_ERROR; names the field)
    │   └── ConsciousnessLevelInvalid (422 CONSCIOUSNESS_LEVEL_INVALID)
    ├── AuthenticationFailed (401 AUTHENTICATION_FAILED)
    ├── AuthorizationDenied (403 AUTHORIZATION_DENIED)
    ├── NotFound (404 RESOURCE_NOT_FOUND)
    │   └── UserNotFound (404 USER_NOT_FOUND)
    ├── Conflict (409 CONFLICT)
    │   ├── SessionNotActive (409 SESSION_NOT_ACTIVE)
    │   ├── AssessmentAlreadySubmitted (409 ASSESSMENT_ALREADY_SUBMITTED)
    │   └── IllegalTransition (409 ILLEGAL_TRANSITION)
    ├── SecurityScenarioExpired (410 SECURITY_SCENARIO_EXPIRED; its time limit has passed)
    ├── ResumePointExpired (410 RESUME_POINT_EXPIRED; `after` is older than the event log)
    ├── RateLimitExceeded (429 RATE_LIMIT_EXCEEDED)
    ├── SubscriberTooSlow (429 SUBSCRIBER_TOO_SLOW; its buffer overflowed, resume with `after`)
    ├── ServiceUnavailable (503 SERVICE_UNAVAILABLE)
    └── GatewayTimeout (504 TIMEOUT)

Every error crosses GraphQL as `extensions.code` / `extensions.status`; the REST layer renders
the same code in each legacy envelope.
"""

from __future__ import annotations

from typing import Any


class AxonError(Exception):
    """Base of every error a client may see; unexpected errors are masked as this."""

    code = "INTERNAL_ERROR"
    status = 500

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.field = field
        self.details = details or {}

    def extensions(self) -> dict[str, Any]:
        """The GraphQL `extensions` of this error."""
        ext: dict[str, Any] = {"code": self.code, "status": self.status}
        if self.field is not None:
            ext["field"] = self.field
        if self.details:
            ext["details"] = self.details
        return ext


class ValidationError(AxonError):
    """Input that breaks a documented rule; `field` names the offending input."""

    code = "VALIDATION_ERROR"
    status = 422


class ConsciousnessLevelInvalid(ValidationError):
    """A consciousness level outside 0.0–1.0."""

    code = "CONSCIOUSNESS_LEVEL_INVALID"


class AuthenticationFailed(AxonError):
    """No credentials, or credentials that do not check out."""

    code = "AUTHENTICATION_FAILED"
    status = 401


class AuthorizationDenied(AxonError):
    """Valid credentials without the scope an operation needs."""

    code = "AUTHORIZATION_DENIED"
    status = 403


class NotFound(AxonError):
    """An id that names nothing stored."""

    code = "RESOURCE_NOT_FOUND"
    status = 404


class UserNotFound(NotFound):
    """A user id that names no user."""

    code = "USER_NOT_FOUND"


class Conflict(AxonError):
    """A request that clashes with the stored state."""

    code = "CONFLICT"
    status = 409


class SessionNotActive(Conflict):
    """A learning session that has already ended."""

    code = "SESSION_NOT_ACTIVE"


class AssessmentAlreadySubmitted(Conflict):
    """A second assessment for one scenario."""

    code = "ASSESSMENT_ALREADY_SUBMITTED"


class IllegalTransition(Conflict):
    """A lifecycle change the state machine does not allow."""

    code = "ILLEGAL_TRANSITION"


class SecurityScenarioExpired(AxonError):
    """An assessment after the scenario's time limit: 410 Gone, it can never be answered."""

    code = "SECURITY_SCENARIO_EXPIRED"
    status = 410


class RateLimitExceeded(AxonError):
    """Too many requests in the current window."""

    code = "RATE_LIMIT_EXCEEDED"
    status = 429


class ServiceUnavailable(AxonError):
    """A dependency (database, capable agent …) is not available."""

    code = "SERVICE_UNAVAILABLE"
    status = 503


class GatewayTimeout(AxonError):
    """Work that did not finish within its timeout."""

    code = "TIMEOUT"
    status = 504


class SubscriberTooSlow(AxonError):
    """A subscriber's buffer overflowed; it may resume with `after: <last event id>`."""

    code = "SUBSCRIBER_TOO_SLOW"
    status = 429


class ResumePointExpired(AxonError):
    """`after` names an event older than the log's retention: events in between are gone."""

    code = "RESUME_POINT_EXPIRED"
    status = 410
