"""Button payloads kept under short tokens, for platforms that limit what a button carries
(Telegram's 64-byte ``callback_data``): the token travels with the button, the payload stays
in the database, so a button still works after a restart."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schema import telegram_callbacks


class ButtonStore:
    """Token -> payload, in the database (one row per token, written once)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, token: str) -> str | None:
        """The payload stored under ``token``, if any."""
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(telegram_callbacks.c.payload).where(telegram_callbacks.c.token == token)
            )
            value: object | None = result.scalar_one_or_none()
        return str(value) if value is not None else None

    async def put(self, token: str, payload: str) -> None:
        """Store ``payload`` under ``token`` unless it is there already."""
        if await self.get(token) is not None:
            return
        try:
            async with self.engine.begin() as conn:
                await conn.execute(
                    insert(telegram_callbacks).values(
                        token=token, payload=payload, created_at=datetime.now(UTC)
                    )
                )
        except IntegrityError:
            pass  # stored by a concurrent send of the same button
