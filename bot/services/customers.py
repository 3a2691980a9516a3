"""Who is talking: customers and their identities on the channels."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.types import Customer
from bot.services.web_identity import is_guest
from bot.storage.db import one_statement
from bot.storage.schema import customers, identities


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        name_zh=row.name_zh,
        phone=row.phone,
        email=row.email,
        language=row.language,
        segment=row.segment,
    )


_COLUMNS = (
    customers.c.id,
    customers.c.name,
    customers.c.name_zh,
    customers.c.phone,
    customers.c.email,
    customers.c.language,
    customers.c.segment,
)


async def resolve_customer(engine: AsyncEngine, channel: str, external_id: str) -> Customer | None:
    """The customer behind ``external_id`` on ``channel`` ("web", "demo-liwei"), if known.
    Web guest ids ("guest-...") are nobody, whatever the ``identities`` table holds."""
    if is_guest(channel, external_id):
        return None
    query = (
        select(*_COLUMNS)
        .join(identities, identities.c.customer_id == customers.c.id)
        .where(identities.c.channel == channel, identities.c.external_id == external_id)
    )
    async with one_statement(engine) as conn:
        row = (await conn.execute(query)).first()
    return None if row is None else _customer(row)


async def get_customer(engine: AsyncEngine, customer_id: str) -> Customer | None:
    """The customer with id ``customer_id`` ("C0001"), if any."""
    async with engine.connect() as conn:
        row = (await conn.execute(select(*_COLUMNS).where(customers.c.id == customer_id))).first()
    return None if row is None else _customer(row)
