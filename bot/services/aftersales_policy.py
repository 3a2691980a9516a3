"""After-sales policy: may this item be returned, exchanged or repaired, and for how much?

Plain functions of an order, the request and the current time; the rules and windows come from
``config.yml`` (:class:`bot.config.AftersalesConfig`). Defaults follow common Chinese
e-commerce rules:

- 7-day no-reason return from delivery, except non-returnable categories (underwear, food),
  customised goods and opened digital goods or cosmetics;
- a quality problem (or damage in transit, a wrong item, an item not as described): refund
  within 7 days, exchange within 15 days, then free repair while the category's warranty runs;
- the shop pays the return shipping when the fault is the shop's, the customer otherwise;
- refunds go back to the original payment method; a partial return gets its share of the
  order's discount, split in whole cents so the parts always add up to what was paid.

Windows are counted in calendar days in the shop's timezone, starting the day after delivery:
with a 7-day window, delivery on the 1st allows a return until the end of the 8th (day 7) and
refuses it on the 9th (day 8). Every decision carries the reason shown to the customer in
Chinese and English, and the alternatives offered (exchange, warranty repair, ...).

The values it answers with are in :mod:`bot.services.aftersales_terms`, the money in
:mod:`bot.services.aftersales_refunds`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import AftersalesConfig, Config, ConfigError
from bot.i18n import category_name, join_list, status_name, t
from bot.services.aftersales_refunds import order_line, quote_refund
from bot.services.aftersales_terms import (
    COMPLAINT_SEVERITIES,
    QUALITY_REASONS,
    REQUEST_KINDS,
    RETURN_REASONS,
    SHIPPED_STATUSES,
    UNSHIPPED_STATUSES,
    Alternative,
    AlternativeKind,
    Decision,
    DecisionKind,
    ItemRequest,
    Payer,
    Plan,
    ReasonCode,
    RequestKind,
    ReturnReason,
    ReturnWindow,
)
from bot.services.types import Lang, Order, OrderItem


# Configuration ---------------------------------------------------------------------------------
def check_config(cfg: AftersalesConfig) -> None:
    """Raise :class:`ConfigError` naming the setting when the after-sales rules are unusable."""
    for name in ("return_days", "quality_return_days", "quality_exchange_days"):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"`aftersales.{name}` must be 0 or more, got {getattr(cfg, name)}")
    for category, days in cfg.warranty_days.items():
        if days < 0:
            raise ConfigError(f"`aftersales.warranty_days.{category}` must be 0 or more: {days}")
    unknown = set(cfg.shop_pays_shipping_reasons) - set(RETURN_REASONS)
    if unknown:
        raise ConfigError(
            f"`aftersales.shop_pays_shipping_reasons` has unknown reasons {sorted(unknown)}; "
            f"known: {list(RETURN_REASONS)}"
        )
    missing = set(COMPLAINT_SEVERITIES) - set(cfg.complaint_sla_hours)
    extra = set(cfg.complaint_sla_hours) - set(COMPLAINT_SEVERITIES)
    if missing or extra:
        raise ConfigError(
            "`aftersales.complaint_sla_hours` needs exactly the severities "
            f"{list(COMPLAINT_SEVERITIES)}; missing {sorted(missing)}, unknown {sorted(extra)}"
        )
    for severity, hours in cfg.complaint_sla_hours.items():
        if hours <= 0:
            raise ConfigError(f"`aftersales.complaint_sla_hours.{severity}` must be > 0: {hours}")
    if cfg.complaint_history_days < 0:
        raise ConfigError(
            f"`aftersales.complaint_history_days` must be 0 or more: {cfg.complaint_history_days}"
        )


def warranty_days_from_spec(text: str | None) -> int | None:
    """Days of a product's stated warranty ("1 year", "2 years", "6 months", "1 年", "6 个月")."""
    if not text:
        return None
    match = re.search(r"(\d+)\s*(years?|年|months?|个月|月|days?|天)", text, re.IGNORECASE)
    if match is None:
        return None
    number, unit = int(match.group(1)), match.group(2).lower()
    if unit.startswith("year") or unit == "年":
        return number * 365
    if unit.startswith("month") or unit in ("个月", "月"):
        return number * 30
    return number


