"""The proactive service's rules: which customers to tell what, before they ask.

- **Parcels.** An open shipment (shipped or in transit, not delivered) is *stalled* when its
  latest tracking event is ``proactive.stall_hours`` old, and *at risk* when its delay risk
  reaches ``proactive.delay_threshold``: 1.0 once the promised date (``orders.eta``, shop time)
  has passed, else the delay model's probability at handover (:mod:`bot.insight.delay`, trained
  by ``make train-delay``; without it only the past-promise rule counts). One finding per parcel
  and run, stalled first. The customer is offered what the after-sales policy says
  (``aftersales.delay_offer``: a ``delay_coupon`` or a free return).
- **Back in stock.** A customer who asked about a sold-out product (``stock_asks``, recorded by
  the product action) is told once the product has stock again.
- **Quiet hours** (``proactive.quiet_hours``, shop time): a finding made then is held until
  they end.

Each finding becomes at most one row of ``proactive_notices`` per (order or product, reason,
customer): the table's unique key. Sending (the outbox) is :mod:`bot.core.proactive`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.config import AftersalesConfig, Config, ConfigError, ProactiveConfig, resolve_repo_path
from bot.i18n import Lang, as_lang, carrier_name, fmt_date, fmt_datetime, money, t
from bot.storage.schema import (
    customers,
    orders,
    proactive_notices,
    products,
    shipment_events,
    stock_asks,
)
from bot.storage.times import as_utc_or_none

if TYPE_CHECKING:  # loaded when used: the action server imports this module for stock asks
    from bot.insight import delay

logger = logging.getLogger(__name__)

OPEN_PARCEL_STATUSES = ("shipped", "in_transit")
OFFERS = ("coupon", "free_return", "none")
REASONS = ("delay_risk", "stalled", "back_in_stock")
HISTORY_DAYS = 60  # delivered parcels the delay model's "recent deliveries" features read
_CLOCK_RE = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")


# --- quiet hours ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class QuietHours:
    """A daily window in the shop's time zone ("22:00-08:00" spans midnight)."""

    start: time | None
    end: time | None
    timezone: str

    @classmethod
    def parse(cls, spec: str, timezone: str) -> QuietHours:
        if not spec:
            return cls(None, None, timezone)
        match = _CLOCK_RE.fullmatch(spec)
        if match is None:
            raise ConfigError(f'`proactive.quiet_hours` must look like "22:00-08:00", got {spec!r}')
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        return cls(time(h1, m1), time(h2, m2), timezone)

    def hold_until(self, now: datetime) -> datetime | None:
        """When a message found at ``now`` may go out: None if now, else the window's end."""
        if self.start is None or self.end is None or self.start == self.end:
            return None
        tz = ZoneInfo(self.timezone)
        local = now.astimezone(tz)
        clock = local.time().replace(tzinfo=None)
        if self.start < self.end:
            inside = self.start <= clock < self.end
        else:  # spans midnight
            inside = clock >= self.start or clock < self.end
        if not inside:
            return None
        day = local.date() if clock < self.end else local.date() + timedelta(days=1)
        return datetime.combine(day, self.end, tzinfo=tz).astimezone(UTC)


# --- the offer -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Offer:
    """What a customer whose parcel runs late is offered (``aftersales.delay_offer``)."""

    kind: str  # coupon | free_return | none
    coupon_cents: int = 0

    @classmethod
    def from_config(cls, aftersales: AftersalesConfig) -> Offer:
        if aftersales.delay_offer not in OFFERS:
            raise ConfigError(
                f"`aftersales.delay_offer` must be one of {', '.join(OFFERS)}, "
                f"got {aftersales.delay_offer!r}"
            )
        if aftersales.delay_offer == "coupon" and aftersales.delay_coupon <= 0:
            raise ConfigError("`aftersales.delay_coupon` must be above 0 with delay_offer: coupon")
        return cls(aftersales.delay_offer, aftersales.delay_coupon * 100)

    def customer_text(self, lang: Lang, *, late: bool = False) -> str:
        """The offer in the customer's message; ``late``: the promise has already passed (a
        coupon is then given, not promised if it comes late)."""
        if self.kind == "none":
            return ""
        key = "coupon_late" if self.kind == "coupon" and late else self.kind
        return t(f"proactive.offer.{key}", lang, amount=money(self.coupon_cents))

    def staff_text(self, lang: Lang) -> str:
        return t(f"staff.proactive.offer.{self.kind}", lang, amount=money(self.coupon_cents))

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "coupon_cents": self.coupon_cents}


