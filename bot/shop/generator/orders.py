"""Generated orders: baskets, money, payment, shipments and their carrier events, and the
browsing and buying signals around each order."""

from __future__ import annotations

import bisect
import itertools
import random
from datetime import UTC, date, datetime, time, timedelta

from bot.config import Config
from bot.shop.demo_records import DEMO_CUSTOMER_IDS, DEMO_ORDER_IDS
from bot.shop.generator.base import Address, Profile, Shipment
from bot.shop.generator.people import PeopleGenerator
from bot.shop.people_data import CARRIERS, CITIES, TRANSIT_HUBS, WAREHOUSE_CITIES, Carrier, City
from bot.shop.store import Row

# The delivery promise: handing over, then the route's days, plus each carrier's own norm.
HANDLING_DAYS = 1
CARRIER_EXTRA_DAYS = {
    "SF Express": 0,
    "JD Logistics": 0,
    "ZTO Express": 1,
    "YTO Express": 1,
    "China Post EMS": 1,
}
# The chance a parcel stalls on the way (then it is often late), before peak and weekend.
CARRIER_DELAY_RISK = {
    "SF Express": 0.04,
    "JD Logistics": 0.05,
    "ZTO Express": 0.10,
    "YTO Express": 0.12,
    "China Post EMS": 0.16,
}
PEAKS = ((11, 11), (6, 18), (12, 12))  # Singles' Day, 618, Double 12


def _in_peak(day: date) -> bool:
    return any(day.month == m and abs(day.day - d) <= 3 for m, d in PEAKS)


