"""Records the dashboard tests create: conversations' messages, handoffs with reasons, ratings
and sentiment, complaint tickets, customers with segments and paid orders, open parcels.

Async inserts through the project's own tables, so they run on SQLite and PostgreSQL alike.
Every id is fresh (a counter plus a random part), so tests never meet the demo shop's rows.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schema import (
    customer_segments,
    customers,
    handoffs,
    messages,
    orders,
    tickets,
)

_ids = itertools.count(1)


def _token() -> str:
    return f"{next(_ids):04d}{uuid.uuid4().hex[:6]}"


class Records:
    """Inserts rows into ``engine`` with times relative to ``now`` (UTC)."""

    def __init__(self, engine: AsyncEngine, now: datetime) -> None:
        self.engine = engine
        self.now = now

    async def _insert(self, table: Any, rows: list[dict[str, Any]]) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(insert(table), rows)

    async def conversation(self, *, days_ago: float = 0, messages_in: int = 1) -> str:
        """A web conversation with ``messages_in`` customer messages and one reply."""
        conversation_id = f"web:dash-{_token()}"
        at = self.now - timedelta(days=days_ago)
        rows = [
            {
                "conversation_id": conversation_id,
                "direction": direction,
                "channel": "web",
                "text": "hello",
                "created_at": at,
            }
            for direction in ["in"] * messages_in + ["out"]
        ]
        await self._insert(messages, rows)
        return conversation_id

    async def handoff(
        self,
        conversation_id: str,
        *,
        reason: str = "customer_request",
        days_ago: float = 0,
        rating: int | None = None,
        sentiment: float | None = None,
    ) -> None:
        at = self.now - timedelta(days=days_ago)
        await self._insert(
            handoffs,
            [
                {
                    "conversation_id": conversation_id,
                    "channel": "web",
                    "external_id": conversation_id.split(":", 1)[1],
                    "language": "en",
                    "reason": reason,
                    "detail": {},
                    "status": "resolved",
                    "snapshot": {},
                    "sentiment": sentiment,
                    "rasa_state": "running",
                    "rating": rating,
                    "created_at": at,
                    "updated_at": at,
                }
            ],
        )

    async def complaint(
        self,
        *,
        category: str | None = "delivery_delay",
        severity: str | None = "high",
        days_ago: float = 0,
        sentiment: float | None = None,
        kind: str = "complaint",
    ) -> str:
        at = self.now - timedelta(days=days_ago)
        ticket_id = f"TK-DASH-{_token()}"
        payload: dict[str, Any] = {"text": "the parcel is late"}
        if sentiment is not None:
            payload["sentiment"] = sentiment
        await self._insert(
            tickets,
            [
                {
                    "id": ticket_id,
                    "kind": kind,
                    "status": "open",
                    "category": category,
                    "severity": severity,
                    "payload": payload,
                    "idempotency_key": ticket_id,
                    "created_at": at,
                    "updated_at": at,
                }
            ],
        )
        return ticket_id

    async def customer(self, *, segment: str | None = None) -> str:
        customer_id = f"D{_token()}"
        await self._insert(
            customers,
            [
                {
                    "id": customer_id,
                    "name": "Dash Test",
                    "language": "en",
                    "segment": "regular",
                    "created_at": self.now - timedelta(days=300),
                }
            ],
        )
        if segment is not None:
            await self._insert(
                customer_segments,
                [
                    {
                        "customer_id": customer_id,
                        "segment": segment,
                        "method": "kmeans",
                        "computed_at": self.now,
                    }
                ],
            )
        return customer_id

    async def order(
        self,
        customer_id: str,
        *,
        status: str = "delivered",
        total_cents: int = 10_000,
        shipped_days_ago: float | None = None,
        delivered_days_ago: float | None = None,
        eta_in_days: float | None = None,
        carrier: str | None = "SF Express",
    ) -> str:
        """An order; ``shipped_days_ago`` without ``delivered_days_ago``: a parcel on its way."""
        order_id = f"8{uuid.uuid4().int % 10**11:011d}"
        shipped = self.now - timedelta(days=shipped_days_ago) if shipped_days_ago else None
        created = (shipped or self.now) - timedelta(days=1)
        delivered = (
            self.now - timedelta(days=delivered_days_ago)
            if delivered_days_ago is not None
            else None
        )
        eta = self.now + timedelta(days=eta_in_days) if eta_in_days is not None else None
        await self._insert(
            orders,
            [
                {
                    "id": order_id,
                    "customer_id": customer_id,
                    "status": status,
                    "created_at": created,
                    "paid_at": created + timedelta(minutes=5),
                    "shipped_at": shipped,
                    "delivered_at": delivered,
                    "total_cents": total_cents,
                    "recipient": "Dash Test",
                    "phone": "19900000000",
                    "shipping_address": "1 Test Road, Shanghai",
                    "carrier": carrier if shipped else None,
                    "tracking_number": "SF0000000000" if shipped else None,
                    "eta": eta,
                }
            ],
        )
        return order_id
