"""Credentials: argon2 password hashes, JWT access tokens, rotating refresh tokens, API keys."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from axonql.errors import AuthenticationFailed, AuthorizationDenied, ValidationError
from axonql.ids import new_id
from axonql.models import Agent, ApiKey, RefreshToken, RevokedSession, User
from axonql.models.base import utcnow
from axonql.scopes import AGENT_DEFAULT_SCOPES, ALL_SCOPES, Scope
from axonql.services.agents import get_agent
from axonql.services.login_throttle import LoginThrottle
from axonql.services.token_validity import TokenValidity
from axonql.settings import Settings

_hasher = PasswordHasher()
API_KEY_PREFIX = "axk"


@dataclass(frozen=True)
class Principal:
    """Who is calling and what they may do."""

    subject: str
    kind: str  # "user" or "agent"
    scopes: frozenset[str]
    expires_at: float | None = None  # epoch seconds; API keys do not expire
    token_version: int = 0  # the user's token version the access token was issued under
    session: str | None = None  # the refresh-token family the access token belongs to

    def has(self, scope: str) -> bool:
        return scope in self.scopes

    def may_grant(self, scopes: list[str] | set[str] | frozenset[str]) -> None:
        """Credentials never carry more than their issuer: admins grant any scope, others
        only scopes they hold themselves."""
        if self.has(Scope.ADMIN_SYSTEM):
            return
        missing = sorted(set(scopes) - self.scopes)
        if missing:
            raise AuthorizationDenied(
                f"cannot grant scopes the caller does not hold: {', '.join(missing)}",
                details={"missing_scopes": missing},
            )

    def expired(self) -> bool:
        """Whether the token ran out since it was checked (a WebSocket outlives its token)."""
        return self.expires_at is not None and time.time() >= self.expires_at


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    scopes: list[str]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def check_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - ALL_SCOPES)
    if unknown:
        raise ValidationError(f"unknown scopes: {', '.join(unknown)}", field="scopes")
    return sorted(set(scopes))


def _signing_key(settings: Settings) -> str:
    return (
        settings.jwt_private_key if settings.jwt_algorithm == "RS256" else settings.signing_secret()
    )


def _verify_key(settings: Settings) -> str:
    return (
        settings.jwt_public_key if settings.jwt_algorithm == "RS256" else settings.signing_secret()
    )


def issue_access_token(
    settings: Settings, user: User, scopes: list[str] | None = None, *, session: str | None = None
) -> str:
    now = utcnow()
    claims: dict[str, Any] = {
        "sub": user.id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_ttl_seconds)).timestamp()),
        "scope": scopes if scopes is not None else list(user.scopes),
        "consciousness_level": user.learning.consciousness_level,
        "typ": "access",
        "ver": user.token_version,
    }
    if session is not None:
        claims["sid"] = session
    return jwt.encode(claims, _signing_key(settings), algorithm=settings.jwt_algorithm)


def decode_access_token(settings: Settings, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            _verify_key(settings),
            algorithms=[settings.jwt_algorithm],
            options={"require": ["sub", "exp"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthenticationFailed("access token expired") from exc
    except jwt.PyJWTError as exc:
        raise AuthenticationFailed("invalid access token") from exc
    scope = claims.get("scope", [])
    scopes = scope.split() if isinstance(scope, str) else list(scope)
    version = claims.get("ver", 0)
    session = claims.get("sid")
    return Principal(
        subject=str(claims["sub"]),
        kind="user",
        scopes=frozenset(scopes),
        expires_at=float(claims["exp"]),
        token_version=version if isinstance(version, int) else -1,
        session=session if isinstance(session, str) else None,
    )


async def _store_refresh_token(settings: Settings, user_id: str, family: str) -> str:
    token = secrets.token_urlsafe(32)
    await RefreshToken(
        id=_sha256(token),
        user_id=user_id,
        family=family,
        expires_at=utcnow() + timedelta(seconds=settings.refresh_token_ttl_seconds),
    ).insert()
    return token


async def issue_tokens(settings: Settings, user: User, family: str | None = None) -> TokenPair:
    family = family or new_id("fam")
    refresh = await _store_refresh_token(settings, user.id, family)
    return TokenPair(
        access_token=issue_access_token(settings, user, session=family),
        refresh_token=refresh,
        expires_in=settings.access_token_ttl_seconds,
        scopes=list(user.scopes),
    )


@functools.cache
def _decoy_hash() -> str:
    """Checked when the user is unknown, so a login takes as long whether the user exists or not."""
    return _hasher.hash(secrets.token_urlsafe(16))


async def _account(login_name: str) -> User | None:
    """The user a login name means: a username, else an e-mail address only one user has."""
    user = await User.find_one(User.username == login_name)
    if user is not None or "@" not in login_name:
        return user
    matches = await User.find(User.email == login_name.lower()).limit(2).to_list()
    return matches[0] if len(matches) == 1 else None


async def login(
    settings: Settings,
    username: str,
    password: str,
    *,
    throttle: LoginThrottle,
    address: str,
) -> TokenPair:
    """Tokens for a username (or unique e-mail address) and password.

    Throttled per login name and per client address whether or not the account exists, so a
    refusal says nothing about which accounts there are.
    """
    async with throttle.attempt(username, address) as attempt:
        user = await _account(username)
        stored = user.password_hash if user is not None and user.password_hash else _decoy_hash()
        # argon2 is deliberately slow: check off the event loop so other requests keep flowing.
        verified = await asyncio.to_thread(verify_password, stored, password)
        if user is None or not user.is_active or not user.password_hash or not verified:
            raise AuthenticationFailed("invalid username or password")
        attempt.succeeded()
    return await issue_tokens(settings, user)


async def rotate_refresh_token(
    settings: Settings, token: str, validity: TokenValidity
) -> TokenPair:
    """Exchange a refresh token for a new pair; a reused (revoked) token revokes its family."""
    stored = await RefreshToken.get(_sha256(token))
    now = utcnow()
    if stored is None or stored.expires_at <= now:
        raise AuthenticationFailed("invalid refresh token")
    # an update by `_id` (findAndModify scans the collection on SecantusDB, `first_match`)
    claimed = await RefreshToken.get_pymongo_collection().update_one(
        {"_id": stored.id, "revoked_at": None}, {"$set": {"revoked_at": now}}
    )
    if not claimed.modified_count:
        await revoke_family(settings, stored.family, stored.user_id)
        validity.forget()
        raise AuthenticationFailed("refresh token already used; its session was revoked")
    user = await User.get(stored.user_id)
    if user is None or not user.is_active:
        raise AuthenticationFailed("invalid refresh token")
    return await issue_tokens(settings, user, family=stored.family)


async def revoke_family(settings: Settings, family: str, user_id: str) -> None:
    """Refresh tokens of the family stop working, and so do its access tokens."""
    now = utcnow()
    await RefreshToken.get_pymongo_collection().update_many(
        {"family": family, "revoked_at": None}, {"$set": {"revoked_at": now}}
    )
    until = now + timedelta(seconds=settings.access_token_ttl_seconds + 60)
    await RevokedSession.get_pymongo_collection().update_one(
        {"_id": family},
        {"$set": {"user_id": user_id, "expires_at": until, "updated_at": now}},
        upsert=True,
    )


async def revoke_refresh_token(settings: Settings, token: str, validity: TokenValidity) -> bool:
    """Logout: the token's family ends, on this instance at once (`validity` forgets)."""
    stored = await RefreshToken.get(_sha256(token))
    if stored is None:
        return False
    await revoke_family(settings, stored.family, stored.user_id)
    validity.forget()
    return True


