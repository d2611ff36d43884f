"""Errors with stable codes and HTTP statuses.

    AxonError (500 INTERNAL_ERROR)
    ├── InvalidRequest (400 INVALID_REQUEST; a GraphQL request this transport cannot run)
    ├── QueryTooCostly (400 QUERY_TOO_COSTLY; the operation's cost estimate is over the ceiling,
    │                   refused before execution like the other document limits, which are 400;
    │                   `extensions.cost` and `extensions.maxCost`)
    ├── ValidationError (422 VALIDATION_ERROR; names the field)
    │   └── ConsciousnessLevelInvalid (422 CONSCIOUSNESS_LEVEL_INVALID)
    ├── AuthenticationFailed (401 AUTHENTICATION_FAILED)
    ├── AuthorizationDenied (403 AUTHORIZATION_DENIED)
    ├── PersistedQueryNotAllowed (403 PERSISTED_QUERY_NOT_ALLOWED; not in the trusted documents)
    ├── PersistedQueryNotFound (200 PERSISTED_QUERY_NOT_FOUND; an APQ hash this server does not
    │                          know: the client resends it with the query, so not a failure)
    ├── NotFound (404 RESOURCE_NOT_FOUND)
    │   └── UserNotFound (404 USER_NOT_FOUND)
    ├── Conflict (409 CONFLICT)
    │   ├── SessionNotActive (409 SESSION_NOT_ACTIVE)
    │   ├── AssessmentAlreadySubmitted (409 ASSESSMENT_ALREADY_SUBMITTED)
    │   └── IllegalTransition (409 ILLEGAL_TRANSITION)
    ├── SecurityScenarioExpired (410 SECURITY_SCENARIO_EXPIRED; its time limit has passed)
    ├── ResumePointExpired (410 RESUME_POINT_EXPIRED; `after` is older than the event log)
    ├── PayloadTooLarge (413 PAYLOAD_TOO_LARGE; a request body over AXONQL_MAX_REQUEST_BYTES)
    ├── RateLimitExceeded (429 RATE_LIMIT_EXCEEDED)
    ├── TooManySubscriptions (429 TOO_MANY_SUBSCRIPTIONS; a socket's operations are at the cap)
    ├── SubscriberTooSlow (429 SUBSCRIBER_TOO_SLOW; its buffer overflowed, resume with `after`)
    ├── ServiceUnavailable (503 SERVICE_UNAVAILABLE)
    └── GatewayTimeout (504 TIMEOUT)

Every error crosses GraphQL as `extensions.code` / `extensions.status`; the REST layer renders
the same code in each legacy envelope. A client's value quoted in an error goes through `clip`.
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


class InvalidRequest(AxonError):
    """A GraphQL request that cannot run as sent (e.g. a query over a subscription-only socket)."""

    code = "INVALID_REQUEST"
    status = 400


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


class PersistedQueryNotAllowed(AxonError):
    """An operation outside the trusted documents, or an APQ registration while they are on."""

    code = "PERSISTED_QUERY_NOT_ALLOWED"
    status = 403


class PersistedQueryNotFound(AxonError):
    """An APQ hash sent alone that is not stored: Apollo's and urql's links then resend it
    with the query text, on seeing this message or code in an ordinary (HTTP 200) answer."""

    code = "PERSISTED_QUERY_NOT_FOUND"
    status = 200

    def __init__(self) -> None:
        super().__init__("PersistedQueryNotFound")


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


class QueryTooCostly(AxonError):
    """An operation whose static cost estimate exceeds the ceiling: a 400 like every other
    document limit (depth, aliases, tokens), since the document itself must change."""

    code = "QUERY_TOO_COSTLY"
    status = 400

    def __init__(self, cost: int, max_cost: int) -> None:
        super().__init__(
            f"the operation's estimated cost {cost} exceeds the maximum of {max_cost}; "
            "ask for smaller pages (first/limit) or fewer nested lists"
        )
        self.cost = cost
        self.max_cost = max_cost

    def extensions(self) -> dict[str, Any]:
        return {**super().extensions(), "cost": self.cost, "maxCost": self.max_cost}


class PayloadTooLarge(AxonError):
    """A request body over the configured size; refused while it streams in, not after."""

    code = "PAYLOAD_TOO_LARGE"
    status = 413


class TooManySubscriptions(AxonError):
    """A subscribe over the per-socket cap: a socket may not hold unbounded operations."""

    code = "TOO_MANY_SUBSCRIPTIONS"
    status = 429


ECHO_LIMIT = 100


def clip(value: object, limit: int = ECHO_LIMIT) -> str:
    """A client's value as quoted in an error: printable, at most `limit` characters.

    Quoting input in full lets one request make the server send megabytes back, and a lone
    surrogate in it could not be encoded in the response at all.
    """
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
