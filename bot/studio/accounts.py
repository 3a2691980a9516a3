"""Admin accounts and login sessions for the admin pages.

Passwords are stored as scrypt hashes (``scrypt$n$r$p$salt$hash``, salt and hash base64). A
login session is a random cookie token; the database keeps only its SHA-256 and the SHA-256
of the session's CSRF token, which every unsafe request made with the cookie must send in
``X-CSRF-Token``.

Roles: ``editor`` edits FAQ answers, examples, rules and stories; ``reviewer`` reads everything
and labels the review queue; ``owner`` does everything, including training,
deploying and rolling back. ``ADMIN_TOKEN`` (the API's bearer token) acts as an owner.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.studio_schema import admin_sessions, admin_users

ROLES = ("editor", "reviewer", "owner")
# permission -> the roles that have it
PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset(ROLES),
    "edit": frozenset({"editor", "owner"}),
    "review": frozenset({"reviewer", "owner"}),
    "deploy": frozenset({"owner"}),
}
USER_NAME = re.compile(r"[A-Za-z0-9._@-]{1,64}")
MIN_PASSWORD = 10
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


class AccountError(ValueError):
    """A user cannot be added or changed; the message says why."""


@dataclass(frozen=True)
class Actor:
    """Who makes a request: a user's name and role (``admin``/owner for ADMIN_TOKEN)."""

    name: str
    role: str
    csrf_hash: str | None = None  # set for session logins

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    n, r, p = _SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"]
    salt_b64, key_b64 = base64.b64encode(salt).decode(), base64.b64encode(key).decode()
    return f"scrypt${n}${r}${p}${salt_b64}${key_b64}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(base64.b64decode(key)),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(key))


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


async def add_user(engine: AsyncEngine, name: str, role: str, password: str) -> int:
    if not USER_NAME.fullmatch(name):
        raise AccountError(f"a user name is 1-64 letters, digits or ._@-, got {name!r}")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, got {role!r}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    try:
        async with engine.begin() as conn:
            result = await conn.execute(
                insert(admin_users).values(
                    name=name,
                    role=role,
                    password_hash=hash_password(password),
                    created_at=datetime.now(UTC),
                    disabled=False,
                )
            )
    except IntegrityError:
        raise AccountError(f"there is already a user {name!r}") from None
    return int(result.inserted_primary_key[0])


@dataclass(frozen=True)
class Session:
    token: str  # the cookie
    csrf_token: str  # sent back in X-CSRF-Token on unsafe requests
    actor: Actor
    expires_at: datetime


async def login(engine: AsyncEngine, name: str, password: str, *, hours: float) -> Session | None:
    """A new session for ``name`` when the password is right; None otherwise."""
    async with engine.connect() as conn:
        row = (
            (await conn.execute(select(admin_users).where(admin_users.c.name == name)))
            .mappings()
            .first()
        )
    stored = row["password_hash"] if row is not None else hash_password("x" * MIN_PASSWORD)
    ok = check_password(password, stored)  # the same work whether or not the user exists
    if row is None or row["disabled"] or not ok:
        return None
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + timedelta(hours=hours)
    async with engine.begin() as conn:
        await conn.execute(delete(admin_sessions).where(admin_sessions.c.expires_at < now))
        await conn.execute(
            insert(admin_sessions).values(
                token_hash=_sha(token),
                user_id=row["id"],
                csrf_hash=_sha(csrf),
                created_at=now,
                expires_at=expires,
            )
        )
    return Session(token, csrf, Actor(row["name"], row["role"], _sha(csrf)), expires)


async def session_actor(engine: AsyncEngine, token: str) -> Actor | None:
    query = (
        select(
            admin_users.c.name,
            admin_users.c.role,
            admin_users.c.disabled,
            admin_sessions.c.csrf_hash,
            admin_sessions.c.expires_at,
        )
        .select_from(admin_sessions.join(admin_users, admin_users.c.id == admin_sessions.c.user_id))
        .where(admin_sessions.c.token_hash == _sha(token))
    )
    async with engine.connect() as conn:
        row = (await conn.execute(query)).mappings().first()
    if row is None or row["disabled"]:
        return None
    expires = row["expires_at"]
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=UTC)
    if expires < datetime.now(UTC):
        return None
    return Actor(row["name"], row["role"], row["csrf_hash"])


def csrf_ok(actor: Actor, given: str) -> bool:
    return actor.csrf_hash is not None and hmac.compare_digest(_sha(given), actor.csrf_hash)


async def logout(engine: AsyncEngine, token: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(delete(admin_sessions).where(admin_sessions.c.token_hash == _sha(token)))


async def set_role(engine: AsyncEngine, name: str, role: str) -> bool:
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}, got {role!r}")
    async with engine.begin() as conn:
        result = await conn.execute(
            update(admin_users).where(admin_users.c.name == name).values(role=role)
        )
    return bool(result.rowcount)