# --- findings ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parcel:
    """An open shipment as the scheduler sees it."""

    order_id: str
    customer_id: str
    carrier: str
    created_at: datetime
    paid_at: datetime | None
    shipped_at: datetime
    eta: datetime | None  # the promised delivery (the end of the promised day)
    last_scan_at: datetime
    last_location: tuple[str, str]  # (en, zh)


@dataclass(frozen=True)
class Finding:
    """Something a customer should hear about: ``subject`` is an order or a product id."""

    customer_id: str
    subject: str
    reason: str  # delay_risk | stalled | back_in_stock
    detail: Mapping[str, Any] = field(default_factory=dict)

    def text(self, lang: Lang, settings: Settings) -> str:
        """The customer's message in ``lang``."""
        d = self.detail
        if self.reason == "back_in_stock":
            return t(
                "proactive.back_in_stock",
                lang,
                name=d["name_zh"] if lang == "zh" else d["name_en"],
                price=money(int(d["price_cents"])),
            )
        tz = settings.timezone
        values: dict[str, Any] = {
            "order_id": self.subject,
            "carrier": carrier_name(str(d.get("carrier") or ""), lang),
            "offer": settings.offer.customer_text(lang, late=bool(d.get("overdue"))),
            "promised": _date_of(d.get("promised"), lang, tz),
        }
        if self.reason == "stalled":
            scanned = datetime.fromisoformat(str(d["last_scan_at"]))
            location = d["location_zh"] if lang == "zh" else d["location_en"]
            return t(
                "proactive.stalled",
                lang,
                last_scan=fmt_datetime(scanned, lang, tz),
                location=location,
                **values,
            )
        key = "proactive.overdue" if d.get("overdue") else "proactive.delay_risk"
        return t(key, lang, **values)

    def staff_text(self, lang: Lang, settings: Settings, told: str) -> str:
        """The alert for the support channel in the staff's language."""
        d = self.detail
        if self.reason == "back_in_stock":
            return t(
                "staff.proactive.back_in_stock",
                lang,
                product_id=self.subject,
                customer_id=self.customer_id,
                told=told,
            )
        if self.reason == "stalled":
            detail = t(
                "staff.proactive.detail.stalled",
                lang,
                hours=float(d["stalled_hours"]),
                location=d["location_zh"] if lang == "zh" else d["location_en"],
            )
            reason_key = "stalled"
        else:
            detail = t(
                "staff.proactive.detail.risk",
                lang,
                risk=float(d["risk"]),
                promised=_date_of(d.get("promised"), lang, settings.timezone),
            )
            reason_key = "overdue" if d.get("overdue") else "delay_risk"
        return t(
            "staff.proactive.parcel",
            lang,
            reason=t(f"staff.proactive.reason.{reason_key}", lang),
            order_id=self.subject,
            customer_id=self.customer_id,
            carrier=carrier_name(str(d.get("carrier") or ""), lang),
            detail=detail,
            offer=settings.offer.staff_text(lang),
            told=told,
        )


def _date_of(value: Any, lang: Lang, tz: str) -> str:
    if not value:
        return "-"
    return fmt_date(datetime.fromisoformat(str(value)), lang, tz)


@dataclass(frozen=True)
class Settings:
    """The service's settings, checked once (from :class:`~bot.config.Config`)."""

    proactive: ProactiveConfig
    offer: Offer
    quiet: QuietHours
    timezone: str
    staff_language: Lang

    @classmethod
    def from_config(cls, cfg: Config) -> Settings:
        return cls(
            proactive=cfg.proactive,
            offer=Offer.from_config(cfg.aftersales),
            quiet=QuietHours.parse(cfg.proactive.quiet_hours, cfg.shop.timezone),
            timezone=cfg.shop.timezone,
            staff_language=as_lang(cfg.handoff.staff_language),
        )


def assess_parcel(
    parcel: Parcel, now: datetime, settings: Settings, risk: float | None = None
) -> Finding | None:
    """The finding for one open parcel, if any: stalled first, then delay risk.

    ``risk``: the delay model's probability (None without a model); a parcel past its promised
    date counts as risk 1.0 whatever the model says."""
    cfg = settings.proactive
    base: dict[str, Any] = {
        "carrier": parcel.carrier,
        "promised": parcel.eta.isoformat() if parcel.eta else None,
        "last_scan_at": parcel.last_scan_at.isoformat(),
        "location_en": parcel.last_location[0],
        "location_zh": parcel.last_location[1],
    }
    quiet_h = (now - parcel.last_scan_at).total_seconds() / 3600
    if quiet_h >= cfg.stall_hours:
        detail = {**base, "stalled_hours": round(quiet_h, 1)}
        return Finding(parcel.customer_id, parcel.order_id, "stalled", detail)
    overdue = parcel.eta is not None and now > parcel.eta
    score = 1.0 if overdue else risk
    if score is not None and score >= cfg.delay_threshold:
        detail = {**base, "risk": round(float(score), 4), "overdue": overdue}
        return Finding(parcel.customer_id, parcel.order_id, "delay_risk", detail)
    return None