async def create_api_key(
    scopes: list[str], *, agent_id: str | None = None, user_id: str | None = None, name: str = ""
) -> tuple[ApiKey, str]:
    """Store a new key (hashed) and return it with the one-time plain value."""
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        name=name,
        secret_hash=_sha256(secret),
        scopes=check_scopes(scopes),
        agent_id=agent_id,
        user_id=user_id,
    )
    await key.insert()
    return key, f"{API_KEY_PREFIX}.{key.id}.{secret}"


async def create_agent_api_key(
    principal: Principal, agent_id: str, scopes: list[str] | None
) -> tuple[ApiKey, str]:
    """A key for an agent, with scopes the caller holds itself (none asked: the defaults)."""
    wanted = check_scopes(scopes if scopes is not None else sorted(AGENT_DEFAULT_SCOPES))
    principal.may_grant(wanted)
    agent = await get_agent(agent_id)
    return await create_api_key(wanted, agent_id=agent.id, name=agent.name)


def looks_like_api_key(token: str) -> bool:
    return token.startswith(f"{API_KEY_PREFIX}.")


async def authenticate_api_key(token: str) -> Principal:
    try:
        _, key_id, secret = token.split(".", 2)
    except ValueError as exc:
        raise AuthenticationFailed("malformed API key") from exc
    key = await ApiKey.get(key_id)
    if key is None or key.revoked_at is not None:
        raise AuthenticationFailed("invalid API key")
    if not hmac.compare_digest(key.secret_hash, _sha256(secret)):
        raise AuthenticationFailed("invalid API key")
    if key.agent_id is not None:
        # A deleted agent's keys die with it.
        if await Agent.find({"_id": key.agent_id}).count() == 0:
            raise AuthenticationFailed("invalid API key: its agent no longer exists")
        return Principal(subject=key.agent_id, kind="agent", scopes=frozenset(key.scopes))
    return Principal(subject=key.user_id or key.id, kind="user", scopes=frozenset(key.scopes))


async def authenticate(settings: Settings, token: str, validity: TokenValidity) -> Principal:
    """A bearer credential (JWT or API key) to a principal, or AuthenticationFailed.

    An access token must also still stand: its user active, its token version current and its
    session not revoked (checked against the database, remembered briefly by `validity`); so
    must an API key and its agent (remembered the same way).
    """
    if looks_like_api_key(token):
        known = validity.recall_key(token)
        if known is not None:
            return known
        principal = await authenticate_api_key(token)
        validity.remember_key(token, principal)
        return principal
    principal = decode_access_token(settings, token)
    if not await validity.stands(principal.subject, principal.token_version, principal.session):
        raise AuthenticationFailed("access token revoked")
    return principal
