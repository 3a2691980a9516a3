"""After-sales tickets: returns (with RMA number and return instructions), exchanges, refunds
and complaints, made from the policy's decisions and the complaint classifier's verdict.

The same request twice makes one ticket: the idempotency key is derived from the order, the
lines, the units already returned and the reason (or, for complaints, from the message).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.aftersales_policy import AftersalesPolicy
from bot.services.aftersales_refunds import quote_refund, returned_quantities
from bot.services.aftersales_terms import Payer, Plan, RequestKind, ReturnReason
from bot.services.complaints import Severity
from bot.services.ticket_notices import rma_number
from bot.services.tickets import (
    DEFAULT_TIMEZONE,
    TicketEvent,
    TicketNotifier,
    change_status,
    find_ticket_by_key,
    get_ticket,
    get_ticket_by_key,
    insert_ticket,
    list_tickets,
    notify_safely,
    serialized_writes,
)
from bot.services.types import Lang, Order, Ticket
from bot.storage.schema import tickets

_ATTEMPTS = 5
POLICY_ACTOR = "system:policy"


@dataclass(frozen=True)
class Requester:
    """Where a request came from: the customer's channel, conversation and language."""

    customer_id: str | None
    channel: str | None
    sender_id: str | None
    lang: Lang
    text: str = ""


@dataclass(frozen=True)
class Replacement:
    """The variant an exchange sends out instead (same product, another size or colour)."""

    sku: str | None
    size: str | None = None
    color: str | None = None


async def returned_so_far(engine: AsyncEngine, order: Order) -> dict[int, int]:
    """Units per line of ``order`` already returned or on their way back."""
    return returned_quantities(order, await list_tickets(engine, order_id=order.id, limit=1000))


def request_key(kind: str, order_id: str, lines: Sequence[tuple[int, int]], reason: str) -> str:
    """The default idempotency key of an after-sales request: what was asked, not the answer.

    A retried request therefore finds its ticket even though the items now count as returned.
    Callers that let a customer ask the same thing twice on purpose (one unit now, another
    later) pass their own key, e.g. one per conversation message.
    """
    spec = ",".join(f"{line}x{quantity}" for line, quantity in sorted(lines))
    return f"{kind}:{order_id}:{spec}:{reason}"


def _plan_lines(plan: Plan) -> list[tuple[int, int]]:
    return [(d.line, d.quantity) for d in plan.decisions]


async def _create_with_approval(
    engine: AsyncEngine,
    *,
    kind: str,
    order: Order,
    requester: Requester,
    category: str,
    payload: dict[str, Any],
    key: str,
    approve: bool,
    note: str,
    with_rma: bool,
    policy: AftersalesPolicy,
    notifier: TicketNotifier | None,
    now: datetime | None,
) -> Ticket:
    """Create the ticket as "requested" and, when ``approve``, approve it in the same step.

    The RMA number and the instructions need the ticket's id, so they are added right after
    the insert, in the same transaction.
    """
    events: list[tuple[Ticket, TicketEvent]] = []
    for _ in range(_ATTEMPTS):
        events.clear()
        try:
            async with serialized_writes(engine), engine.begin() as conn:
                existing = await find_ticket_by_key(conn, key)
                if existing is not None:
                    return existing
                ticket = await insert_ticket(
                    conn,
                    kind=kind,
                    order_id=order.id,
                    customer_id=requester.customer_id or order.customer_id,
                    status="requested",
                    category=category,
                    payload=payload,
                    channel=requester.channel,
                    sender_id=requester.sender_id,
                    idempotency_key=key,
                    actor="customer" if requester.sender_id else "system",
                    now=now,
                    timezone=policy.zone,
                )
                if with_rma:
                    payload = {**payload, **_return_details(policy, order, ticket.id, payload)}
                    await conn.execute(
                        update(tickets).where(tickets.c.id == ticket.id).values(payload=payload)
                    )
                    ticket = replace(ticket, payload=payload)
                if approve:
                    done = await change_status(
                        conn, ticket.id, "approved", actor=POLICY_ACTOR, note=note, now=now
                    )
                    ticket = done.ticket
                    if done.event is not None:
                        events.append((ticket, done.event))
            break
        except IntegrityError:
            continue  # a concurrent request took the key or the id; look again
    else:
        raise RuntimeError(f"could not create a {kind} ticket for {key!r} after {_ATTEMPTS} tries")
    if notifier is not None:
        for changed, event in events:
            await notify_safely(notifier, changed, event)
    return ticket


