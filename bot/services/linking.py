"""Linking a chat account (Telegram, Slack, WeChat) to a shop customer, only after proof.

Two proofs link an account (a row of ``identities``):

- a **deep link** the shop sends the customer (``python -m bot identity link C0001 --channel
  telegram`` prints ``https://t.me/<bot>?start=<token>``): the token names the customer, expires
  (``access.link_token_days``) and is signed with HMAC-SHA256 under ``LINK_SECRET``; it works
  once (its nonce is stored in ``link_tokens`` when used). Telegram's ``/start <token>`` uses it.
- the **order number plus the customer's own phone**: an unlinked account that passes the phone
  check of an order with the phone of the customer who placed it (bot/actions/order_forms.py).

The token fits Telegram's ``start`` parameter (at most 64 characters of ``A-Za-z0-9_-``):
``ln_`` + base64url(version, expiry, nonce, customer id, truncated MAC). The MAC also covers the
channel, so a token made for Telegram is refused elsewhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.storage.schema import customers, identities, link_tokens

PREFIX = "ln_"
VERSION = 1
NONCE_BYTES = 6
MAC_BYTES = 12
# Telegram takes at most 64 characters in a start parameter.
MAX_TOKEN_CHARS = 64
_HEADER = struct.Struct(">BI")  # version, expiry (unix seconds)
MAX_CUSTOMER_ID_BYTES = (
    (MAX_TOKEN_CHARS - len(PREFIX)) * 3 // 4 - _HEADER.size - NONCE_BYTES - MAC_BYTES
)
LINK_CHANNELS = ("telegram",)  # channels with a deep link that carries a token


class TokenError(ValueError):
    """A token that links nothing; ``reason`` says why (``forged``, ``expired``, ``used``)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class LinkToken:
    customer_id: str
    expires_at: datetime
    nonce: str  # hex


def _mac(secret: str, channel: str, body: bytes) -> bytes:
    key = hashlib.sha256(b"shop-link-token|" + secret.encode()).digest()
    return hmac.new(key, channel.encode() + b"|" + body, hashlib.sha256).digest()[:MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def looks_like_token(text: str) -> bool:
    """Whether a deep-link parameter is meant as a link token (others are ignored)."""
    return text.startswith(PREFIX)


def sign_token(
    secret: str,
    customer_id: str,
    *,
    channel: str = "telegram",
    now: datetime,
    valid_for: timedelta,
    nonce: bytes | None = None,
) -> str:
    """A single-use token that links an account on ``channel`` to ``customer_id``."""
    if not secret:
        raise ValueError("LINK_SECRET is not set; link tokens cannot be signed")
    cid = customer_id.encode()
    if not cid or len(cid) > MAX_CUSTOMER_ID_BYTES:
        raise ValueError(
            f"customer id {customer_id!r} does not fit a Telegram deep link "
            f"(1 to {MAX_CUSTOMER_ID_BYTES} bytes)"
        )
    expires = int((now + valid_for).timestamp())
    body = _HEADER.pack(VERSION, expires) + (nonce or secrets.token_bytes(NONCE_BYTES)) + cid
    return PREFIX + _b64(body + _mac(secret, channel, body))


def verify_token(secret: str, token: str, *, channel: str, now: datetime) -> LinkToken:
    """The customer a genuine, unexpired token names; :class:`TokenError` otherwise.

    Whether it was used already is the database's to say (:func:`link_with_token`).
    """
    forged = TokenError("forged", "the link token is malformed or not signed by this shop")
    if not secret or not token.startswith(PREFIX) or len(token) > MAX_TOKEN_CHARS:
        raise forged
    try:
        raw = _unb64(token[len(PREFIX) :])
    except (binascii.Error, ValueError):
        raise forged from None
    # Only the canonical spelling (unused padding bits zero): one token, one string.
    if len(raw) <= _HEADER.size + NONCE_BYTES + MAC_BYTES or _b64(raw) != token[len(PREFIX) :]:
        raise forged
    body, mac = raw[:-MAC_BYTES], raw[-MAC_BYTES:]
    if not hmac.compare_digest(mac, _mac(secret, channel, body)):
        raise forged
    version, expires = _HEADER.unpack_from(body)
    if version != VERSION:
        raise forged
    nonce = body[_HEADER.size : _HEADER.size + NONCE_BYTES]
    try:
        customer_id = body[_HEADER.size + NONCE_BYTES :].decode()
    except UnicodeDecodeError:
        raise forged from None
    expires_at = datetime.fromtimestamp(expires, UTC)
    if expires_at <= now:
        raise TokenError("expired", f"the link token expired at {expires_at.isoformat()}")
    return LinkToken(customer_id, expires_at, nonce.hex())


def deep_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username.lstrip('@')}?start={token}"


