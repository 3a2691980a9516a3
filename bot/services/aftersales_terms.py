"""The after-sales policy's vocabulary: request kinds, return reasons, and the values it answers
with (windows, decisions and their alternatives, refund quotes, plans)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

from bot.i18n import money, payment_name, t
from bot.services.types import Lang

RequestKind = Literal["return", "exchange", "repair"]
DecisionKind = Literal["return", "exchange", "repair", "refused"]
ReturnReason = Literal[
    "no_reason",  # changed their mind, no longer needed (七天无理由)
    "size_or_fit",  # wrong size or colour chosen by the customer
    "quality_problem",
    "damaged_in_transit",
    "wrong_item",
    "not_as_described",
]
ReasonCode = Literal[
    "no_reason_return",
    "no_reason_exchange",
    "quality_return",
    "quality_exchange",
    "warranty_repair",
    "return_window_passed",
    "exchange_window_passed",
    "quality_return_window_passed",
    "quality_exchange_window_passed",
    "out_of_warranty",
    "no_warranty",
    "category_not_returnable",
    "customised",
    "opened",
    "not_delivered",
    "order_closed",
    "already_returned",
    "quantity_exceeds",
]
AlternativeKind = Literal["exchange", "warranty_repair", "intercept", "cancel_order"]
Payer = Literal["shop", "customer"]
WindowState = Literal["open", "expired", "not_delivered", "closed"]

REQUEST_KINDS: tuple[str, ...] = get_args(RequestKind)
RETURN_REASONS: tuple[str, ...] = get_args(ReturnReason)
# A fault of the goods or of the shop: the quality windows apply, category limits do not.
QUALITY_REASONS: frozenset[str] = frozenset(
    {"quality_problem", "damaged_in_transit", "wrong_item", "not_as_described"}
)
COMPLAINT_SEVERITIES = ("low", "medium", "high", "critical")
# Ticket statuses after which a return no longer counts against the order's items.
VOID_STATUSES = frozenset({"rejected", "cancelled"})
SHIPPED_STATUSES = frozenset({"shipped", "in_transit"})
UNSHIPPED_STATUSES = frozenset({"pending_payment", "paid"})


# Values --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReturnWindow:
    """Whether a no-reason return or exchange is still open, and its last moment (the end of
    the window's last calendar day in the shop's timezone; None before delivery)."""

    state: WindowState
    deadline: datetime | None


@dataclass(frozen=True)
class Alternative:
    """Something else the customer can do when the request is refused."""

    kind: AlternativeKind
    until: date | None  # last day it is possible, in the shop's timezone
    text_zh: str
    text_en: str

    def text(self, lang: Lang) -> str:
        return self.text_zh if lang == "zh" else self.text_en


@dataclass(frozen=True)
class Decision:
    """The policy's answer for one order line.

    ``kind`` is what is granted ("refused" when nothing is); ``reason_code`` says why and
    ``reason_zh``/``reason_en`` say it to the customer. ``last_day`` is the last day of the
    window that decided (shop timezone); ``return_shipping_paid_by`` is None when nothing
    goes back to the shop.
    """

    line: int
    quantity: int
    requested: RequestKind
    kind: DecisionKind
    reason_code: ReasonCode
    reason_zh: str
    reason_en: str
    alternatives: tuple[Alternative, ...] = ()
    last_day: date | None = None
    days_since_delivery: int | None = None
    return_shipping_paid_by: Payer | None = None

    @property
    def allowed(self) -> bool:
        return self.kind != "refused"

    def reason(self, lang: Lang) -> str:
        return self.reason_zh if lang == "zh" else self.reason_en

    def message(self, lang: Lang) -> str:
        """The reason followed by the alternatives, as one paragraph for the customer."""
        sep = "" if lang == "zh" else " "
        return sep.join([self.reason(lang), *(alt.text(lang) for alt in self.alternatives)])


@dataclass(frozen=True)
class RefundLine:
    line: int
    quantity: int
    list_cents: int  # unit price x quantity
    discount_cents: int  # this part's share of the order discount
    refund_cents: int


@dataclass(frozen=True)
class RefundQuote:
    lines: tuple[RefundLine, ...]
    items_cents: int
    shipping_cents: int  # the original delivery fee, when it is refunded too
    total_cents: int
    method: str  # the order's payment method: refunds go back the way the money came

    def text(self, lang: Lang) -> str:
        return t(
            "aftersales.refund",
            lang,
            amount=money(self.total_cents),
            method=payment_name(self.method, lang),
        )


@dataclass(frozen=True)
class ItemRequest:
    """One order line (index into ``order.items``) and how many of its units."""

    line: int
    quantity: int = 1
    opened: bool = False
    customised: bool = False
    # The product's own warranty when it states one (specs "Warranty: 2 years"), in days.
    warranty_days: int | None = None


@dataclass(frozen=True)
class Plan:
    """Decisions for every requested line, and the refund of the allowed returns."""

    order_id: str
    requested: RequestKind
    reason: ReturnReason
    decisions: tuple[Decision, ...]
    refund: RefundQuote | None  # only for returns with at least one allowed line
    return_shipping_paid_by: Payer | None

    @property
    def allowed(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if d.allowed)

    @property
    def refused(self) -> tuple[Decision, ...]:
        return tuple(d for d in self.decisions if not d.allowed)
