"""The README's demo orders (fixed ids, customers and stories) and the whole demo shop."""

from __future__ import annotations

from typing import Any

from bot.shop.demo_records import (
    ORDER_EMMA_SHOES,
    ORDER_IN_TRANSIT,
    ORDER_KETTLE,
    ORDER_PAID,
    ORDER_TSHIRT,
)
from bot.shop.generator.base import Profile, demo_product_id
from bot.shop.generator.tickets import TicketGenerator
from bot.shop.people_data import CARRIERS, CITIES
from bot.shop.store import Row, ShopData


class ShopGenerator(TicketGenerator):
    """The whole demo shop: the README's demo orders, then the generated ones and the
    complaints about them."""

    def demo_orders(self) -> tuple[list[Row], list[Row], list[Row], list[Row]]:
        products = {p["id"]: p for p in self.products}

        def variant(type_key: str, size: str | None, color: str | None) -> tuple[Row, Row]:
            product = products[demo_product_id(type_key)]
            for v in product["variants"]:
                if (size is None or v["size"] == size) and (
                    color is None or v["color_en"] == color
                ):
                    return product, v
            raise ValueError(f"demo product {product['id']} has no variant {size}/{color}")

        sf, jd, zto, yto = CARRIERS[0], CARRIERS[1], CARRIERS[2], CARRIERS[3]
        shenzhen, hangzhou, shanghai, guangzhou = CITIES[3], CITIES[4], CITIES[0], CITIES[2]
        pudong = shanghai.districts[0]
        li, emma = self.profiles[0], self.profiles[1]
        ev = self.event

        specs: list[tuple[str, Profile, str, Row, Row, int, dict[str, Any]]] = []
        earbuds = variant("wireless_earbuds", None, "Black")
        tshirt = variant("tshirt", "L", "White")
        kettle = variant("electric_kettle", None, None)
        cooker = variant("rice_cooker", None, None)
        shoes = variant("running_shoes", "39", "White")

        in_transit_events = (
            ev("picked_up", self.at(2, 9, 30), sf, shenzhen, None),
            ev("departed", self.at(2, 14, 5), sf, shenzhen, None),
            ev("arrived", self.at(1, 2, 10), sf, hangzhou, None),
            ev("departed", self.at(1, 5, 30), sf, hangzhou, None),
            ev("arrived", self.at(1, 11, 45), sf, shanghai, None),
        )
        specs.append(
            (
                ORDER_IN_TRANSIT,
                li,
                "in_transit",
                *earbuds,
                1,
                {
                    "created_at": self.at(3, 21, 14),
                    "paid_at": self.at(3, 21, 15),
                    "shipped_at": self.at(2, 9, 30),
                    "carrier": sf.name_en,
                    "tracking_number": "SF1428850311796",
                    "eta": self.at(-1, 21, 0),
                    "payment_method": "alipay",
                    "events": in_transit_events,
                },
            )
        )
        specs.append(
            (
                ORDER_TSHIRT,
                li,
                "delivered",
                *tshirt,
                1,
                {
                    "created_at": self.at(6, 10, 2),
                    "paid_at": self.at(6, 10, 3),
                    "shipped_at": self.at(5, 16, 20),
                    "delivered_at": self.at(3, 15, 20),
                    "carrier": jd.name_en,
                    "tracking_number": "JDX004418826571",
                    "eta": self.at(3, 21, 0),
                    "payment_method": "wechat_pay",
                    "events": (
                        ev("picked_up", self.at(5, 16, 20), jd, guangzhou, None),
                        ev("departed", self.at(5, 20, 45), jd, guangzhou, None),
                        ev("arrived", self.at(4, 13, 10), jd, shanghai, None),
                        ev("out_for_delivery", self.at(3, 9, 5), jd, shanghai, pudong),
                        ev("delivered", self.at(3, 15, 20), jd, shanghai, pudong),
                    ),
                },
            )
        )
        specs.append(
            (
                ORDER_KETTLE,
                li,
                "delivered",
                *kettle,
                1,
                {
                    "created_at": self.at(44, 19, 48),
                    "paid_at": self.at(44, 19, 50),
                    "shipped_at": self.at(43, 11, 0),
                    "delivered_at": self.at(40, 17, 35),
                    "carrier": zto.name_en,
                    "tracking_number": "78731940265518",
                    "eta": self.at(40, 21, 0),
                    "payment_method": "alipay",
                    "events": (
                        ev("picked_up", self.at(43, 11, 0), zto, hangzhou, None),
                        ev("departed", self.at(43, 16, 30), zto, hangzhou, None),
                        ev("arrived", self.at(41, 6, 40), zto, shanghai, None),
                        ev("out_for_delivery", self.at(40, 13, 10), zto, shanghai, pudong),
                        ev("delivered", self.at(40, 17, 35), zto, shanghai, pudong),
                    ),
                },
            )
        )
        specs.append(
            (
                ORDER_PAID,
                li,
                "paid",
                *cooker,
                1,
                {
                    "created_at": self.at(1, 20, 36),
                    "paid_at": self.at(1, 20, 37),
                    "payment_method": "wechat_pay",
                    "events": (),
                },
            )
        )
        specs.append(
            (
                ORDER_EMMA_SHOES,
                emma,
                "delivered",
                *shoes,
                1,
                {
                    "created_at": self.at(5, 8, 55),
                    "paid_at": self.at(5, 8, 56),
                    "shipped_at": self.at(4, 14, 0),
                    "delivered_at": self.at(2, 11, 25),
                    "carrier": yto.name_en,
                    "tracking_number": "YT6612093847715",
                    "eta": self.at(2, 21, 0),
                    "payment_method": "credit_card",
                    "events": (
                        ev("picked_up", self.at(4, 14, 0), yto, hangzhou, None),
                        ev("departed", self.at(4, 18, 20), yto, hangzhou, None),
                        ev("arrived", self.at(3, 4, 50), yto, shanghai, None),
                        ev("out_for_delivery", self.at(2, 8, 40), yto, shanghai, pudong),
                        ev("delivered", self.at(2, 11, 25), yto, shanghai, pudong),
                    ),
                },
            )
        )

        orders_out: list[Row] = []
        items_out: list[Row] = []
        events_out: list[Row] = []
        interactions_out: list[Row] = []
        by_category: dict[str, list[Row]] = {}
        for p in self.products:
            by_category.setdefault(str(p["category"]), []).append(p)
        for order_id, profile, status, product, var, quantity, extra in specs:
            subtotal = int(product["price_cents"]) * quantity
            shipping = 0 if profile.segment == "vip" or subtotal >= 9_900 else 800
            address = profile.address.zh if profile.language == "zh" else profile.address.en
            orders_out.append(
                {
                    "id": order_id,
                    "customer_id": profile.id,
                    "status": status,
                    "created_at": extra["created_at"],
                    "paid_at": extra.get("paid_at"),
                    "shipped_at": extra.get("shipped_at"),
                    "delivered_at": extra.get("delivered_at"),
                    "cancelled_at": None,
                    "total_cents": subtotal + shipping,
                    "discount_cents": 0,
                    "shipping_cents": shipping,
                    "payment_method": extra["payment_method"],
                    "recipient": profile.recipient,
                    "phone": profile.phone,
                    "shipping_address": address,
                    "carrier": extra.get("carrier"),
                    "tracking_number": extra.get("tracking_number"),
                    "eta": extra.get("eta"),
                }
            )
            items_out.append(
                {
                    "order_id": order_id,
                    "product_id": product["id"],
                    "variant_sku": var["sku"],
                    "quantity": quantity,
                    "unit_price_cents": int(product["price_cents"]),
                }
            )
            events_out.extend({"order_id": order_id, **e} for e in extra["events"])
            interactions_out.extend(
                self.shopping_trail(profile, product, extra["created_at"], by_category)
            )
        return orders_out, items_out, events_out, interactions_out

    def build(self) -> ShopData:
        self.build_products()
        customers = self.build_customers()
        identities = self.identity_rows()
        demo = self.demo_orders()
        generated = self.build_orders()
        ticket_rows, ticket_history = self.build_tickets()
        orders_rows, items, events, interactions = (demo[i] + generated[i] for i in range(4))
        interactions.sort(key=lambda r: (r["ts"], r["customer_id"], r["product_id"], r["kind"]))
        return ShopData(
            products=self.products,
            customers=customers,
            identities=identities,
            orders=orders_rows,
            order_items=items,
            shipment_events=events,
            interactions=interactions,
            tickets=ticket_rows,
            ticket_events=ticket_history,
        )