# --- identities ------------------------------------------------------------------------------
async def linked_customer(conn: AsyncConnection, channel: str, external_id: str) -> str | None:
    row = (
        await conn.execute(
            select(identities.c.customer_id).where(
                identities.c.channel == channel, identities.c.external_id == external_id
            )
        )
    ).first()
    return None if row is None else str(row.customer_id)


async def _put_identity(
    conn: AsyncConnection, channel: str, external_id: str, customer_id: str
) -> None:
    current = await linked_customer(conn, channel, external_id)
    if current is None:
        await conn.execute(
            insert(identities).values(
                channel=channel, external_id=external_id, customer_id=customer_id
            )
        )
    elif current != customer_id:
        await conn.execute(
            update(identities)
            .where(identities.c.channel == channel, identities.c.external_id == external_id)
            .values(customer_id=customer_id)
        )


class LinkResult(Enum):
    LINKED = "linked"
    ALREADY = "already"  # this account was linked to this customer before


async def link_with_token(
    engine: AsyncEngine,
    secret: str,
    token: str,
    *,
    channel: str,
    external_id: str,
    now: datetime,
) -> tuple[str, LinkResult]:
    """Use a deep-link token: link the account to the customer it names (once).

    The same token from the same account again (a platform's retry) answers ``ALREADY``; from
    another account it is ``used``. A token naming a customer that no longer exists is
    ``forged``. The account's earlier link, if any, is replaced: the shop vouched for this one.
    """
    found = verify_token(secret, token, channel=channel, now=_utc(now))
    try:
        return await _use(engine, found, channel, external_id, _utc(now))
    except IntegrityError:  # the same token used at the same moment by another account
        raise TokenError("used", "the link token was used already") from None


async def _use(
    engine: AsyncEngine, found: LinkToken, channel: str, external_id: str, now: datetime
) -> tuple[str, LinkResult]:
    async with engine.begin() as conn:
        exists = await conn.execute(
            select(customers.c.id).where(customers.c.id == found.customer_id)
        )
        if exists.first() is None:
            raise TokenError("forged", f"the link token names no customer ({found.customer_id})")
        used = (
            await conn.execute(select(link_tokens).where(link_tokens.c.nonce == found.nonce))
        ).first()
        if used is not None:
            if used.channel == channel and used.external_id == external_id:
                return found.customer_id, LinkResult.ALREADY
            raise TokenError("used", "the link token was used already")
        await conn.execute(
            insert(link_tokens).values(
                nonce=found.nonce,
                customer_id=found.customer_id,
                channel=channel,
                external_id=external_id,
                used_at=now,
            )
        )
        before = await linked_customer(conn, channel, external_id)
        await _put_identity(conn, channel, external_id, found.customer_id)
    result = LinkResult.ALREADY if before == found.customer_id else LinkResult.LINKED
    return found.customer_id, result


async def link_account(
    engine: AsyncEngine, channel: str, external_id: str, customer_id: str
) -> bool:
    """Link an account that is linked to nobody yet; False when it already is (nothing changes).

    An account linked to one customer is never moved to another this way.
    """
    try:
        async with engine.begin() as conn:
            if await linked_customer(conn, channel, external_id) is not None:
                return False
            await conn.execute(
                insert(identities).values(
                    channel=channel, external_id=external_id, customer_id=customer_id
                )
            )
    except IntegrityError:  # linked at the same moment by another request
        return False
    return True


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
