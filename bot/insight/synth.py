"""Generated data with known structure, for tests and for the reports where no real data exists.

- :func:`olist_orders`: an order file in the public Olist orders schema. Lateness depends on the
  slack between carrier handover and the promised date, and ALSO on things a model can learn at
  handover: the region (visible as the length of the promise), congestion in peak season and
  during carrier disruptions (visible in how late recent deliveries were), the handover weekday
  and a slow approval. The real Olist file shows the same kinds of structure (long promises for
  remote states, the late waves of Nov 2017 and Feb-Mar 2018).
- :func:`transactions`: a customer_id, order_id, order_date, amount, category file with three
  kinds of customers (frequent big spenders, occasional buyers, lapsed buyers).
- :func:`simulate_tickets`: complaint and contact tickets for a shop snapshot without any, from
  a stated behavioural model (late and damaged deliveries, returns, a per-customer propensity).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.insight.shopdata import OLIST_COLUMNS, Snapshot, Ticket, delivered_late, promised_day

_START = datetime(2017, 1, 2, tzinfo=UTC)


@dataclass(frozen=True)
class _Region:
    promise_days: int  # the estimate shown at purchase
    transit_days: float  # median carrier transit
    spread: float  # log-normal sigma of the transit
    weight: float


_REGIONS = (
    _Region(11, 2.5, 0.35, 0.42),
    _Region(16, 4.5, 0.45, 0.25),
    _Region(22, 7.0, 0.55, 0.18),
    _Region(29, 10.0, 0.65, 0.10),
    _Region(37, 14.0, 0.75, 0.05),
)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _fmt(value: datetime | None, us: bool) -> str:
    if value is None:
        return ""
    if us:
        return f"{value.month}/{value.day}/{value.year} {value.hour}:{value.minute:02d}"
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _disruptions(rng: random.Random, span_days: int) -> list[tuple[float, float]]:
    """Carrier disruption episodes (start day, length in days): strikes, storms, system outages."""
    episodes = []
    for _ in range(max(1, span_days // 90)):
        episodes.append((rng.uniform(20, span_days - 20), rng.uniform(8, 20)))
    return episodes


def _congestion(day: float, start: datetime, episodes: list[tuple[float, float]]) -> float:
    """Transit time multiplier on ``day`` (days since ``start``)."""
    when = start + timedelta(days=day)
    factor = 1.0
    # Peak season: from Black Friday week to Christmas.
    if (when.month == 11 and when.day >= 20) or (when.month == 12 and when.day <= 24):
        factor *= 1.45
    if when.month in (2, 3):  # rainy season on the main routes
        factor *= 1.2
    for begin, length in episodes:
        if begin <= day < begin + length:
            factor *= 1.8
    return factor


def olist_orders(
    n: int = 20_000,
    seed: int = 15,
    span_days: int = 600,
    us_dates: bool = False,
    bad_rows: int = 0,
) -> list[dict[str, str]]:
    """``n`` orders in the Olist schema (plus ``bad_rows`` rows with unparseable dates)."""
    rng = random.Random(seed)
    episodes = _disruptions(rng, span_days)
    weights = [r.weight for r in _REGIONS]
    rows: list[dict[str, str]] = []
    for index in range(n):
        # The shop grows: later days get more orders (inverse CDF of a linear density).
        day = span_days * (math.sqrt(1 + 3 * rng.random()) - 1)
        purchased = _START + timedelta(days=day, minutes=rng.randint(0, 24 * 60 - 1))
        region = rng.choices(_REGIONS, weights)[0]
        rows.append(_olist_order(rng, index, purchased, region, episodes, us_dates))
    for index in range(bad_rows):
        bad = dict(rows[index % max(1, len(rows))]) if rows else {c: "" for c in OLIST_COLUMNS}
        bad["order_id"] = f"bad{index:05d}"
        bad["order_purchase_timestamp"] = "not a date"
        rows.append(bad)
    return rows


def _olist_order(
    rng: random.Random,
    index: int,
    purchased: datetime,
    region: _Region,
    episodes: list[tuple[float, float]],
    us: bool,
) -> dict[str, str]:
    row = {
        "order_id": f"o{index:07d}",
        "customer_id": f"c{rng.randint(0, index // 2 + 10):07d}",
        "order_status": "delivered",
        "order_purchase_timestamp": _fmt(purchased, us),
        "order_approved_at": "",
        "order_delivered_carrier_date": "",
        "order_delivered_customer_date": "",
        "order_estimated_delivery_date": "",
    }
    promise = region.promise_days + rng.randint(-2, 3)
    estimate = datetime.combine((purchased + timedelta(days=promise)).date(), time(), UTC)
    row["order_estimated_delivery_date"] = _fmt(estimate, us)
    roll = rng.random()
    if roll < 0.012:
        row["order_status"] = "canceled"
        return row
    # Approval: most card payments within the hour, bank slips take days.
    slip = rng.random() < 0.2
    lag_h = rng.expovariate(1 / 30.0) + 2 if slip else rng.expovariate(1 / 0.4)
    approved = purchased + timedelta(hours=lag_h)
    row["order_approved_at"] = _fmt(approved, us)
    # Seller handling: a few days, longer over the weekend.
    handling = rng.gammavariate(1.5, 2.0) + (1.2 if approved.weekday() >= 4 else 0.0)
    handover = approved + timedelta(days=handling)
    row["order_delivered_carrier_date"] = _fmt(handover, us)
    if roll < 0.022:
        row["order_status"] = "shipped"
        return row
    day = (handover - _START).total_seconds() / 86400
    transit = region.transit_days * math.exp(rng.gauss(0, region.spread))
    transit *= _congestion(day, _START, episodes)
    if handover.weekday() >= 4:  # handed over Friday-Sunday: first scan after the weekend
        transit += 1.5
    if slip:  # slow-paying buyers live more often off the main routes in this shop
        transit *= 1.5
    if rng.random() < 0.03:  # lost and found, returned to the depot, ...
        transit += rng.uniform(5, 12)
    delivered = handover + timedelta(days=transit)
    row["order_delivered_customer_date"] = _fmt(delivered, us)
    return row


# Transactions ------------------------------------------------------------------------------------
_CATEGORIES = ("electronics", "clothing", "beauty", "home", "sports", "food")


def transactions(
    n_customers: int = 300, seed: int = 15, end: datetime | None = None
) -> list[dict[str, str]]:
    """Order lines of three kinds of customers over a year ending at ``end``."""
    rng = random.Random(seed)
    end = end or datetime(2026, 6, 30, tzinfo=UTC)
    kinds = (  # (orders per year, mean amount, days since last activity, categories)
        (14.0, 900.0, 10, 4),
        (4.0, 200.0, 40, 2),
        (1.5, 60.0, 300, 1),
    )
    rows: list[dict[str, str]] = []
    for c in range(n_customers):
        per_year, mean_amount, quiet_days, n_cat = kinds[c % len(kinds)]
        cats = rng.sample(_CATEGORIES, n_cat)
        n_orders = max(1, round(rng.gauss(per_year, per_year / 4)))
        last = end - timedelta(days=rng.uniform(0.5, 1.5) * quiet_days)
        for o in range(n_orders):
            when = last - timedelta(days=rng.uniform(0, 365 - quiet_days) if o else 0)
            amount = mean_amount * math.exp(rng.gauss(0, 0.3))
            rows.append(
                {
                    "customer_id": f"c{c:04d}",
                    "order_id": f"c{c:04d}-{o:03d}",
                    "order_date": when.strftime("%Y-%m-%d"),
                    "amount": f"{amount:.2f}",
                    "category": rng.choice(cats),
                }
            )
    return rows


# Tickets ---------------------------------------------------------------------------------------
def simulate_tickets(snapshot: Snapshot, promise_days: int, seed: int = 15) -> list[Ticket]:
    """Complaint and contact ("message") tickets for ``snapshot``, created before its ``now``.

    Per customer a propensity ``z ~ N(0, 1)``. Per delivered order a complaint with probability
    sigmoid(-4.2 + 2.3 late + 1.5 exception + 1.3 returned + 0.9 z + 0.3 log(value/200)),
    written while the parcel is overdue or in the days after delivery; a contact (question,
    chaser) with probability sigmoid(-2.6 + 1.2 late + 0.7 z) around the handover; and
    background complaints unrelated to an order at 0.0015 exp(0.8 z) per customer-day.
    """
    rng = random.Random(seed)
    tz = ZoneInfo(snapshot.timezone)
    now = snapshot.now
    start = min((o.created_at for o in snapshot.orders), default=now)
    z = {cid: rng.gauss(0, 1) for cid in sorted(snapshot.customers)}
    out: list[Ticket] = []

    def add(
        kind: str, customer: str, order: str | None, when: datetime, mood: float | None
    ) -> None:
        if when <= now:
            out.append(Ticket(f"SIM-{len(out):06d}", kind, customer, order, when, mood))

    for order in snapshot.orders:
        if order.delivered_at is None or order.shipped_at is None:
            continue
        zc = z.get(order.customer_id, 0.0)
        late = bool(delivered_late(order, snapshot.timezone, promise_days))
        returned = order.status == "returned"
        logit = -4.2 + 2.3 * late + 1.5 * order.exception + 1.3 * returned + 0.9 * zc
        logit += 0.3 * math.log(max(order.total, 1.0) / 200.0)
        if rng.random() < _sigmoid(logit):
            if late and rng.random() < 0.5:
                due = promised_day(order, snapshot.timezone, promise_days)
                when = datetime.combine(due, time(10), tz).astimezone(UTC) + timedelta(
                    days=1, hours=rng.uniform(0, 30)
                )
                when = min(when, order.delivered_at)
            else:
                when = order.delivered_at + timedelta(
                    hours=rng.uniform(2, 24 * (9 if returned else 4))
                )
            add("complaint", order.customer_id, order.id, when, -0.3 - 0.5 * rng.random())
        if rng.random() < _sigmoid(-2.6 + 1.2 * late + 0.7 * zc):
            when = order.shipped_at + timedelta(hours=rng.uniform(1, 72))
            add("message", order.customer_id, order.id, when, None)
    days = max(1, int((now - start).total_seconds() // 86400))
    for cid in sorted(snapshot.customers):
        rate = 0.0015 * math.exp(0.8 * z[cid])
        for _ in range(_poisson(rng, rate * days)):
            when = start + timedelta(days=rng.uniform(0, days))
            add("complaint", cid, None, when, -0.2 - 0.5 * rng.random())
    out.sort(key=lambda t: t.created_at)
    return out


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth; the means here are small)."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
