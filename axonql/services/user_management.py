"""User logic: validated learning context, scope rules, create/update/delete and list filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from axonql import models
from axonql.errors import AuthorizationDenied, Conflict, UserNotFound, ValidationError
from axonql.models.base import utcnow
from axonql.models.user import LearningContext
from axonql.scopes import Scope
from axonql.services import auth
from axonql.services import users as accounts
from axonql.services import validation as v
from axonql.services.auth import Principal
from axonql.services.events import Change, atomically, emit
from axonql.services.listing import Listing, name_search
from axonql.services.loaders import Loaders
from axonql.services.lookup import fetch
from axonql.services.query_filters import compact, contains, window
from axonql.services.ranked import load_ranked
from axonql.services.token_validity import TokenValidity
from axonql.settings import Settings

MAX_SKILLS = 100
MAX_TIME_SPENT = 1e9


@dataclass
class UserFilterArgs:
    """Filter values, already typed; None means 'any'."""

    active: bool | None = None
    scope: str | None = None
    tag: str | None = None
    search: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def user_query(f: UserFilterArgs) -> dict[str, Any]:
    """The MongoDB filter for a UserFilter."""
    return compact(
        {
            "is_active": f.active,
            "scopes": f.scope or None,
            "tags": f.tag or None,
            "username": contains(f.search),
            "created_at": window(f.created_after, f.created_before),
        }
    )


USERS: Listing[models.User, UserFilterArgs] = Listing(
    models.User,
    user_query,
    id_prefix="user",
    searched=name_search(models.UserName, field="username"),
)


@dataclass
class LearningDraft:
    """Learning-context fields of an input; None leaves a field unchanged."""

    skill_levels: Any = None
    preferences: Any = None
    goals: list[str] | None = None
    consciousness_level: float | None = None
    time_spent: float | None = None
    achievements: list[str] | None = None


@dataclass
class UserDraft:
    """Fields of a create or update; None leaves a field unchanged."""

    username: str | None = None
    email: str | None = None
    password: str | None = None
    scopes: list[str] | None = None
    is_active: bool | None = None
    tags: list[str] | None = None
    learning: LearningDraft | None = None


def skill_levels(value: Any, field: str = "learningContext.skillLevels") -> dict[str, float]:
    """A JSON object of skill name → level between 0 and 1."""
    if not isinstance(value, dict):
        raise ValidationError(f"{field} must be a JSON object", field=field)
    if len(value) > MAX_SKILLS:
        raise ValidationError(f"{field} has more than {MAX_SKILLS} skills", field=field)
    levels: dict[str, float] = {}
    for name, level in value.items():
        skill = v.text(field, name, 100)
        if isinstance(level, bool) or not isinstance(level, int | float):
            raise ValidationError(f"{field}.{skill} must be a number", field=f"{field}.{skill}")
        levels[skill] = v.number_in(f"{field}.{skill}", float(level), 0.0, 1.0)
    return levels


def apply_learning(context: LearningContext, d: LearningDraft) -> None:
    """Validate every given field first, then change the context (all or nothing)."""
    prefix = "learningContext"
    changes: dict[str, Any] = {}
    if d.skill_levels is not None:
        changes["skill_levels"] = skill_levels(d.skill_levels)
    if d.preferences is not None:
        changes["preferences"] = v.json_object(f"{prefix}.preferences", d.preferences)
    if d.goals is not None:
        changes["goals"] = v.strings(f"{prefix}.goals", d.goals, 500)
    if d.consciousness_level is not None:
        changes["consciousness_level"] = v.consciousness_level(
            d.consciousness_level, f"{prefix}.consciousnessLevel"
        )
    if d.time_spent is not None:
        changes["time_spent"] = v.number_in(f"{prefix}.timeSpent", d.time_spent, 0, MAX_TIME_SPENT)
    if d.achievements is not None:
        changes["achievements"] = v.strings(f"{prefix}.achievements", d.achievements, 200)
    for name, value in changes.items():
        setattr(context, name, value)


def _require_admin(principal: Principal, action: str) -> None:
    if not principal.has(Scope.ADMIN_SYSTEM):
        raise AuthorizationDenied(
            f"{action} requires the scope {Scope.ADMIN_SYSTEM.value}",
            details={"required_scope": Scope.ADMIN_SYSTEM.value},
        )


def _guard(principal: Principal, user: models.User | None, d: UserDraft) -> None:
    """Granting scopes, touching the credentials of a privileged account, or changing the
    account fields of a user who holds scopes the caller lacks, is for admins (a user manager
    still manages everyone's learning context)."""
    if d.scopes is not None and (d.scopes or (user is not None and user.scopes)):
        _require_admin(principal, "granting scopes")
    if user is None or principal.has(Scope.ADMIN_SYSTEM):
        return
    if (d.password is not None or d.is_active is False) and user.scopes:
        _require_admin(principal, "changing the credentials of a user holding scopes")
    account_fields = (d.username, d.email, d.password, d.is_active, d.tags)
    beyond = sorted(set(user.scopes) - principal.scopes)
    if beyond and any(value is not None for value in account_fields):
        raise AuthorizationDenied(
            "changing an account that holds scopes the caller lacks requires the scope "
            f"{Scope.ADMIN_SYSTEM.value}",
            details={"required_scope": Scope.ADMIN_SYSTEM.value, "missing_scopes": beyond},
        )


async def recent_sessions(
    loaders: Loaders, user_id: str, status: str | None, limit: int
) -> list[models.LearningSession]:
    """A user's `limit` newest learning sessions, ranked in the database for every user."""
    return await load_ranked(
        loaders,
        models.LearningSession,
        "user_id",
        user_id,
        sort=[("started_at", -1), ("_id", -1)],
        limit=limit,
        where={"status": status} if status else None,
    )


async def get_user(user_id: str) -> models.User:
    return await fetch(models.User, user_id, "user", error=UserNotFound)


async def create_user(
    settings: Settings, principal: Principal, d: UserDraft, user_id: str | None = None
) -> models.User:
    _guard(principal, None, d)
    learning = LearningContext()
    if d.learning is not None:
        apply_learning(learning, d.learning)

    async def write(unit: Change) -> models.User:
        user = await accounts.create_account(
            settings,
            username=d.username or "",
            password=d.password,
            user_id=user_id,
            email=d.email,
            scopes=d.scopes,
            learning=learning,
            tags=d.tags,
            is_active=d.is_active if d.is_active is not None else True,
            session=unit.session,
        )
        await emit(
            "USER_UPDATED", {"change": "created", "username": user.username}, user_id=user.id
        )
        return user

    return await atomically(write)


async def update_user(
    settings: Settings,
    principal: Principal,
    user_id: str,
    d: UserDraft,
    validity: TokenValidity,
) -> models.User:
    """Apply a draft; `validity` forgets its answers so this instance sees the change at once."""
    user = await get_user(user_id)
    _guard(principal, user, d)
    changes: dict[str, Any] = {}
    if d.username is not None:
        changes["username"] = v.client_id("username", d.username)
    if d.email is not None:
        changes["email"] = accounts.email_address(d.email) if d.email else None
    if d.password is not None:
        changes["password_hash"] = accounts.password_hash(d.password)
    if d.scopes is not None:
        changes["scopes"] = auth.check_scopes(d.scopes)
    if d.tags is not None:
        changes["tags"] = v.strings("tags", d.tags)
    if d.is_active is not None:
        changes["is_active"] = d.is_active
    if d.learning is not None:
        learning = user.learning.model_copy(deep=True)
        apply_learning(learning, d.learning)
        changes["learning"] = learning
    name = changes.get("username")
    if name and name != user.username and await models.User.find_one({"username": name}):
        raise Conflict(f"username {name} is taken", details={"username": name})
    # A new password, a deactivation or other scopes end the access tokens issued before.
    ends_tokens = bool({"password_hash", "scopes"} & changes.keys()) or (
        changes.get("is_active") is False
    )
    version = user.token_version

    async def write(unit: Change) -> None:
        user.token_version = version  # as read: a retried unit bumps it once, not twice
        await _write(user, changes, ends_tokens=ends_tokens, session=unit.session)
        if "password_hash" in changes or changes.get("is_active") is False:
            await _revoke_credentials(user.id, unit.session)
        await emit(
            "USER_UPDATED",
            {
                "change": "updated",
                "fields": sorted("password" if k == "password_hash" else k for k in changes),
            },
            user_id=user.id,
        )

    await atomically(write)
    validity.forget()
    return user


async def _write(
    user: models.User,
    changes: dict[str, Any],
    *,
    ends_tokens: bool = False,
    session: AsyncClientSession | None = None,
) -> None:
    """`$set` only what changed (learning field by field), so a concurrent learning-progress
    write to other fields of the same user is not overwritten by a stale copy."""
    update = {k: value for k, value in changes.items() if k != "learning"}
    if "learning" in changes:
        before = user.learning.model_dump()
        after = changes["learning"].model_dump()
        update.update({f"learning.{k}": value for k, value in after.items() if before[k] != value})
    for key, value in changes.items():
        setattr(user, key, value)
    user.updated_at = utcnow()
    update["updated_at"] = user.updated_at
    write: dict[str, Any] = {"$set": update}
    if ends_tokens:
        write["$inc"] = {"token_version": 1}
        user.token_version += 1
    await models.User.get_pymongo_collection().update_one({"_id": user.id}, write, session=session)


async def _revoke_credentials(user_id: str, session: AsyncClientSession | None = None) -> None:
    """Refresh tokens and API keys of a user stop working (password change, deactivation)."""
    stamp = utcnow()
    await models.RefreshToken.get_pymongo_collection().update_many(
        {"user_id": user_id, "revoked_at": None}, {"$set": {"revoked_at": stamp}}, session=session
    )
    await models.ApiKey.get_pymongo_collection().update_many(
        {"user_id": user_id, "revoked_at": None}, {"$set": {"revoked_at": stamp}}, session=session
    )


async def delete_user(principal: Principal, user_id: str, validity: TokenValidity) -> bool:
    """Delete a user with its sessions and credentials; its tokens end here at once."""
    user = await get_user(user_id)
    if user.scopes:
        _require_admin(principal, "deleting a user holding scopes")

    async def write(unit: Change) -> None:
        await models.LearningSession.find({"user_id": user_id}).delete(session=unit.session)
        await models.RefreshToken.find({"user_id": user_id}).delete(session=unit.session)
        await models.ApiKey.find({"user_id": user_id}).delete(session=unit.session)
        await user.delete(session=unit.session)
        await emit(
            "USER_UPDATED", {"change": "deleted", "username": user.username}, user_id=user_id
        )

    await atomically(write)
    validity.forget()
    return True
