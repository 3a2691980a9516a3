"""What the customer is told when a ticket changes: the notice in their language, with the RMA
number and return instructions, the refund, or when to expect an answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.i18n import (
    as_lang,
    fmt_datetime,
    money,
    payment_name,
    t,
    text_keys,
    ticket_kind_name,
)
from bot.services.tickets import DEFAULT_TIMEZONE, TicketEvent
from bot.services.types import Lang, Ticket


# What the customer is told -----------------------------------------------------------------------
def rma_number(ticket_id: str) -> str:
    """The return authorisation number of a ticket: "TK-20260421-0003" -> "RMA-20260421-0003"."""
    prefix = "TK-"
    return "RMA-" + (ticket_id[len(prefix) :] if ticket_id.startswith(prefix) else ticket_id)


def ticket_language(ticket: Ticket, default: Lang = "zh") -> Lang:
    """The language the customer used when the ticket was made."""
    value = ticket.payload.get("language")
    return as_lang(value) if value in ("zh", "en") else default


def customer_notice(
    ticket: Ticket, event: TicketEvent, lang: Lang | None = None, timezone: str = DEFAULT_TIMEZONE
) -> str:
    """The message telling the customer about ``event`` in their language.

    Approved returns and exchanges repeat the RMA number and how to send the item back;
    refunds say the amount and where it goes; complaints in progress say when to expect an
    answer. Staff notes stay internal.
    """
    lang = lang or ticket_language(ticket)
    zone = timezone
    kind = ticket_kind_name(ticket.kind, lang)
    kind = kind if lang == "zh" else kind.lower()
    status = event.to_status
    payload = ticket.payload
    parts: list[str] = []
    if ticket.kind == "complaint" and status == "requested":
        topic = t(f"complaint.type.{ticket.category}", lang) if _known_type(ticket) else ""
        parts.append(
            t(
                "ticket.notify.complaint_requested",
                lang,
                topic=topic or t("complaint.type.other", lang),
                ticket_id=ticket.id,
                due=_due(ticket, lang, zone),
            )
        )
    elif ticket.kind == "complaint" and status == "in_progress":
        parts.append(
            t("ticket.notify.in_progress", lang, ticket_id=ticket.id, due=_due(ticket, lang, zone))
        )
    elif status == "refunded" and (refund := _refund(payload)) is not None:
        parts.append(
            t(
                "ticket.notify.refunded_amount",
                lang,
                ticket_id=ticket.id,
                amount=money(refund[0]),
                method=payment_name(refund[1], lang),
            )
        )
    else:
        key = f"ticket.notify.{status}"
        try:
            parts.append(t(key, lang, kind=kind, ticket_id=ticket.id))
        except ValueError:
            # A status without its own text (kinds outside the machine): say it plainly.
            parts.append(t("ticket.notify.requested", lang, kind=kind, ticket_id=ticket.id))
    if status == "approved" and ticket.kind in ("return", "exchange"):
        instructions = payload.get("instructions")
        if isinstance(instructions, dict) and isinstance(instructions.get(lang), str):
            parts.append(instructions[lang])
    return ("" if lang == "zh" else " ").join(parts)


def _known_type(ticket: Ticket) -> bool:
    return f"complaint.type.{ticket.category}" in text_keys()


def _due(ticket: Ticket, lang: Lang, zone: str) -> str:
    if ticket.sla_due_at is None:
        return t("ticket.due_soon", lang)
    return fmt_datetime(ticket.sla_due_at, lang, zone)


def _refund(payload: Mapping[str, Any]) -> tuple[int, str] | None:
    """(amount in cents, payment method) of the refund a ticket recorded, if any."""
    refund = payload.get("refund")
    if isinstance(refund, dict) and isinstance(refund.get("total_cents"), int):
        return int(refund["total_cents"]), str(refund.get("method") or "")
    return None
