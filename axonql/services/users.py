"""User accounts: creation with validated names, scopes and an argon2 hash."""

from __future__ import annotations

from axonql import models
from axonql.errors import Conflict, ValidationError
from axonql.scopes import ALL_SCOPES
from axonql.services import auth
from axonql.services import validation as v
from axonql.settings import Settings

MIN_PASSWORD_LENGTH = 8


async def create_account(
    settings: Settings,
    *,
    username: str,
    password: str,
    user_id: str | None = None,
    email: str | None = None,
    scopes: list[str] | None = None,
) -> models.User:
    name = v.client_id("username", username)
    if len(password) < MIN_PASSWORD_LENGTH or len(password) > 1024:
        raise ValidationError(
            f"password must be {MIN_PASSWORD_LENGTH} to 1024 characters", field="password"
        )
    if await models.User.find_one(models.User.username == name) is not None:
        raise Conflict(f"username {name} is taken", details={"username": name})
    fields: dict[str, object] = {}
    if user_id is not None:
        fields["id"] = v.client_id("id", user_id)
        if await models.User.get(fields["id"]) is not None:
            raise Conflict(f"user {user_id} already exists", details={"id": user_id})
    user = models.User(
        username=name,
        email=v.text("email", email, 320) if email else None,
        password_hash=auth.hash_password(password),
        scopes=auth.check_scopes(scopes or []),
        **fields,
    )
    await user.insert()
    return user


async def ensure_admin(settings: Settings, spec: str) -> models.User | None:
    """`AXONQL_BOOTSTRAP_ADMIN=user:pass`: create that admin with every scope if absent."""
    if not spec:
        return None
    username, sep, password = spec.partition(":")
    if not sep:
        raise ValidationError("AXONQL_BOOTSTRAP_ADMIN must be username:password")
    existing = await models.User.find_one(models.User.username == username)
    if existing is not None:
        return existing
    return await create_account(
        settings, username=username, password=password, scopes=sorted(ALL_SCOPES)
    )
