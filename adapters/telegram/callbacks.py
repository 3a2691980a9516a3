"""Inline-button presses: button payloads <-> ``callback_data`` (at most 64 bytes), with longer
payloads kept in the database as short tokens so buttons still work after a restart."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import variants
from bot.storage.schema import telegram_callbacks

MAX_CALLBACK_BYTES = 64  # Telegram's limit for callback_data
STORED_CACHE_SIZE = 10_000  # tokens known to be stored, before the memo starts over

# The answer to a press of a button whose token is unknown (e.g. the database was reset).
EXPIRED_BUTTON_TEXT = variants("telegram.button_expired")


def callback_token(payload: str) -> str:
    """A 21-character stand-in for a payload too long for ``callback_data`` ("#" + hash)."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:15]
    return "#" + base64.urlsafe_b64encode(digest).decode("ascii")


class CallbackCodec:
    """Payloads <-> ``callback_data``: short payloads travel as they are, longer ones (or ones
    not starting with "/") as a token kept in the database, so buttons work after a restart."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._stored: set[str] = set()

    async def encode(self, payload: str) -> str:
        if payload.startswith("/") and len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            return payload
        token = callback_token(payload)
        if token in self._stored:
            return token
        if await self._lookup(token) is None:
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(
                        insert(telegram_callbacks).values(
                            token=token, payload=payload, created_at=datetime.now(UTC)
                        )
                    )
            except IntegrityError:
                pass  # stored by a concurrent send of the same button
        if len(self._stored) > STORED_CACHE_SIZE:
            self._stored.clear()
        self._stored.add(token)
        return token

    async def decode(self, data: str) -> str | None:
        """The payload (or text) of a pressed button; None for an unknown token."""
        if data.startswith("/"):
            return data
        if not data.startswith("#"):
            return None
        value = await self._lookup(data)
        return str(value) if value is not None else None

    async def _lookup(self, token: str) -> object | None:
        """The stored payload of ``token``, if any."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(telegram_callbacks.c.payload).where(telegram_callbacks.c.token == token)
            )
            value: object | None = result.scalar_one_or_none()
        return value
