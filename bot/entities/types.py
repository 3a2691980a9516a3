"""The entity record every finder returns, and the order overlapping finds are settled in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Entity types, in the order a tie between two equally long overlapping finds is settled.
TYPES = (
    "email",
    "order_id",
    "phone",
    "address",
    "recipient",
    "date",
    "money",
    "product",
    "size",
    "quantity",
)
PRIORITY = {name: i for i, name in enumerate(TYPES)}


@dataclass(frozen=True)
class Entity:
    """One entity: its type, the characters ``text[start:end]`` and a normalised ``value``
    (a string, a number, or a dict for addresses and money)."""

    type: str
    text: str
    start: int
    end: int
    value: Any

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "value": self.value,
        }

    def overlaps(self, other: Entity) -> bool:
        return self.start < other.end and other.start < self.end


# Exact identifiers: kept before any other find that overlaps them, however long ("查不到
# 260499999999" is an order number, not money "不到 260499999999").
IDENTIFIERS = frozenset({"email", "order_id", "phone"})


def settle(found: list[Entity]) -> list[Entity]:
    """Non-overlapping entities in text order: identifiers first, then the longer find wins,
    then the type listed first in :data:`TYPES`."""
    kept: list[Entity] = []
    order = sorted(
        found,
        key=lambda e: (e.type not in IDENTIFIERS, -(e.end - e.start), PRIORITY[e.type], e.start),
    )
    for entity in order:
        if entity.end > entity.start and not any(entity.overlaps(k) for k in kept):
            kept.append(entity)
    return sorted(kept, key=lambda e: (e.start, e.end))
