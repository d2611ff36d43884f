"""Every root field declares the scope it needs; `@requires` shows it in the SDL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

import strawberry
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from axonql.errors import AuthenticationFailed, AuthorizationDenied

PUBLIC = "public"
# Any valid token; the field checks each item against its own type's scope (`node`).
AUTHENTICATED = "authenticated"

F = TypeVar("F", bound=Callable[..., Any])


@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION])
class Requires:
    """The scope a caller's token must carry (`public`: none)."""

    scope: str


class HasScope(BasePermission):
    """Refuses callers without a token (401) or without the scope (403)."""

    def __init__(self, scope: str) -> None:
        self.scope = scope
        self.message = f"requires scope {scope}"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        principal = info.context.require_principal()
        if principal.expired():
            raise AuthenticationFailed("access token expired")
        if not principal.has(self.scope):
            raise AuthorizationDenied(
                f"this operation requires the scope {self.scope}",
                details={"required_scope": self.scope},
            )
        return True


class IsAuthenticated(BasePermission):
    """Refuses callers without a valid token (401); the resolver checks scopes per item."""

    message = "authentication required"

    def has_permission(self, source: Any, info: strawberry.Info, **kwargs: Any) -> bool:
        if info.context.require_principal().expired():
            raise AuthenticationFailed("access token expired")
        return True


def _secured(factory: Any, scope: str, **kwargs: Any) -> Callable[[F], F]:
    extensions = list(kwargs.pop("extensions", []))
    if scope != PUBLIC:
        check = IsAuthenticated() if scope == AUTHENTICATED else HasScope(scope)
        extensions.append(PermissionExtension(permissions=[check], use_directives=False))
    field = factory(extensions=extensions, directives=[Requires(scope=scope)], **kwargs)
    return cast(Callable[[F], F], field)


def query(scope: str, **kwargs: Any) -> Callable[[F], F]:
    """A Query field guarded by `scope`."""
    return _secured(strawberry.field, scope, **kwargs)


def mutation(scope: str, **kwargs: Any) -> Callable[[F], F]:
    """A Mutation field guarded by `scope`."""
    return _secured(strawberry.mutation, scope, **kwargs)


def subscription(scope: str, **kwargs: Any) -> Callable[[F], F]:
    """A Subscription field guarded by `scope`."""
    return _secured(strawberry.subscription, scope, **kwargs)


READS_CALLER = "axonql_reads_caller"
"""Field metadata: what of the caller a field's value depends on (`schema.shared_execution`)."""


def field(
    reads_caller: Literal["scopes", "identity"] | None = None, **kwargs: Any
) -> Callable[[F], F]:
    """A typed `strawberry.field` for resolvers on object types (relations).

    `reads_caller` says whether its value depends on the caller's scopes or identity; without
    it the field promises to read only the request's loaders and the app's state, so
    subscribers of one operation may share its result (a resolver taking `info` declared
    any other way is assumed to read the caller).
    """
    metadata = {**kwargs.pop("metadata", {}), READS_CALLER: reads_caller}
    return cast(Callable[[F], F], strawberry.field(metadata=metadata, **kwargs))