def _return_details(
    policy: AftersalesPolicy, order: Order, ticket_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """RMA number, return address and the instructions in both languages."""
    rules = policy.rules
    rma = rma_number(ticket_id)
    payer: Payer = "shop" if payload.get("return_shipping_paid_by") == "shop" else "customer"
    items = [order.items[entry["line"]] for entry in payload.get("items", [])]
    return {
        "rma": rma,
        "return_address": {
            "recipient": rules.return_recipient,
            "recipient_zh": rules.return_recipient_zh,
            "phone": rules.return_phone,
            "address": rules.return_address,
            "address_zh": rules.return_address_zh,
        },
        "instructions": {
            lang: policy.instructions(rma, payer, items, lang) for lang in ("zh", "en")
        },
    }


def _plan_payload(order: Order, plan: Plan, requester: Requester) -> dict[str, Any]:
    refund_by_line = {r.line: r for r in plan.refund.lines} if plan.refund else {}
    items = []
    for decision in plan.allowed:
        item = order.items[decision.line]
        entry: dict[str, Any] = {
            "line": decision.line,
            "product_id": item.product_id,
            "sku": item.variant_sku,
            "quantity": decision.quantity,
            "decision": decision.kind,
            "reason_code": decision.reason_code,
            "last_day": decision.last_day.isoformat() if decision.last_day else None,
        }
        if decision.line in refund_by_line:
            entry["refund_cents"] = refund_by_line[decision.line].refund_cents
            entry["discount_cents"] = refund_by_line[decision.line].discount_cents
        items.append(entry)
    payload: dict[str, Any] = {
        "reason": plan.reason,
        "items": items,
        "refused": [
            {"line": d.line, "quantity": d.quantity, "reason_code": d.reason_code}
            for d in plan.refused
        ],
        "return_shipping_paid_by": plan.return_shipping_paid_by,
        "text": requester.text,
        "language": requester.lang,
    }
    if plan.refund is not None:
        payload["refund"] = {
            "items_cents": plan.refund.items_cents,
            "shipping_cents": plan.refund.shipping_cents,
            "total_cents": plan.refund.total_cents,
            "method": plan.refund.method,
        }
    return payload


def _check_plan(order: Order, plan: Plan, kind: str) -> None:
    if plan.order_id != order.id or plan.requested != kind:
        raise ValueError(
            f"expected a {kind} plan for order {order.id}, got a {plan.requested} plan for "
            f"order {plan.order_id}"
        )
    if not plan.allowed:
        codes = [d.reason_code for d in plan.refused]
        raise ValueError(
            f"nothing in this {kind} request is allowed ({codes}); show the customer the "
            "decisions' reasons and alternatives instead of opening a ticket"
        )


async def open_return(
    engine: AsyncEngine,
    policy: AftersalesPolicy,
    order: Order,
    plan: Plan,
    requester: Requester,
    *,
    key: str | None = None,
    auto_approve: bool = True,
    notifier: TicketNotifier | None = None,
    now: datetime | None = None,
) -> Ticket:
    """A return ticket for the allowed lines of ``plan``, with RMA number and instructions.

    Allowed by the policy, it is approved at once (``auto_approve``) by "system:policy";
    otherwise it waits for staff. The same request again (``key``, by default
    :func:`request_key`) returns the ticket made the first time.
    """
    key = key or request_key("return", order.id, _plan_lines(plan), plan.reason)
    return await _open_planned(
        engine, policy, "return", order, plan, requester, {}, key, auto_approve, notifier, now
    )


async def open_exchange(
    engine: AsyncEngine,
    policy: AftersalesPolicy,
    order: Order,
    plan: Plan,
    requester: Requester,
    replacements: dict[int, Replacement] | None = None,
    *,
    key: str | None = None,
    auto_approve: bool = True,
    notifier: TicketNotifier | None = None,
    now: datetime | None = None,
) -> Ticket:
    """An exchange ticket (the item comes back with an RMA number; the replacement goes out)."""
    chosen = replacements or {}
    wanted = ",".join(f"{line}:{r.sku or ''}" for line, r in sorted(chosen.items()))
    key = key or request_key("exchange", order.id, _plan_lines(plan), plan.reason) + (
        f":{_digest(wanted)}"
    )
    return await _open_planned(
        engine, policy, "exchange", order, plan, requester, chosen, key, auto_approve, notifier, now
    )


async def _open_planned(
    engine: AsyncEngine,
    policy: AftersalesPolicy,
    kind: RequestKind,
    order: Order,
    plan: Plan,
    requester: Requester,
    replacements: dict[int, Replacement],
    key: str,
    auto_approve: bool,
    notifier: TicketNotifier | None,
    now: datetime | None,
) -> Ticket:
    """The ticket of a return or exchange ``plan`` (with ``replacements`` for an exchange's
    lines), or the one made before under ``key``."""
    existing = await get_ticket_by_key(engine, key)
    if existing is not None:
        return existing
    _check_plan(order, plan, kind)
    unknown = set(replacements) - {d.line for d in plan.allowed}
    if unknown:
        raise ValueError(f"replacements given for lines {sorted(unknown)} not in the exchange")
    payload = _plan_payload(order, plan, requester)
    for entry in payload["items"]:
        replacement = replacements.get(entry["line"])
        if replacement is not None:
            entry["replacement"] = {
                "sku": replacement.sku,
                "size": replacement.size,
                "color": replacement.color,
            }
    return await _create_with_approval(
        engine,
        kind=kind,
        order=order,
        requester=requester,
        category=plan.reason,
        payload=payload,
        key=key,
        approve=auto_approve,
        note=_policy_note(plan),
        with_rma=True,
        policy=policy,
        notifier=notifier,
        now=now,
    )


async def open_refund(
    engine: AsyncEngine,
    policy: AftersalesPolicy,
    order: Order,
    lines: Sequence[tuple[int, int]],
    reason: ReturnReason,
    requester: Requester,
    *,
    key: str | None = None,
    notifier: TicketNotifier | None = None,
    now: datetime | None = None,
) -> Ticket:
    """A refund without a return (an item missing from the parcel, never delivered, ...).

    Priced like a partial return, so the discount is shared out the same way; staff approve
    it after checking (it stays "requested"). Raises ValueError when the units were already
    returned or refunded.
    """
    key = key or request_key("refund", order.id, lines, reason)
    existing = await get_ticket_by_key(engine, key)
    if existing is not None:
        return existing
    returned = await returned_so_far(engine, order)
    quote = quote_refund(order, lines, returned)
    payload = {
        "reason": reason,
        "items": [
            {
                "line": r.line,
                "product_id": order.items[r.line].product_id,
                "sku": order.items[r.line].variant_sku,
                "quantity": r.quantity,
                "refund_cents": r.refund_cents,
                "discount_cents": r.discount_cents,
            }
            for r in quote.lines
        ],
        "refund": {
            "items_cents": quote.items_cents,
            "shipping_cents": quote.shipping_cents,
            "total_cents": quote.total_cents,
            "method": quote.method,
        },
        "text": requester.text,
        "language": requester.lang,
    }
    return await _create_with_approval(
        engine,
        kind="refund",
        order=order,
        requester=requester,
        category=reason,
        payload=payload,
        key=key,
        approve=False,
        note="",
        with_rma=False,
        policy=policy,
        notifier=notifier,
        now=now,
    )


def _policy_note(plan: Plan) -> str:
    codes = sorted({d.reason_code for d in plan.allowed})
    return "allowed by the after-sales policy: " + ", ".join(codes)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# Complaints -------------------------------------------------------------------------------------
async def complaint_count(
    engine: AsyncEngine, customer_id: str | None, *, days: int, now: datetime | None = None
) -> int:
    """The customer's complaints in the last ``days`` days (their history, for severity)."""
    if not customer_id or days <= 0:
        return 0
    since = (now or datetime.now(UTC)) - timedelta(days=days)
    query = select(func.count()).where(
        tickets.c.kind == "complaint",
        tickets.c.customer_id == customer_id,
        tickets.c.created_at >= since,
    )
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def open_complaint(
    engine: AsyncEngine,
    severity: Severity,
    requester: Requester,
    *,
    order_id: str | None,
    key: str,
    now: datetime | None = None,
    timezone: str = DEFAULT_TIMEZONE,
) -> Ticket:
    """A complaint ticket: its type as category, severity, SLA deadline and why (its id carries
    the day in ``timezone``, the shop's configured ``shop.timezone``).

    High and critical complaints are flagged ``needs_human`` for staff (and the handoff).
    """
    created = now or datetime.now(UTC)
    payload = {
        "text": requester.text,
        "language": requester.lang,
        "type": severity.complaint_type,
        "type_confidence": round(severity.confidence, 4),
        "sentiment": severity.sentiment,
        "severity_points": severity.points,
        "severity_factors": list(severity.factors),
        "needs_human": severity.needs_human,
    }
    for _ in range(_ATTEMPTS):
        try:
            async with serialized_writes(engine), engine.begin() as conn:
                ticket = await insert_ticket(
                    conn,
                    kind="complaint",
                    order_id=order_id,
                    customer_id=requester.customer_id,
                    status="requested",
                    category=severity.complaint_type,
                    payload=payload,
                    channel=requester.channel,
                    sender_id=requester.sender_id,
                    idempotency_key=key,
                    severity=severity.level,
                    sla_due_at=created + severity.sla,
                    now=created,
                    timezone=timezone,
                )
            break
        except IntegrityError:
            continue
    else:
        raise RuntimeError(f"could not create a complaint ticket for {key!r}")
    return ticket


async def attach_evidence(engine: AsyncEngine, ticket_id: str, photos: Sequence[str]) -> Ticket:
    """Add the customer's photos (URLs) to a ticket's payload under ``photos``, once each."""
    async with serialized_writes(engine), engine.begin() as conn:
        row = (
            await conn.execute(select(tickets.c.payload).where(tickets.c.id == ticket_id))
        ).first()
        if row is None:
            raise ValueError(f"there is no ticket {ticket_id!r} to attach photos to")
        payload = dict(row.payload or {})
        known = [str(url) for url in payload.get("photos") or []]
        payload["photos"] = [*known, *(url for url in photos if url not in known)]
        await conn.execute(update(tickets).where(tickets.c.id == ticket_id).values(payload=payload))
    ticket = await get_ticket(engine, ticket_id)
    if ticket is None:
        raise ValueError(f"ticket {ticket_id!r} disappeared while attaching photos")
    return ticket
