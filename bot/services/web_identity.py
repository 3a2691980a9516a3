"""Signed web chat identities (the convention of Chatwoot's ``identifier_hash``).

The web chat's sender id is whatever the page sends, so it is only believed with a signature:
``identity_hash = hex(HMAC-SHA256(key=WEB_IDENTITY_SECRET, msg=sender_id))``. The shop's own
backend computes it for a logged-in customer (``python -m bot identity sign <customer_id>`` shows
it for one customer); the gateway issues random guest ids with their hash to everyone else.

Guest ids live in their own namespace (:data:`GUEST_PREFIX`): they never resolve to a customer,
even if an ``identities`` row with such an id were written (the importer refuses them).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schema import identities

GUEST_PREFIX = "guest-"
GUEST_ID_RE = re.compile(r"guest-[0-9a-f]{32}")
HASH_RE = re.compile(r"[0-9a-f]{64}")
MIN_SECRET_LENGTH = 16


def sign(secret: str, sender_id: str) -> str:
    """The ``identity_hash`` of ``sender_id``: lowercase hex HMAC-SHA256 keyed with ``secret``."""
    return hmac.new(secret.encode(), sender_id.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, sender_id: str, identity_hash: str) -> bool:
    """Whether ``identity_hash`` signs ``sender_id`` (constant-time comparison)."""
    expected = sign(secret, sender_id)
    # compare_digest takes ASCII str only; anything else cannot be a hex digest anyway.
    if not identity_hash.isascii():
        return False
    return hmac.compare_digest(expected, identity_hash.lower())


def new_guest_id() -> str:
    """A fresh random guest sender id (128 bits), e.g. ``guest-3f0c...``."""
    return GUEST_PREFIX + secrets.token_hex(16)


def is_guest(channel: str, external_id: str) -> bool:
    """Web sender ids in the guest namespace are never anybody's customer identity."""
    return channel == "web" and external_id.startswith(GUEST_PREFIX)


async def web_senders(engine: AsyncEngine, customer_id: str) -> list[str]:
    """The web chat sender ids the ``identities`` table links to ``customer_id``."""
    query = (
        select(identities.c.external_id)
        .where(identities.c.channel == "web", identities.c.customer_id == customer_id)
        .order_by(identities.c.external_id)
    )
    async with engine.connect() as conn:
        return [row.external_id for row in await conn.execute(query)]
