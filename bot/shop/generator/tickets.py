"""Complaint tickets of the demo shop, from what happened to its orders: a parcel past its
promised date (the customer asks while waiting, or complains once it came), a damaged, faulty
or wrong item now and then, and a good share of returns. They are what the delay and
complaint-risk models learn from; the README's demo customers get none.

Tickets draw from the shipments' own random source, so the orders stay as they were. Their ids
are ``TKS-<day>-<n>`` (seeded), apart from the ``TK-<day>-<n>`` ids the service hands out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.shop.generator.base import Profile, Shipment
from bot.shop.generator.orders import OrderGenerator
from bot.shop.store import SEEDED_TICKET_KEY, Row

# What customers write, by complaint type, in their language.
_TEXTS: dict[str, tuple[str, str]] = {
    "delivery_delay": (
        "My order {order} was promised for {promised} and still has not arrived. Where is it?",
        "订单 {order} 承诺 {promised} 送达，到现在还没到，包裹到底在哪里？",
    ),
    "delivery_delay_done": (
        "Order {order} finally came, {days} day(s) later than you promised. Not acceptable.",
        "订单 {order} 比承诺的晚了 {days} 天才到，太让人失望了。",
    ),
    "damaged_in_transit": (
        "The box of order {order} was crushed and the item inside is damaged.",
        "订单 {order} 的包装被压坏了，里面的商品也坏了。",
    ),
    "quality_defect": (
        "The item from order {order} stopped working after a few days.",
        "订单 {order} 的商品用了几天就坏了，质量太差。",
    ),
    "wrong_or_missing_item": (
        "Order {order} arrived with the wrong item in the parcel.",
        "订单 {order} 收到的商品发错了。",
    ),
}
SLA_HOURS = {"low": 72, "medium": 24, "high": 8}
STAFF = "staff:Demo Support"


class TicketGenerator(OrderGenerator):
    """Complaint tickets (and their history) derived from the orders' experiences."""

    def build_tickets(self) -> tuple[list[Row], list[Row]]:
        profiles = {p.id: p for p in self.profiles}
        tickets_out: list[Row] = []
        events_out: list[Row] = []
        per_day: dict[str, int] = {}
        for row, plan in self.experiences:
            found = self._complaint(row, plan)
            if found is None:
                continue
            kind, at, extra = found
            if not row["created_at"] < at < self.now:  # not (yet) happened
                continue
            profile = profiles[row["customer_id"]]
            day = self.local_date(at).strftime("%Y%m%d")
            per_day[day] = per_day.get(day, 0) + 1
            ticket_id = f"TKS-{day}-{per_day[day]:04d}"
            severity = "medium" if kind != "delivery_delay" or extra.get("days", 0) > 2 else "low"
            tickets_out.append(self._ticket(ticket_id, row, profile, kind, at, severity, extra))
            events_out.extend(self._history(ticket_id, at))
            tickets_out[-1]["status"] = events_out[-1]["to_status"]
            tickets_out[-1]["updated_at"] = events_out[-1]["ts"]
        return tickets_out, events_out

    def _complaint(self, row: Row, plan: Shipment) -> tuple[str, datetime, dict[str, int]] | None:
        """(type, when, details) of the customer's complaint about this order, if any."""
        rng = self.delivery_rng
        delivered: datetime | None = row["delivered_at"]
        promised = plan.eta
        if delivered is not None:
            days = (self.local_date(delivered) - self.local_date(promised)).days
        else:
            days = (self.local_date(self.now) - self.local_date(promised)).days
        if days >= 1 and rng.random() < min(0.6, 0.15 + 0.12 * days):
            waiting = promised + timedelta(hours=rng.uniform(6, 30))
            if delivered is None or (waiting < delivered and rng.random() < 0.6):
                return "delivery_delay", waiting, {"days": days}
            return "delivery_delay", delivered + timedelta(hours=rng.uniform(1, 24)), {"days": days}
        if delivered is None:
            return None
        after = delivered + timedelta(hours=rng.uniform(2, 72))
        if row["status"] == "returned" and rng.random() < 0.3:
            return "quality_defect", after, {}
        roll = rng.random()
        if roll < 0.004:
            return "damaged_in_transit", after, {}
        if roll < 0.009:
            return "quality_defect", after, {}
        if roll < 0.012:
            return "wrong_or_missing_item", after, {}
        return None

    def _ticket(
        self,
        ticket_id: str,
        row: Row,
        profile: Profile,
        kind: str,
        at: datetime,
        severity: str,
        extra: dict[str, int],
    ) -> Row:
        lang = "zh" if profile.language == "zh" else "en"
        promised = self.local_date(row["eta"]).isoformat() if row.get("eta") else "-"
        came = row["delivered_at"]
        key = "delivery_delay_done" if kind == "delivery_delay" and came and at > came else kind
        en, zh = _TEXTS[key]
        text = (zh if lang == "zh" else en).format(
            order=row["id"], promised=promised, days=extra.get("days", 0)
        )
        days = extra.get("days", 0)
        return {
            "id": ticket_id,
            "kind": "complaint",
            "order_id": row["id"],
            "customer_id": row["customer_id"],
            "status": "requested",
            "category": kind,
            "payload": {
                "text": text,
                "language": lang,
                "type": kind,
                "sentiment": round(max(-1.0, -0.35 - 0.1 * days), 2),
                "needs_human": False,
                "seeded": True,
            },
            "channel": "web",
            "sender_id": None,
            "idempotency_key": f"{SEEDED_TICKET_KEY}complaint:{row['id']}",
            "created_at": at,
            "updated_at": at,
            "severity": severity,
            "sla_due_at": at + timedelta(hours=SLA_HOURS[severity]),
        }

    def _history(self, ticket_id: str, at: datetime) -> list[Row]:
        """Requested, then taken, resolved and closed by staff as far as time has come."""
        rng = self.delivery_rng
        steps: list[tuple[str | None, str, str, datetime]] = [(None, "requested", "customer", at)]
        ts = at
        for from_status, to_status, lo, hi in (
            ("requested", "in_progress", 1, 20),
            ("in_progress", "resolved", 4, 72),
            ("resolved", "closed", 48, 120),
        ):
            ts = ts + timedelta(hours=rng.uniform(lo, hi))
            if ts > self.now:
                break
            steps.append((from_status, to_status, STAFF, ts))
        return [
            {
                "ticket_id": ticket_id,
                "ts": when,
                "actor": actor,
                "from_status": from_status,
                "to_status": to_status,
                "note": None,
            }
            for from_status, to_status, actor, when in steps
        ]