class OrderGenerator(PeopleGenerator):
    """Orders over the past year with their items, shipments and browsing.

    Each shipment is promised at purchase (:meth:`promised_at`); some stall on the way and
    arrive late (:meth:`plan_shipment`). ``experiences`` keeps each shipped order and its plan
    for the complaint tickets (:mod:`bot.shop.generator.tickets`)."""

    def __init__(self, cfg: Config, today: date) -> None:
        super().__init__(cfg, today)
        # Delays and complaints draw from their own source: the orders stay as they were.
        self.delivery_rng = random.Random(f"{cfg.demo.seed}-delivery")
        self.experiences: list[tuple[Row, Shipment]] = []

    def tracking_number(self, carrier: Carrier) -> str:
        digits = "".join(self.rng.choice("0123456789") for _ in range(carrier.tracking_digits))
        return carrier.tracking_prefix + digits

    @staticmethod
    def event(
        status: str, ts: datetime, carrier: Carrier, city: City, district: tuple[str, str] | None
    ) -> Row:
        c_en, c_zh = city.name
        if status == "picked_up":
            loc = (c_en, c_zh)
            desc = (
                f"Picked up by {carrier.name_en} in {c_en}",
                f"{carrier.name_zh}已揽收（{c_zh}）",
            )
        elif status == "departed":
            loc = (f"{c_en} sorting centre", f"{c_zh}转运中心")
            desc = (f"Departed {c_en} sorting centre", f"快件已离开{c_zh}转运中心")
        elif status == "arrived":
            loc = (f"{c_en} sorting centre", f"{c_zh}转运中心")
            desc = (f"Arrived at {c_en} sorting centre", f"快件已到达{c_zh}转运中心")
        elif status == "exception":
            loc = (f"{c_en} sorting centre", f"{c_zh}转运中心")
            desc = (
                "Delayed by bad weather; it will move on as soon as possible",
                "受天气影响运输延误，将尽快转运",
            )
        else:
            d_en, d_zh = district or ("", "")
            if status == "out_for_delivery":
                loc = (f"{d_en} delivery station, {c_en}", f"{c_zh}{d_zh}营业点")
                desc = (
                    f"Out for delivery from the {d_en} station",
                    f"{d_zh}营业点快递员正在派件",
                )
            else:
                loc = (f"{d_en}, {c_en}", f"{c_zh}{d_zh}")
                desc = ("Delivered and signed for", "快件已签收")
        return {
            "ts": ts,
            "status": status,
            "location_en": loc[0],
            "location_zh": loc[1],
            "description_en": desc[0],
            "description_zh": desc[1],
        }

    def promised_at(self, created: datetime, carrier: Carrier, origin: int, dest: int) -> datetime:
        """The delivery date promised at purchase (21:00 shop time that day): a day to hand
        the parcel over, the route's norm (same city 1 day, else 2), the carrier's own norm,
        and one more day in a sales peak."""
        days = HANDLING_DAYS + (1 if origin == dest else 2) + CARRIER_EXTRA_DAYS[carrier.name_en]
        days += 1 if _in_peak(self.local_date(created)) else 0
        day = self.local_date(created) + timedelta(days=days)
        return datetime.combine(day, time(21, 0), tzinfo=self.tz).astimezone(UTC)

    def plan_shipment(self, shipped_at: datetime, address: Address, created: datetime) -> Shipment:
        rng = self.rng
        carrier = rng.choice(CARRIERS)
        origin_index = rng.choice(WAREHOUSE_CITIES)
        origin, dest = CITIES[origin_index], CITIES[address.city]
        district = dest.districts[address.district]
        hours = lambda lo, hi: timedelta(minutes=rng.randint(lo * 60, hi * 60))  # noqa: E731
        # Carrier trouble (its own random source, so the rest of the shop stays as it was): a
        # stall at a sorting centre with no scan for one to four days, now and then after a
        # weather exception; likelier with some carriers, in sales peaks and at weekends.
        risk = CARRIER_DELAY_RISK[carrier.name_en]
        risk *= 2.5 if _in_peak(self.local_date(shipped_at)) else 1.0
        risk *= 1.3 if self.local_date(shipped_at).weekday() >= 5 else 1.0
        late = self.delivery_rng
        stall = timedelta(hours=late.uniform(24, 96)) if late.random() < risk else None
        loud = late.random() < 0.35
        ts = shipped_at
        events = [self.event("picked_up", ts, carrier, origin, None)]
        ts += hours(2, 6)
        events.append(self.event("departed", ts, carrier, origin, None))
        if rng.random() < 0.015:
            ts += hours(3, 8)
            events.append(self.event("exception", ts, carrier, origin, None))
            ts += hours(18, 30)
        if stall is not None:
            if loud:
                ts += timedelta(hours=late.uniform(2, 6))
                events.append(self.event("exception", ts, carrier, origin, None))
            ts += stall
        if origin_index != address.city:
            hubs = [h for h in TRANSIT_HUBS if h not in (origin_index, address.city)]
            if rng.random() < 0.45 and hubs:
                hub = CITIES[rng.choice(hubs)]
                ts += hours(5, 14)
                events.append(self.event("arrived", ts, carrier, hub, None))
                ts += hours(2, 5)
                events.append(self.event("departed", ts, carrier, hub, None))
            ts += hours(6, 22)
            events.append(self.event("arrived", ts, carrier, dest, None))
        ts += hours(3, 12)
        events.append(self.event("out_for_delivery", ts, carrier, dest, district))
        ts += hours(1, 5)
        events.append(self.event("delivered", ts, carrier, dest, district))
        return Shipment(
            carrier=carrier,
            tracking_number=self.tracking_number(carrier),
            shipped_at=shipped_at,
            delivered_at=ts,
            eta=self.promised_at(created, carrier, origin_index, address.city),
            events=tuple(events),
        )

    # Orders -----------------------------------------------------------------------------------
    def new_order_id(self, created: datetime) -> str:
        prefix = self.local_date(created).strftime("%y%m%d")
        while True:
            order_id = f"{prefix}{self.rng.randint(0, 999_999):06d}"
            if order_id not in self.order_ids:
                self.order_ids.add(order_id)
                return order_id

    def order_money(self, profile: Profile, subtotal: int) -> tuple[int, int]:
        """(discount, shipping) in cents for a basket worth ``subtotal`` cents."""
        rng = self.rng
        discount = 0
        if profile.segment == "vip" and rng.random() < 0.5:
            discount = subtotal * 5 // 100
        elif rng.random() < 0.3:
            for threshold, off in ((99_900, 10_000), (49_900, 5_000), (19_900, 2_000)):
                if subtotal >= threshold:
                    discount = off
                    break
        free = profile.segment == "vip" or subtotal - discount >= 9_900
        return discount, 0 if free else 800

    def payment_method(self, language: str) -> str:
        if language == "zh":
            return self.rng.choices(("alipay", "wechat_pay", "unionpay"), (50, 40, 10))[0]
        return self.rng.choices(("credit_card", "alipay", "wechat_pay"), (60, 20, 20))[0]

    def order_day_weights(self) -> list[float]:
        weights = []
        for days_ago in range(1, 366):
            day = self.today - timedelta(days=days_ago)
            weight = 1.0 + 0.5 * (1 - days_ago / 365)  # the shop grows
            for month, dom, factor in ((11, 11, 4.0), (6, 18, 2.5), (12, 12, 1.8)):
                if day.month == month and abs(day.day - dom) <= 2:
                    weight *= factor
            if day.weekday() >= 5:
                weight *= 1.15
            weights.append(weight)
        return weights

    def build_orders(self) -> tuple[list[Row], list[Row], list[Row], list[Row]]:
        rng = self.rng
        orders_out: list[Row] = []
        items_out: list[Row] = []
        events_out: list[Row] = []
        interactions_out: list[Row] = []

        by_category: dict[str, list[Row]] = {}
        for product in self.products:
            by_category.setdefault(str(product["category"]), []).append(product)
        popularity = {p["id"]: float(p["rating_count"]) ** 0.6 + 5 for p in self.products}
        weights = {c: [popularity[p["id"]] for p in pool] for c, pool in by_category.items()}
        all_weights = [popularity[p["id"]] for p in self.products]

        shoppers = sorted(
            (p for p in self.profiles if p.id not in DEMO_CUSTOMER_IDS), key=lambda p: p.created_at
        )
        created_sorted = [p.created_at for p in shoppers]
        cum_activity = list(itertools.accumulate(p.activity for p in shoppers))

        day_weights = self.order_day_weights()
        hour_weights = [
            1,
            1,
            1,
            1,
            1,
            1,
            2,
            3,
            5,
            8,
            10,
            11,
            10,
            9,
            9,
            9,
            9,
            9,
            9,
            10,
            13,
            14,
            12,
            6,
        ]
        count = max(0, self.cfg.demo.orders - len(DEMO_ORDER_IDS))
        for _ in range(count):
            days_ago = rng.choices(range(1, 366), weights=day_weights)[0]
            hour = rng.choices(range(24), weights=hour_weights)[0]
            created = self.at(days_ago, hour, rng.randint(0, 59)) + timedelta(
                seconds=rng.randint(0, 59)
            )
            eligible = bisect.bisect_left(created_sorted, created)
            if eligible == 0:
                profile = shoppers[0]
                created = max(created, profile.created_at + timedelta(hours=1))
            else:
                pick = rng.random() * cum_activity[eligible - 1]
                profile = shoppers[bisect.bisect_left(cum_activity, pick, hi=eligible - 1)]
            order_id = self.new_order_id(created)

            # Basket
            n_items = rng.choices((1, 2, 3), (62, 28, 10))[0]
            chosen: dict[str, Row] = {}
            for _ in range(n_items):
                if rng.random() < 0.75:
                    category = rng.choice(profile.categories)
                    product = rng.choices(by_category[category], weights=weights[category])[0]
                else:
                    product = rng.choices(self.products, weights=all_weights)[0]
                chosen.setdefault(product["id"], product)
            subtotal = 0
            for product in chosen.values():
                variant = rng.choice(product["variants"])
                if product["consumable"]:
                    quantity = rng.choices((1, 2, 3), (70, 22, 8))[0]
                else:
                    quantity = rng.choices((1, 2), (90, 10))[0]
                price = int(product["price_cents"])
                subtotal += price * quantity
                items_out.append(
                    {
                        "order_id": order_id,
                        "product_id": product["id"],
                        "variant_sku": variant["sku"],
                        "quantity": quantity,
                        "unit_price_cents": price,
                    }
                )
            discount, shipping = self.order_money(profile, subtotal)

            address = profile.address
            if rng.random() < 0.1:
                address = self.make_address()
            address_text = address.zh if profile.language == "zh" else address.en
            row: Row = {
                "id": order_id,
                "customer_id": profile.id,
                "status": "paid",
                "created_at": created,
                "paid_at": None,
                "shipped_at": None,
                "delivered_at": None,
                "cancelled_at": None,
                "total_cents": subtotal - discount + shipping,
                "discount_cents": discount,
                "shipping_cents": shipping,
                "payment_method": self.payment_method(profile.language),
                "recipient": profile.recipient,
                "phone": profile.phone,
                "shipping_address": address_text,
                "carrier": None,
                "tracking_number": None,
                "eta": None,
            }
            self.set_lifecycle(row, address, events_out)
            orders_out.append(row)

            # Browsing and buying signals around the order
            for product in chosen.values():
                interactions_out.extend(self.shopping_trail(profile, product, created, by_category))
        interactions_out.extend(self.browsing(by_category, popularity))
        return orders_out, items_out, events_out, interactions_out

    def set_lifecycle(self, row: Row, address: Address, events_out: list[Row]) -> None:
        rng = self.rng
        created: datetime = row["created_at"]
        roll = rng.random()
        if roll < 0.03:  # never paid: cancelled automatically after 24 h
            if created + timedelta(hours=24) > self.now:
                row["status"] = "pending_payment"
            else:
                row["status"] = "cancelled"
                row["cancelled_at"] = created + timedelta(hours=24)
            return
        paid = created + timedelta(minutes=rng.randint(1, 20))
        row["paid_at"] = paid
        if roll < 0.055:  # cancelled by the customer before shipping
            cancelled = paid + timedelta(minutes=rng.randint(10, 20 * 60))
            if cancelled <= self.now:
                row["status"] = "cancelled"
                row["cancelled_at"] = cancelled
                return
        shipped = paid + timedelta(minutes=rng.randint(4 * 60, 40 * 60))
        if shipped > self.now:
            return  # paid, waiting to ship
        plan = self.plan_shipment(shipped, address, created)
        row.update(
            carrier=plan.carrier.name_en,
            tracking_number=plan.tracking_number,
            shipped_at=shipped,
            eta=plan.eta,
        )
        passed = [e for e in plan.events if e["ts"] <= self.now]
        events_out.extend({"order_id": row["id"], **e} for e in passed)
        if plan.delivered_at <= self.now:
            row["delivered_at"] = plan.delivered_at
            returned = plan.delivered_at < self.now - timedelta(days=7) and rng.random() < 0.025
            row["status"] = "returned" if returned else "delivered"
        else:
            row["status"] = "shipped" if len(passed) == 1 else "in_transit"
        self.experiences.append((row, plan))

    def shopping_trail(
        self, profile: Profile, product: Row, bought: datetime, by_category: dict[str, list[Row]]
    ) -> list[Row]:
        rng = self.rng
        rows: list[Row] = []
        start = bought - timedelta(minutes=rng.randint(30, 72 * 60))
        for _ in range(rng.randint(1, 3)):
            rows.append(self.interaction(profile, product["id"], "view", start, bought))
        for other in rng.sample(by_category[product["category"]], k=rng.randint(0, 2)):
            rows.append(self.interaction(profile, other["id"], "view", start, bought))
        cart = bought - timedelta(minutes=rng.randint(1, 60))
        rows.append(
            {"customer_id": profile.id, "product_id": product["id"], "kind": "cart", "ts": cart}
        )
        rows.append(
            {
                "customer_id": profile.id,
                "product_id": product["id"],
                "kind": "purchase",
                "ts": bought,
            }
        )
        return [r for r in rows if r["ts"] >= profile.created_at]

    def interaction(
        self, profile: Profile, pid: str, kind: str, start: datetime, end: datetime
    ) -> Row:
        span = max(1, int((end - start).total_seconds()))
        ts = start + timedelta(seconds=self.rng.randrange(span))
        return {"customer_id": profile.id, "product_id": pid, "kind": kind, "ts": ts}

    def browsing(
        self, by_category: dict[str, list[Row]], popularity: dict[str, float]
    ) -> list[Row]:
        """Views (and abandoned carts) that did not end in a purchase."""
        rng = self.rng
        rows: list[Row] = []
        year_ago = self.now - timedelta(days=365)
        for profile in self.profiles:
            start = max(profile.created_at, year_ago)
            for _ in range(int(profile.activity * 8) + rng.randint(0, 6)):
                if rng.random() < 0.7:
                    pool = by_category[rng.choice(profile.categories)]
                else:
                    pool = self.products
                product = rng.choices(pool, weights=[popularity[p["id"]] for p in pool])[0]
                view = self.interaction(profile, product["id"], "view", start, self.now)
                rows.append(view)
                if rng.random() < 0.15:
                    cart = view["ts"] + timedelta(minutes=rng.randint(1, 30))
                    if cart < self.now:
                        rows.append({**view, "kind": "cart", "ts": cart})
        return rows