# The rules -------------------------------------------------------------------------------------
class AftersalesPolicy:
    """The shop's after-sales rules in its timezone; build with :meth:`from_config`."""

    def __init__(self, rules: AftersalesConfig, timezone: str) -> None:
        check_config(rules)
        self.rules = rules
        self.zone = ZoneInfo(timezone)

    @classmethod
    def from_config(cls, cfg: Config) -> AftersalesPolicy:
        return cls(cfg.aftersales, cfg.shop.timezone)

    # Windows ---------------------------------------------------------------------------------
    def local_day(self, moment: datetime) -> date:
        if moment.tzinfo is None:
            raise ValueError(f"times must be timezone-aware, got {moment!r}")
        return moment.astimezone(self.zone).date()

    def days_since_delivery(self, order: Order, now: datetime) -> int | None:
        """Calendar days from the delivery day to ``now`` in the shop's timezone (0 = same day)."""
        if order.delivered_at is None:
            return None
        return max(0, (self.local_day(now) - self.local_day(order.delivered_at)).days)

    def return_window(self, order: Order, now: datetime) -> ReturnWindow:
        """The no-reason window at ``now``, by the rule :meth:`decide` applies: open through
        the ``return_days``-th calendar day after the delivery day, shop time."""
        if now.tzinfo is None:
            raise ValueError(f"`now` must be timezone-aware, got {now!r}")
        if order.status in ("cancelled", "returned"):
            return ReturnWindow("closed", None)
        if order.status != "delivered" or order.delivered_at is None:
            return ReturnWindow("not_delivered", None)
        last_day = self.local_day(order.delivered_at) + timedelta(days=self.rules.return_days)
        deadline = datetime.combine(last_day, time.max, tzinfo=self.zone)
        days = self.days_since_delivery(order, now) or 0
        return ReturnWindow("open" if days <= self.rules.return_days else "expired", deadline)

    def warranty_days(self, item: OrderItem, override: int | None = None) -> int:
        if override is not None:
            if override < 0:
                raise ValueError(f"warranty_days must be 0 or more, got {override}")
            return override
        return self.rules.warranty_days.get(item.category, 0)

    def shipping_payer(self, reason: ReturnReason) -> Payer:
        return "shop" if reason in self.rules.shop_pays_shipping_reasons else "customer"

    # One line --------------------------------------------------------------------------------
    def decide(
        self,
        order: Order,
        request: ItemRequest,
        *,
        kind: RequestKind,
        reason: ReturnReason,
        now: datetime,
        already_returned: int = 0,
    ) -> Decision:
        """Whether one order line may be returned, exchanged or repaired at ``now``."""
        if kind not in REQUEST_KINDS:
            raise ValueError(f"kind must be one of {REQUEST_KINDS}, got {kind!r}")
        if reason not in RETURN_REASONS:
            raise ValueError(f"reason must be one of {RETURN_REASONS}, got {reason!r}")
        if request.quantity < 1:
            raise ValueError(f"quantity must be at least 1, got {request.quantity}")
        if now.tzinfo is None:
            raise ValueError(f"`now` must be timezone-aware, got {now!r}")
        item = order_line(order, request.line)
        ctx = _Context(self, order, item, request, kind, now)

        if order.status in ("cancelled", "returned"):
            code: ReasonCode = "order_closed" if order.status == "cancelled" else "already_returned"
            return ctx.refuse(code)
        if order.status != "delivered" or order.delivered_at is None:
            alternatives: list[AlternativeKind] = []
            if order.status in SHIPPED_STATUSES and kind == "return":
                alternatives.append("intercept")
            elif order.status in UNSHIPPED_STATUSES and kind == "return":
                alternatives.append("cancel_order")
            return ctx.refuse("not_delivered", alternatives=alternatives)
        if kind != "repair":
            remaining = item.quantity - already_returned
            if remaining <= 0:
                return ctx.refuse("already_returned")
            if request.quantity > remaining:
                return ctx.refuse(
                    "quantity_exceeds", remaining=remaining, returned=already_returned
                )

        days = self.days_since_delivery(order, now) or 0
        if kind == "repair":
            return self._repair(ctx, days)
        if reason in QUALITY_REASONS:
            return self._quality(ctx, days, reason)
        return self._no_reason(ctx, days, reason)

    def _repair(self, ctx: _Context, days: int) -> Decision:
        warranty = self.warranty_days(ctx.item, ctx.request.warranty_days)
        if warranty == 0:
            return ctx.refuse(
                "no_warranty",
                days_since=days,
                alternatives=self._later_options(ctx, days, exchange=True),
            )
        if days <= warranty:
            return ctx.grant("repair", "warranty_repair", window=warranty, days_since=days)
        return ctx.refuse("out_of_warranty", window=warranty, days_since=days)

    def _quality(self, ctx: _Context, days: int, reason: ReturnReason) -> Decision:
        rules = self.rules
        payer = self.shipping_payer(reason)
        if ctx.kind == "return":
            if days <= rules.quality_return_days:
                return ctx.grant(
                    "return",
                    "quality_return",
                    window=rules.quality_return_days,
                    days_since=days,
                    payer=payer,
                )
            return ctx.refuse(
                "quality_return_window_passed",
                window=rules.quality_return_days,
                days_since=days,
                alternatives=self._later_options(ctx, days, exchange=True),
            )
        if days <= rules.quality_exchange_days:
            return ctx.grant(
                "exchange",
                "quality_exchange",
                window=rules.quality_exchange_days,
                days_since=days,
                payer=payer,
            )
        return ctx.refuse(
            "quality_exchange_window_passed",
            window=rules.quality_exchange_days,
            days_since=days,
            alternatives=self._later_options(ctx, days, exchange=False),
        )

    def _no_reason(self, ctx: _Context, days: int, reason: ReturnReason) -> Decision:
        rules = self.rules
        category = ctx.item.category
        # Closed to no-reason requests whatever the date; a quality problem is still covered.
        blocked: ReasonCode | None = None
        if category in rules.non_returnable_categories:
            blocked = "category_not_returnable"
        elif ctx.request.customised:
            blocked = "customised"
        elif ctx.request.opened and category in rules.opened_non_returnable_categories:
            blocked = "opened"
        if blocked is not None:
            return ctx.refuse(
                blocked, days_since=days, alternatives=self._later_options(ctx, days, exchange=True)
            )
        if days <= rules.return_days:
            code: ReasonCode = "no_reason_return" if ctx.kind == "return" else "no_reason_exchange"
            return ctx.grant(
                ctx.kind,
                code,
                window=rules.return_days,
                days_since=days,
                payer=self.shipping_payer(reason),
            )
        passed: ReasonCode = (
            "return_window_passed" if ctx.kind == "return" else "exchange_window_passed"
        )
        return ctx.refuse(
            passed,
            window=rules.return_days,
            days_since=days,
            alternatives=self._later_options(ctx, days, exchange=True),
        )

    def _later_options(self, ctx: _Context, days: int, exchange: bool) -> list[AlternativeKind]:
        """What is still open after a refusal: a quality exchange, then warranty repair."""
        options: list[AlternativeKind] = []
        if exchange and days <= self.rules.quality_exchange_days:
            options.append("exchange")
        warranty = self.warranty_days(ctx.item, ctx.request.warranty_days)
        if warranty and days <= warranty:
            options.append("warranty_repair")
        return options

    # A whole request -------------------------------------------------------------------------
    def plan(
        self,
        order: Order,
        items: Sequence[ItemRequest],
        *,
        kind: RequestKind,
        reason: ReturnReason,
        now: datetime,
        already_returned: Mapping[int, int] | None = None,
    ) -> Plan:
        """Decide every requested line and price the refund of the allowed returns.

        The original delivery fee is refunded too when the shop is at fault
        (``refund_shipping_on_shop_fault``) and this return sends back everything not yet
        returned.
        """
        if not items:
            raise ValueError(f"choose at least one line of order {order.id} to {kind}")
        lines = [request.line for request in items]
        if len(set(lines)) != len(lines):
            raise ValueError(f"each line may be requested once, got lines {lines}")
        returned = dict(already_returned or {})
        decisions = tuple(
            self.decide(
                order,
                request,
                kind=kind,
                reason=reason,
                now=now,
                already_returned=returned.get(request.line, 0),
            )
            for request in items
        )
        allowed = [d for d in decisions if d.allowed]
        refund = None
        if kind == "return" and allowed:
            after = dict(returned)
            for d in allowed:
                after[d.line] = after.get(d.line, 0) + d.quantity
            everything = all(after.get(i, 0) >= it.quantity for i, it in enumerate(order.items))
            shop_fault = self.shipping_payer(reason) == "shop" and reason in QUALITY_REASONS
            refund = quote_refund(
                order,
                [(d.line, d.quantity) for d in allowed],
                returned,
                refund_shipping=(
                    everything and shop_fault and self.rules.refund_shipping_on_shop_fault
                ),
            )
        payer = (
            self.shipping_payer(reason)
            if any(d.kind in ("return", "exchange") for d in allowed)
            else None
        )
        return Plan(
            order_id=order.id,
            requested=kind,
            reason=reason,
            decisions=decisions,
            refund=refund,
            return_shipping_paid_by=payer,
        )

    # Texts -----------------------------------------------------------------------------------
    def fmt_day(self, day: date, lang: Lang, today: date) -> str:
        """A day as customers read it; the year only when it is not this year."""
        if lang == "zh":
            prefix = f"{day.year}年" if day.year != today.year else ""
            return f"{prefix}{day.month}月{day.day}日"
        suffix = f" {day.year}" if day.year != today.year else ""
        return f"{day.day} {day:%b}{suffix}"

    def instructions(self, rma: str, payer: Payer, items: Sequence[OrderItem], lang: Lang) -> str:
        """How to send the items back: RMA number, address, who pays the shipping."""
        rules = self.rules
        names = join_list([item.name_zh if lang == "zh" else item.name_en for item in items], lang)
        return t(
            f"aftersales.instructions.{payer}",
            lang,
            rma=rma,
            items=names,
            recipient=rules.return_recipient_zh if lang == "zh" else rules.return_recipient,
            phone=rules.return_phone,
            address=rules.return_address_zh if lang == "zh" else rules.return_address,
        )