# --- reading the shop ----------------------------------------------------------------------------
async def open_parcels(conn: AsyncConnection) -> list[Parcel]:
    """Shipped, not delivered orders with their latest tracking event."""
    latest = (
        select(shipment_events.c.order_id, func.max(shipment_events.c.ts).label("ts"))
        .group_by(shipment_events.c.order_id)
        .subquery()
    )
    rows = (
        await conn.execute(
            select(
                orders.c.id,
                orders.c.customer_id,
                orders.c.carrier,
                orders.c.created_at,
                orders.c.paid_at,
                orders.c.shipped_at,
                orders.c.eta,
                latest.c.ts,
            )
            .outerjoin(latest, latest.c.order_id == orders.c.id)
            .where(
                orders.c.status.in_(OPEN_PARCEL_STATUSES),
                orders.c.shipped_at.is_not(None),
                orders.c.delivered_at.is_(None),
            )
            .order_by(orders.c.id)
        )
    ).all()
    places: dict[str, tuple[str, str]] = {}
    ids = [r.id for r in rows if r.ts is not None]
    for chunk in range(0, len(ids), 500):
        events = (
            await conn.execute(
                select(
                    shipment_events.c.order_id,
                    shipment_events.c.ts,
                    shipment_events.c.location_en,
                    shipment_events.c.location_zh,
                )
                .where(shipment_events.c.order_id.in_(ids[chunk : chunk + 500]))
                .order_by(shipment_events.c.order_id, shipment_events.c.ts, shipment_events.c.id)
            )
        ).all()
        for e in events:  # the latest wins
            places[str(e.order_id)] = (str(e.location_en), str(e.location_zh))
    parcels = []
    for r in rows:
        shipped = as_utc_or_none(r.shipped_at)
        created = as_utc_or_none(r.created_at)
        if shipped is None or created is None:
            continue
        parcels.append(
            Parcel(
                order_id=str(r.id),
                customer_id=str(r.customer_id),
                carrier=str(r.carrier or ""),
                created_at=created,
                paid_at=as_utc_or_none(r.paid_at),
                shipped_at=shipped,
                eta=as_utc_or_none(r.eta),
                last_scan_at=as_utc_or_none(r.ts) or shipped,
                last_location=places.get(str(r.id), ("", "")),
            )
        )
    return parcels


async def delivered_history(conn: AsyncConnection, now: datetime) -> list[delay.Shipment]:
    """Parcels delivered in the last :data:`HISTORY_DAYS` days, with their promise."""
    from bot.insight import delay

    rows = (
        await conn.execute(
            select(
                orders.c.id,
                orders.c.created_at,
                orders.c.paid_at,
                orders.c.shipped_at,
                orders.c.delivered_at,
                orders.c.eta,
            ).where(
                orders.c.delivered_at.is_not(None),
                orders.c.shipped_at.is_not(None),
                orders.c.eta.is_not(None),
                orders.c.delivered_at >= now - timedelta(days=HISTORY_DAYS),
            )
        )
    ).all()
    out = []
    for r in rows:
        created, shipped = as_utc_or_none(r.created_at), as_utc_or_none(r.shipped_at)
        delivered, eta = as_utc_or_none(r.delivered_at), as_utc_or_none(r.eta)
        if created and shipped and delivered and eta:
            known = delay.Handover(created, as_utc_or_none(r.paid_at), shipped, eta)
            out.append(delay.Shipment(str(r.id), known, delivered))
    return out


