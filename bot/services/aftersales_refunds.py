"""After-sales money: a refund's share of the order's discount, split in whole cents so the parts
always add up to what was paid, and how many units of each line are already being returned."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from bot.services.aftersales_terms import VOID_STATUSES, RefundLine, RefundQuote
from bot.services.types import Order, OrderItem, Ticket


# Money -----------------------------------------------------------------------------------------
def allocate(total: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split ``total`` cents in proportion to ``weights``; the parts sum to ``total`` exactly.

    Each part gets the floor of its exact share; the cents left over go one each to the parts
    with the largest remainders, the earlier part first on a tie (largest remainder method).
    """
    if total < 0 or any(w < 0 for w in weights):
        raise ValueError(f"total and weights must not be negative, got {total} and {weights}")
    whole = sum(weights)
    if whole == 0:
        if total:
            raise ValueError(f"cannot split {total} over weights that are all zero")
        return tuple(0 for _ in weights)
    parts = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return tuple(parts)


def _unit_discounts(line_discount: int, quantity: int) -> list[int]:
    """The line's discount per unit; the first units carry the odd cents."""
    base, extra = divmod(line_discount, quantity)
    return [base + (1 if k < extra else 0) for k in range(quantity)]


def line_discounts(order: Order) -> tuple[int, ...]:
    """The order's discount shared out over its lines in proportion to their list value."""
    return allocate(
        order.discount_cents, [item.unit_price_cents * item.quantity for item in order.items]
    )


def quote_refund(
    order: Order,
    items: Sequence[tuple[int, int]],
    already_returned: Mapping[int, int] | None = None,
    *,
    refund_shipping: bool = False,
) -> RefundQuote:
    """The refund for returning ``items`` ((line, quantity) pairs) of ``order``.

    Units of a line are returned in order, so the units already returned keep their share of
    the discount and every later part gets the rest: returning an order piece by piece refunds
    exactly what a full return does. ``refund_shipping`` adds the original delivery fee.
    """
    returned = dict(already_returned or {})
    shares = line_discounts(order)
    lines: list[RefundLine] = []
    for line, quantity in items:
        item = order_line(order, line)
        done = returned.get(line, 0)
        if quantity < 1 or done + quantity > item.quantity:
            raise ValueError(
                f"line {line} of order {order.id} has {item.quantity} units, {done} already "
                f"returned; cannot refund {quantity} more"
            )
        unit = _unit_discounts(shares[line], item.quantity)
        discount = sum(unit[done : done + quantity])
        list_cents = item.unit_price_cents * quantity
        lines.append(RefundLine(line, quantity, list_cents, discount, list_cents - discount))
        returned[line] = done + quantity
    items_cents = sum(r.refund_cents for r in lines)
    shipping = order.shipping_cents if refund_shipping else 0
    return RefundQuote(
        lines=tuple(lines),
        items_cents=items_cents,
        shipping_cents=shipping,
        total_cents=items_cents + shipping,
        method=order.payment_method,
    )


def returned_quantities(order: Order, tickets: Iterable[Ticket]) -> dict[int, int]:
    """Units per line of ``order`` already returned or on their way back.

    Counts return and refund tickets of the order unless rejected or cancelled. Their payload
    lists ``items`` as ``{"line", "quantity"}``; older tickets name ``product_id``/``sku``
    instead and count against the first line of that product.
    """
    counts: dict[int, int] = {}
    for ticket in tickets:
        if ticket.order_id != order.id or ticket.kind not in ("return", "refund"):
            continue
        if ticket.status in VOID_STATUSES:
            continue
        for entry in ticket.payload.get("items") or ():
            if not isinstance(entry, dict):
                continue
            line = _line_of(order, entry)
            quantity = entry.get("quantity", 1)
            if line is None or not isinstance(quantity, int) or quantity < 1:
                continue
            limit = order.items[line].quantity
            counts[line] = min(limit, counts.get(line, 0) + quantity)
    return counts


def _line_of(order: Order, entry: Mapping[str, object]) -> int | None:
    line = entry.get("line")
    if isinstance(line, int) and 0 <= line < len(order.items):
        return line
    for index, item in enumerate(order.items):
        if item.product_id == entry.get("product_id") and item.variant_sku == entry.get("sku"):
            return index
    return None


def order_line(order: Order, line: int) -> OrderItem:
    if not 0 <= line < len(order.items):
        raise ValueError(
            f"order {order.id} has lines 0-{len(order.items) - 1}, got line {line}; "
            "pick a line from order.items"
        )
    return order.items[line]