class _Context:
    """One line's request while it is being decided; builds the texts of the decision."""

    def __init__(
        self,
        policy: AftersalesPolicy,
        order: Order,
        item: OrderItem,
        request: ItemRequest,
        kind: RequestKind,
        now: datetime,
    ) -> None:
        self.policy = policy
        self.order = order
        self.item = item
        self.request = request
        self.kind = kind
        self.today = policy.local_day(now)
        self.delivered = (
            policy.local_day(order.delivered_at) if order.delivered_at is not None else None
        )

    def _day(self, offset: int) -> date | None:
        return None if self.delivered is None else self.delivered + timedelta(days=offset)

    def _texts(self, code: ReasonCode, window: int | None, **extra: object) -> tuple[str, str]:
        out: list[str] = []
        for lang in ("zh", "en"):
            last = self._day(window) if window is not None else None
            values: dict[str, object] = {
                "item": self.item.name_zh if lang == "zh" else self.item.name_en,
                "category": category_name(self.item.category, lang),
                "order_id": self.order.id,
                "status": status_name(self.order.status, lang),
                "days": window if window is not None else "",
                "delivered": (
                    self.policy.fmt_day(self.delivered, lang, self.today)
                    if self.delivered is not None
                    else ""
                ),
                "deadline": (
                    self.policy.fmt_day(last, lang, self.today) if last is not None else ""
                ),
                **extra,
            }
            out.append(t(f"aftersales.reason.{code}", lang, **values))
        return out[0], out[1]

    def _alternative(self, kind: AlternativeKind) -> Alternative:
        rules = self.policy.rules
        until: date | None = None
        if kind == "exchange":
            until = self._day(rules.quality_exchange_days)
        elif kind == "warranty_repair":
            until = self._day(self.policy.warranty_days(self.item, self.request.warranty_days))
        texts = [
            t(
                f"aftersales.alt.{kind}",
                lang,
                until=self.policy.fmt_day(until, lang, self.today) if until else "",
            )
            for lang in ("zh", "en")
        ]
        return Alternative(kind, until, texts[0], texts[1])

    def grant(
        self,
        kind: DecisionKind,
        code: ReasonCode,
        *,
        window: int,
        days_since: int,
        payer: Payer | None = None,
    ) -> Decision:
        zh, en = self._texts(code, window)
        return Decision(
            line=self.request.line,
            quantity=self.request.quantity,
            requested=self.kind,
            kind=kind,
            reason_code=code,
            reason_zh=zh,
            reason_en=en,
            last_day=self._day(window),
            days_since_delivery=days_since,
            return_shipping_paid_by=payer if kind in ("return", "exchange") else None,
        )

    def refuse(
        self,
        code: ReasonCode,
        *,
        window: int | None = None,
        days_since: int | None = None,
        alternatives: Sequence[AlternativeKind] = (),
        **extra: object,
    ) -> Decision:
        zh, en = self._texts(code, window, **extra)
        return Decision(
            line=self.request.line,
            quantity=self.request.quantity,
            requested=self.kind,
            kind="refused",
            reason_code=code,
            reason_zh=zh,
            reason_en=en,
            alternatives=tuple(self._alternative(kind) for kind in alternatives),
            last_day=self._day(window) if window is not None else None,
            days_since_delivery=days_since,
        )
