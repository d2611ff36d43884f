"""User accounts: creation with validated names, scopes and an argon2 hash."""

from __future__ import annotations

from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from axonql import models
from axonql.errors import Conflict, ValidationError
from axonql.models.user import LearningContext
from axonql.scopes import ALL_SCOPES
from axonql.services import auth, name_pieces
from axonql.services import validation as v
from axonql.settings import Settings

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_EMAIL_LENGTH = 320


def password_hash(password: str) -> str:
    """The argon2 hash of a password of acceptable length."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise ValidationError(
            f"password must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters",
            field="password",
        )
    return auth.hash_password(password)


def email_address(value: str) -> str:
    """A plausible address: one @ with text on both sides, no spaces."""
    address = v.text("email", value, MAX_EMAIL_LENGTH)
    local, at, domain = address.partition("@")
    if not at or not local or "." not in domain or any(ch.isspace() for ch in address):
        raise ValidationError("email is not a valid address", field="email")
    return address.lower()


async def create_account(
    settings: Settings,
    *,
    username: str,
    password: str | None = None,
    user_id: str | None = None,
    email: str | None = None,
    scopes: list[str] | None = None,
    learning: LearningContext | None = None,
    tags: list[str] | None = None,
    is_active: bool = True,
    session: AsyncClientSession | None = None,
) -> models.User:
    """Store a new user (in `session`'s transaction, if any); without a password the account
    cannot log in (API keys only)."""
    user = models.User(
        username=v.client_id("username", username),
        email=email_address(email) if email else None,
        password_hash=password_hash(password) if password is not None else None,
        scopes=auth.check_scopes(scopes or []),
        learning=learning or LearningContext(),
        tags=v.strings("tags", tags or []),
        is_active=is_active,
    )
    if user_id is not None:
        user.id = v.client_id("id", user_id)
        if await models.User.get(user.id, session=session) is not None:
            raise Conflict(f"user {user.id} already exists", details={"id": user.id})
    taken = await models.User.find_one(models.User.username == user.username, session=session)
    if taken is not None:
        raise Conflict(f"username {user.username} is taken", details={"username": user.username})
    await user.insert(session=session)
    # its name pieces here: accounts are also created outside units of work (no event)
    stored = {"username": user.username, "created_at": user.created_at}
    await name_pieces.USERS.keep(user.id, stored, session)
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
    try:
        return await create_account(
            settings, username=username, password=password, scopes=sorted(ALL_SCOPES)
        )
    except (Conflict, DuplicateKeyError):
        # Another instance starting on the same database created it first.
        created = await models.User.find_one(models.User.username == username)
        if created is None:
            raise
        return created
