"""The tickets' state machine: which statuses each kind of ticket goes through, which changes
are allowed, and the errors of a refused change."""

from __future__ import annotations

from collections.abc import Mapping

from bot.services.types import Ticket

SEVERITIES: tuple[str, ...] = ("low", "medium", "high", "critical")

_GOODS_BACK = {
    "requested": frozenset({"approved", "rejected", "cancelled"}),
    "approved": frozenset({"item_received", "cancelled"}),
    # The returned item fails the check (used, damaged by the customer): refused after all.
    "item_received": frozenset({"rejected"}),
    "rejected": frozenset({"closed"}),
    "cancelled": frozenset(),
    "closed": frozenset(),
}

TRANSITIONS: Mapping[str, Mapping[str, frozenset[str]]] = {
    "return": {
        **_GOODS_BACK,
        "item_received": _GOODS_BACK["item_received"] | {"refunded"},
        "refunded": frozenset({"closed"}),
    },
    "exchange": {
        **_GOODS_BACK,
        "item_received": _GOODS_BACK["item_received"] | {"exchanged"},
        "exchanged": frozenset({"closed"}),
    },
    # A refund without sending anything back (missing item, price protection).
    "refund": {
        "requested": frozenset({"approved", "rejected", "cancelled"}),
        "approved": frozenset({"refunded"}),
        "refunded": frozenset({"closed"}),
        "rejected": frozenset({"closed"}),
        "cancelled": frozenset(),
        "closed": frozenset(),
    },
    "complaint": {
        "requested": frozenset({"in_progress"}),
        "in_progress": frozenset({"resolved"}),
        "resolved": frozenset({"closed", "in_progress"}),  # back in progress: not solved after all
        "closed": frozenset(),
    },
    # Cancellations are approved when made; a paid order's money then goes back.
    "cancellation": {
        "approved": frozenset({"refunded", "closed"}),
        "refunded": frozenset({"closed"}),
        "closed": frozenset(),
    },
}
# Statuses written before the state machine existed, read as the state they meant.
LEGACY_STATUSES: Mapping[str, Mapping[str, str]] = {"complaint": {"open": "requested"}}
FINAL_STATUSES = frozenset({"closed", "cancelled"})
STAFF_ACTOR_PREFIX = "staff:"


class TicketError(Exception):
    """A ticket operation that cannot be done; subclasses say why."""


class TicketNotFound(TicketError):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"there is no ticket {ticket_id!r}")
        self.ticket_id = ticket_id


class InvalidTransition(TicketError):
    """The ticket's kind does not allow going from its current status to the one asked for."""

    def __init__(self, ticket: Ticket, to_status: str, allowed: tuple[str, ...]) -> None:
        options = ", ".join(allowed) if allowed else "none, the ticket is final"
        super().__init__(
            f"a {ticket.kind} ticket cannot go from {ticket.status!r} to {to_status!r}; "
            f"allowed next: {options}"
        )
        self.ticket = ticket
        self.to_status = to_status
        self.allowed = allowed


def _machine(kind: str) -> Mapping[str, frozenset[str]] | None:
    return TRANSITIONS.get(kind)


def effective_status(kind: str, status: str) -> str:
    """The state-machine status of a stored status (legacy names mapped)."""
    return LEGACY_STATUSES.get(kind, {}).get(status, status)


def allowed_transitions(kind: str, status: str) -> tuple[str, ...]:
    """The statuses a ``kind`` ticket in ``status`` may go to next, in a stable order.

    Kinds without their own machine (address changes, messages, feedback, data requests)
    can only be closed.
    """
    machine = _machine(kind)
    if machine is None:
        return () if status in FINAL_STATUSES else ("closed",)
    return tuple(sorted(machine.get(effective_status(kind, status), frozenset())))


def states_of(kind: str) -> tuple[str, ...]:
    """Every status a ``kind`` ticket can be in (empty for kinds without a machine)."""
    machine = _machine(kind)
    return () if machine is None else tuple(machine)