class DelayScorer:
    """The trained delay model (``proactive.delay_model``), loaded on first use; absent or
    unreadable: no model (only the past-promise and stall rules count)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._model: delay.DelayModel | None = None
        self._tried = False

    @classmethod
    def from_config(cls, cfg: Config) -> DelayScorer:
        return cls(resolve_repo_path(cfg.proactive.delay_model))

    def model(self) -> delay.DelayModel | None:
        from bot.insight import delay

        if not self._tried:
            self._tried = True
            if not self.path.is_file():
                logger.info(
                    "no delay model at %s (`make train-delay`); proactive notices use the "
                    "past-promise and stall rules only",
                    self.path,
                )
            else:
                try:
                    self._model = delay.load(self.path)
                except (OSError, ValueError, EOFError) as exc:
                    logger.error("the delay model at %s cannot be used: %s", self.path, exc)
        return self._model

    async def risks(
        self, parcels: Sequence[Parcel], history: Sequence[delay.Shipment]
    ) -> dict[str, float]:
        """order id -> delay risk, for the parcels that have a promised date."""
        model = await asyncio.to_thread(self.model)
        if model is None:
            return {}

        from bot.insight import delay

        def score() -> dict[str, float]:
            out: dict[str, float] = {}
            for p in parcels:
                if p.eta is None:
                    continue
                known = delay.Handover(p.created_at, p.paid_at, p.shipped_at, p.eta)
                prob = model.score(known, [s for s in history if s.delivered < p.shipped_at])
                if not math.isnan(prob.probability):
                    out[p.order_id] = prob.probability
            return out

        return await asyncio.to_thread(score)


async def restocked_asks(conn: AsyncConnection, now: datetime, ask_days: int) -> list[Finding]:
    """Asks about a then sold-out product that has stock again and was not told yet."""
    told = (
        select(proactive_notices.c.id)
        .where(
            proactive_notices.c.subject == stock_asks.c.product_id,
            proactive_notices.c.customer_id == stock_asks.c.customer_id,
            proactive_notices.c.reason == "back_in_stock",
        )
        .exists()
    )
    rows = (
        await conn.execute(
            select(
                stock_asks.c.customer_id,
                stock_asks.c.product_id,
                stock_asks.c.asked_at,
                products.c.name_en,
                products.c.name_zh,
                products.c.price_cents,
                products.c.stock,
            )
            .join(products, products.c.id == stock_asks.c.product_id)
            .where(
                products.c.stock > 0,
                stock_asks.c.asked_at >= now - timedelta(days=ask_days),
                ~told,
            )
            .order_by(stock_asks.c.id)
        )
    ).all()
    return [
        Finding(
            str(r.customer_id),
            str(r.product_id),
            "back_in_stock",
            {
                "name_en": r.name_en,
                "name_zh": r.name_zh,
                "price_cents": int(r.price_cents),
                "stock": int(r.stock),
                "asked_at": (as_utc_or_none(r.asked_at) or now).isoformat(),
            },
        )
        for r in rows
    ]


async def record_stock_ask(
    engine: AsyncEngine, customer_id: str, product_id: str, now: datetime
) -> None:
    """Remember that ``customer_id`` asked about ``product_id`` while it was sold out (the
    latest ask counts for ``proactive.ask_days``)."""
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(stock_asks).values(
                    customer_id=customer_id, product_id=product_id, asked_at=now
                )
            )
    except IntegrityError:
        async with engine.begin() as conn:
            await conn.execute(
                update(stock_asks)
                .where(
                    and_(
                        stock_asks.c.customer_id == customer_id,
                        stock_asks.c.product_id == product_id,
                    )
                )
                .values(asked_at=now)
            )


async def customer_language(conn: AsyncConnection, customer_id: str) -> Lang:
    found = await conn.scalar(select(customers.c.language).where(customers.c.id == customer_id))
    return as_lang(found or "zh")


# --- the notices table ---------------------------------------------------------------------------
def notice_json(row: Any) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        stamp = as_utc_or_none(value)
        return stamp.isoformat() if stamp else None

    return {
        "id": row.id,
        "customer_id": row.customer_id,
        "subject": row.subject,
        "reason": row.reason,
        "status": row.status,
        "language": row.language,
        "conversation_id": row.conversation_id,
        "channel": row.channel,
        "outbox_id": row.outbox_id,
        "text": row.text,
        "detail": dict(row.detail or {}),
        "staff_alert": row.staff_alert,
        "created_at": when(row.created_at),
        "send_after": when(row.send_after),
        "sent_at": when(row.sent_at),
    }


async def list_notices(
    engine: AsyncEngine, *, status: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """The notices, newest first (the admin API and a dashboard read them)."""
    query = select(proactive_notices)
    if status is not None:
        query = query.where(proactive_notices.c.status == status)
    async with engine.connect() as conn:
        rows = (
            await conn.execute(query.order_by(proactive_notices.c.id.desc()).limit(limit))
        ).all()
    return [notice_json(r) for r in rows]
