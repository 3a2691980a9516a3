"""After-sales policy: windows (day 7 against day 8, time zones), categories, warranty,
shipping payer, items already returned, refunds with the discount shared out."""

from __future__ import annotations

import dataclasses
import random
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import AftersalesConfig, ConfigError, load_config
from bot.services.aftersales_policy import AftersalesPolicy, check_config, warranty_days_from_spec
from bot.services.aftersales_refunds import (
    allocate,
    line_discounts,
    quote_refund,
    returned_quantities,
)
from bot.services.aftersales_terms import RETURN_REASONS, Decision, ItemRequest
from bot.services.orders import get_order
from bot.services.types import Order, OrderItem, Ticket
from bot.storage.schema import orders

SHANGHAI = ZoneInfo("Asia/Shanghai")
RULES = AftersalesConfig()
POLICY = AftersalesPolicy(RULES, "Asia/Shanghai")
# Delivered in the afternoon of 10 April, shop time.
DELIVERED = datetime(2026, 4, 10, 15, 0, tzinfo=SHANGHAI)


def item(
    category: str = "clothing", quantity: int = 1, price: int = 10_000, **kw: Any
) -> OrderItem:
    fields: dict[str, Any] = {
        "product_id": f"P-{category}",
        "name_en": f"Test {category}",
        "name_zh": f"测试{category}",
        "category": category,
        "variant_sku": None,
        "size": None,
        "color_en": None,
        "color_zh": None,
        "quantity": quantity,
        "unit_price_cents": price,
    }
    fields.update(kw)
    return OrderItem(**fields)


def order(
    *items: OrderItem,
    status: str = "delivered",
    delivered_at: datetime | None = DELIVERED,
    discount: int = 0,
    shipping: int = 0,
    method: str = "alipay",
) -> Order:
    items = items or (item(),)
    subtotal = sum(i.unit_price_cents * i.quantity for i in items)
    created = datetime(2026, 4, 1, tzinfo=UTC)
    return Order(
        id="260401000001",
        customer_id="C0001",
        status=status,
        created_at=created,
        paid_at=created,
        shipped_at=created + timedelta(days=1),
        delivered_at=delivered_at if status in ("delivered", "returned") else None,
        cancelled_at=None,
        total_cents=subtotal - discount + shipping,
        discount_cents=discount,
        shipping_cents=shipping,
        payment_method=method,
        recipient="李伟",
        phone="13812345678",
        shipping_address="上海市浦东新区世纪大道 100 号",
        carrier="SF Express",
        tracking_number="SF1",
        eta=None,
        items=items,
    )


def on_day(day: int, hour: int = 12, minute: int = 0) -> datetime:
    """Shop-local time on the ``day``-th day after delivery (0 = the delivery day)."""
    local = DELIVERED.date() + timedelta(days=day)
    return datetime(local.year, local.month, local.day, hour, minute, tzinfo=SHANGHAI)


def decide(
    o: Order,
    *,
    kind: str = "return",
    reason: str = "no_reason",
    now: datetime,
    line: int = 0,
    quantity: int = 1,
    returned: int = 0,
    **request: Any,
) -> Decision:
    return POLICY.decide(
        o,
        ItemRequest(line, quantity, **request),
        kind=kind,  # type: ignore[arg-type]
        reason=reason,  # type: ignore[arg-type]
        now=now,
        already_returned=returned,
    )


# Windows ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "hour", "minute", "allowed", "code"),
    [
        (0, 16, 0, True, "no_reason_return"),  # the delivery day itself
        (1, 0, 0, True, "no_reason_return"),
        (6, 12, 0, True, "no_reason_return"),
        (7, 0, 0, True, "no_reason_return"),
        (7, 23, 59, True, "no_reason_return"),  # the last minute of day 7
        (8, 0, 0, False, "return_window_passed"),  # the first minute of day 8
        (8, 12, 0, False, "return_window_passed"),
        (30, 12, 0, False, "return_window_passed"),
    ],
)
def test_no_reason_return_window_day_7_against_day_8(
    day: int, hour: int, minute: int, allowed: bool, code: str
) -> None:
    d = decide(order(), now=on_day(day, hour, minute))
    assert (d.allowed, d.reason_code) == (allowed, code)
    assert d.days_since_delivery == day
    assert d.last_day == date(2026, 4, 17)
    assert d.kind == ("return" if allowed else "refused")


@pytest.mark.parametrize(
    ("zone", "delivered", "now", "allowed"),
    [
        # Delivered 00:30 on 10 April in Shanghai (still 9 April in UTC). At 23:00 on the 17th,
        # Shanghai time, it is day 7 in the shop although UTC already counts day 8.
        (
            "Asia/Shanghai",
            datetime(2026, 4, 9, 16, 30, tzinfo=UTC),
            datetime(2026, 4, 17, 15, 0, tzinfo=UTC),
            True,
        ),
        # Ten minutes past midnight on the 18th in Shanghai is day 8, though still the 17th in UTC.
        (
            "Asia/Shanghai",
            datetime(2026, 4, 9, 16, 30, tzinfo=UTC),
            datetime(2026, 4, 17, 16, 10, tzinfo=UTC),
            False,
        ),
        # The same instants counted in London: delivered on the 9th, so the 17th is day 8.
        (
            "Europe/London",
            datetime(2026, 4, 9, 16, 30, tzinfo=UTC),
            datetime(2026, 4, 17, 15, 0, tzinfo=UTC),
            False,
        ),
        (
            "Europe/London",
            datetime(2026, 4, 9, 16, 30, tzinfo=UTC),
            datetime(2026, 4, 16, 22, 59, tzinfo=UTC),
            True,
        ),
        # A time given in another zone is converted, not read as shop time.
        (
            "Asia/Shanghai",
            datetime(2026, 4, 10, 1, 0, tzinfo=SHANGHAI),
            datetime(2026, 4, 17, 10, 0, tzinfo=ZoneInfo("America/New_York")),
            True,
        ),
        (
            "Asia/Shanghai",
            datetime(2026, 4, 10, 1, 0, tzinfo=SHANGHAI),
            datetime(2026, 4, 17, 12, 30, tzinfo=ZoneInfo("America/New_York")),
            False,
        ),
    ],
)
def test_windows_count_days_in_the_shops_timezone(
    zone: str, delivered: datetime, now: datetime, allowed: bool
) -> None:
    policy = AftersalesPolicy(RULES, zone)
    d = policy.decide(
        order(delivered_at=delivered), ItemRequest(0), kind="return", reason="no_reason", now=now
    )
    assert d.allowed is allowed


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(order(), now=datetime(2026, 4, 12, 12, 0))


@pytest.mark.parametrize(
    ("category", "day", "kind", "code", "alternatives"),
    [
        # A quality problem: refund within 7 days, exchange within 15, then warranty repair.
        ("electronics", 7, "return", "quality_return", ()),
        (
            "electronics",
            8,
            "return",
            "quality_return_window_passed",
            ("exchange", "warranty_repair"),
        ),
        ("clothing", 8, "return", "quality_return_window_passed", ("exchange",)),
        ("electronics", 15, "exchange", "quality_exchange", ()),
        ("electronics", 16, "exchange", "quality_exchange_window_passed", ("warranty_repair",)),
        ("clothing", 16, "exchange", "quality_exchange_window_passed", ()),
        ("clothing", 16, "return", "quality_return_window_passed", ()),
        ("appliances", 200, "return", "quality_return_window_passed", ("warranty_repair",)),
        # Repairs under warranty: electronics and appliances one year; clothing none.
        ("electronics", 365, "repair", "warranty_repair", ()),
        ("electronics", 366, "repair", "out_of_warranty", ()),
        ("appliances", 0, "repair", "warranty_repair", ()),
        ("clothing", 3, "repair", "no_warranty", ("exchange",)),
        ("clothing", 20, "repair", "no_warranty", ()),
    ],
)
def test_quality_problem_windows_and_alternatives(
    category: str, day: int, kind: str, code: str, alternatives: tuple[str, ...]
) -> None:
    d = decide(order(item(category)), kind=kind, reason="quality_problem", now=on_day(day))
    assert d.reason_code == code
    assert tuple(a.kind for a in d.alternatives) == alternatives
    assert d.allowed is (code in ("quality_return", "quality_exchange", "warranty_repair"))


def test_alternatives_say_until_when() -> None:
    d = decide(order(item("electronics")), reason="no_reason", now=on_day(10))
    assert d.reason_code == "return_window_passed"
    exchange, repair = d.alternatives
    assert exchange.until == date(2026, 4, 25) and "25 Apr" in exchange.text_en
    assert "4月25日" in exchange.text_zh
    assert repair.until == date(2027, 4, 10)
    assert "10 Apr 2027" in repair.text_en and "2027年4月10日" in repair.text_zh
    assert d.message("en").startswith(d.reason_en) and exchange.text_en in d.message("en")


@pytest.mark.parametrize(
    ("category", "kind", "reason", "flags", "code"),
    [
        ("underwear", "return", "no_reason", {}, "category_not_returnable"),
        ("underwear", "exchange", "size_or_fit", {}, "category_not_returnable"),
        ("underwear", "return", "quality_problem", {}, "quality_return"),
        ("food", "return", "no_reason", {}, "category_not_returnable"),
        ("food", "return", "damaged_in_transit", {}, "quality_return"),
        ("clothing", "return", "no_reason", {"customised": True}, "customised"),
        ("clothing", "exchange", "size_or_fit", {"customised": True}, "customised"),
        ("clothing", "return", "wrong_item", {"customised": True}, "quality_return"),
        ("beauty", "return", "no_reason", {"opened": True}, "opened"),
        ("beauty", "return", "no_reason", {}, "no_reason_return"),
        ("digital", "return", "no_reason", {"opened": True}, "opened"),
        ("software", "exchange", "no_reason", {"opened": True}, "opened"),
        ("digital", "return", "not_as_described", {"opened": True}, "quality_return"),
        # Opened electronics are still returnable without a reason (intact, with accessories).
        ("electronics", "return", "no_reason", {"opened": True}, "no_reason_return"),
        ("clothing", "exchange", "size_or_fit", {}, "no_reason_exchange"),
    ],
)
def test_non_returnable_goods(
    category: str, kind: str, reason: str, flags: dict[str, bool], code: str
) -> None:
    d = decide(order(item(category)), kind=kind, reason=reason, now=on_day(2), **flags)
    assert d.reason_code == code


def test_non_returnable_refusal_explains_the_quality_exception() -> None:
    d = decide(order(item("underwear")), now=on_day(1))
    assert "Underwear" in d.reason_en and "quality problem" in d.reason_en
    assert "内衣" in d.reason_zh and "质量问题" in d.reason_zh


@pytest.mark.parametrize(
    ("reason", "payer"),
    [
        ("no_reason", "customer"),
        ("size_or_fit", "customer"),
        ("quality_problem", "shop"),
        ("damaged_in_transit", "shop"),
        ("wrong_item", "shop"),
        ("not_as_described", "shop"),
    ],
)
def test_who_pays_the_return_shipping(reason: str, payer: str) -> None:
    assert set(RETURN_REASONS) >= {reason}
    d = decide(order(), reason=reason, now=on_day(3))
    assert d.allowed and d.return_shipping_paid_by == payer
    plan = POLICY.plan(order(), [ItemRequest(0)], kind="return", reason=reason, now=on_day(3))  # type: ignore[arg-type]
    assert plan.return_shipping_paid_by == payer


def test_shipping_payer_is_configurable() -> None:
    rules = dataclasses.replace(RULES, shop_pays_shipping_reasons=("quality_problem",))
    policy = AftersalesPolicy(rules, "Asia/Shanghai")
    assert policy.shipping_payer("wrong_item") == "customer"
    assert policy.shipping_payer("quality_problem") == "shop"


def test_repairs_send_nothing_back_for_a_refund() -> None:
    d = decide(order(item("electronics")), kind="repair", reason="quality_problem", now=on_day(40))
    assert d.allowed and d.return_shipping_paid_by is None


@pytest.mark.parametrize(
    ("status", "kind", "code", "alternatives"),
    [
        ("in_transit", "return", "not_delivered", ("intercept",)),
        ("shipped", "return", "not_delivered", ("intercept",)),
        ("paid", "return", "not_delivered", ("cancel_order",)),
        ("pending_payment", "return", "not_delivered", ("cancel_order",)),
        ("in_transit", "exchange", "not_delivered", ()),
        ("paid", "repair", "not_delivered", ()),
        ("cancelled", "return", "order_closed", ()),
        ("returned", "return", "already_returned", ()),
    ],
)
def test_orders_not_delivered_or_closed(
    status: str, kind: str, code: str, alternatives: tuple[str, ...]
) -> None:
    d = decide(order(status=status), kind=kind, now=on_day(2))
    assert not d.allowed and d.reason_code == code
    assert tuple(a.kind for a in d.alternatives) == alternatives


@pytest.mark.parametrize(
    ("quantity", "returned", "asked", "code"),
    [
        (2, 0, 2, "no_reason_return"),
        (2, 1, 1, "no_reason_return"),
        (2, 1, 2, "quantity_exceeds"),
        (2, 2, 1, "already_returned"),
        (1, 1, 1, "already_returned"),
        (3, 0, 4, "quantity_exceeds"),
    ],
)
def test_items_already_returned(quantity: int, returned: int, asked: int, code: str) -> None:
    d = decide(order(item(quantity=quantity)), now=on_day(2), quantity=asked, returned=returned)
    assert d.reason_code == code
    if code == "quantity_exceeds":
        assert f"Only {quantity - returned}" in d.reason_en


def test_bad_requests_raise() -> None:
    with pytest.raises(ValueError, match="lines 0-0"):
        decide(order(), now=on_day(1), line=1)
    with pytest.raises(ValueError, match="quantity"):
        decide(order(), now=on_day(1), quantity=0)
    with pytest.raises(ValueError, match="reason"):
        decide(order(), now=on_day(1), reason="bored")
    with pytest.raises(ValueError, match="kind"):
        decide(order(), now=on_day(1), kind="swap")
    with pytest.raises(ValueError, match="at least one line"):
        POLICY.plan(order(), [], kind="return", reason="no_reason", now=on_day(1))
    with pytest.raises(ValueError, match="once"):
        POLICY.plan(
            order(),
            [ItemRequest(0), ItemRequest(0)],
            kind="return",
            reason="no_reason",
            now=on_day(1),
        )


def test_every_decision_speaks_both_languages() -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    categories = ("electronics", "clothing", "underwear", "food", "beauty", "digital")
    statuses = ("delivered", "in_transit", "paid", "cancelled", "returned")
    seen = set()
    for category in categories:
        for status in statuses:
            for kind in ("return", "exchange", "repair"):
                for reason in RETURN_REASONS:
                    for day in (0, 7, 8, 15, 16, 400):
                        o = order(item(category, name_en="Kettle", name_zh="水壶"), status=status)
                        d = decide(o, kind=kind, reason=reason, now=on_day(day), opened=True)
                        seen.add(d.reason_code)
                        assert cjk.search(d.message("zh")), d
                        assert not cjk.search(d.message("en")), d
                        assert "{" not in d.message("zh") + d.message("en")
    assert len(seen) >= 16


# Money -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("total", "weights", "parts"),
    [
        (100, [1, 1, 1], (34, 33, 33)),
        (2, [1, 1, 1], (1, 1, 0)),
        (0, [5, 7], (0, 0)),
        (5, [0, 10], (0, 5)),
        (1000, [19900, 8900, 2900], (628, 281, 91)),  # remainders .76, .76, .48
        (7, [3, 3, 1], (3, 3, 1)),
        (10, [], ()),
    ],
)
def test_allocate_sums_exactly_and_is_deterministic(
    total: int, weights: list[int], parts: tuple[int, ...]
) -> None:
    if weights:
        assert allocate(total, weights) == parts
        assert sum(parts) == total
    else:
        with pytest.raises(ValueError, match="zero"):
            allocate(total, weights)


def test_allocate_refuses_negative_amounts() -> None:
    with pytest.raises(ValueError, match="negative"):
        allocate(-1, [1])


def test_partial_refund_shares_the_discount() -> None:
    # A 199 T-shirt x2 and a 89 mug, 50 off the whole order, alipay.
    o = order(item("clothing", quantity=2, price=19_900), item("home", price=8_900), discount=5_000)
    assert line_discounts(o) == (4_086, 914)
    first = quote_refund(o, [(0, 1)])
    assert first.lines[0].discount_cents == 2_043 and first.total_cents == 17_857
    assert first.method == "alipay"
    second = quote_refund(o, [(0, 1)], {0: 1})
    mug = quote_refund(o, [(1, 1)], {0: 2})
    assert first.total_cents + second.total_cents + mug.total_cents == o.total_cents
    assert "¥178.57" in first.text("en") and "Alipay" in first.text("en")
    assert "支付宝" in first.text("zh")
    with pytest.raises(ValueError, match="already returned"):
        quote_refund(o, [(0, 2)], {0: 1})


def test_returning_piece_by_piece_refunds_what_was_paid() -> None:
    rng = random.Random(7)
    for _ in range(300):
        items = tuple(
            item(f"c{i}", quantity=rng.randint(1, 4), price=rng.randint(1, 50_000))
            for i in range(rng.randint(1, 5))
        )
        subtotal = sum(i.quantity * i.unit_price_cents for i in items)
        o = order(*items, discount=rng.randint(0, subtotal), shipping=rng.choice((0, 800)))
        units = [(line, 1) for line, it in enumerate(o.items) for _ in range(it.quantity)]
        rng.shuffle(units)
        returned: dict[int, int] = {}
        paid_back = 0
        for line, quantity in units:
            quote = quote_refund(o, [(line, quantity)], returned)
            assert quote.total_cents >= 0
            paid_back += quote.total_cents
            returned[line] = returned.get(line, 0) + quantity
        whole = quote_refund(o, [(line, it.quantity) for line, it in enumerate(o.items)])
        assert paid_back == whole.total_cents == o.total_cents - o.shipping_cents


def test_plan_refunds_allowed_lines_and_delivery_when_the_shop_is_at_fault() -> None:
    o = order(
        item("clothing", price=19_900),
        item("underwear", price=5_900),
        discount=2_000,
        shipping=800,
        method="wechat_pay",
    )
    plan = POLICY.plan(
        o, [ItemRequest(0), ItemRequest(1)], kind="return", reason="no_reason", now=on_day(3)
    )
    assert [d.reason_code for d in plan.decisions] == [
        "no_reason_return",
        "category_not_returnable",
    ]
    assert plan.refund is not None
    assert [r.line for r in plan.refund.lines] == [0]
    assert plan.refund.shipping_cents == 0 and plan.refund.method == "wechat_pay"
    assert plan.refund.total_cents == 19_900 - line_discounts(o)[0]
    # Everything back because of a quality problem: the delivery fee is refunded too.
    faulty = POLICY.plan(
        o, [ItemRequest(0), ItemRequest(1)], kind="return", reason="quality_problem", now=on_day(3)
    )
    assert faulty.refund is not None and faulty.refund.total_cents == o.total_cents
    # Only part of it: no delivery fee.
    part = POLICY.plan(o, [ItemRequest(0)], kind="return", reason="quality_problem", now=on_day(3))
    assert part.refund is not None and part.refund.shipping_cents == 0
    # The rest later completes the order: now the fee comes back.
    rest = POLICY.plan(
        o,
        [ItemRequest(1)],
        kind="return",
        reason="wrong_item",
        now=on_day(4),
        already_returned={0: 1},
    )
    assert rest.refund is not None and rest.refund.shipping_cents == 800
    assert part.refund.total_cents + rest.refund.total_cents == o.total_cents


def test_exchanges_and_refusals_have_no_refund() -> None:
    o = order(item("clothing"))
    exchange = POLICY.plan(
        o, [ItemRequest(0)], kind="exchange", reason="size_or_fit", now=on_day(2)
    )
    assert exchange.refund is None and exchange.return_shipping_paid_by == "customer"
    late = POLICY.plan(o, [ItemRequest(0)], kind="return", reason="no_reason", now=on_day(9))
    assert late.refund is None and late.return_shipping_paid_by is None and not late.allowed


async def test_full_returns_of_the_seeded_shop_refund_the_order_total(
    shop_engine: AsyncEngine,
) -> None:
    async with shop_engine.connect() as conn:
        ids = [row.id for row in await conn.execute(select(orders.c.id))]
    checked = 0
    for order_id in ids[::7]:
        found = await get_order(shop_engine, order_id)
        assert found is not None
        everything = [(line, it.quantity) for line, it in enumerate(found.items)]
        assert (
            quote_refund(found, everything, refund_shipping=True).total_cents == found.total_cents
        )
        checked += 1
    assert checked > 100


# Tickets already made -----------------------------------------------------------------------------
def ticket(status: str, items: list[Any], kind: str = "return") -> Ticket:
    now = datetime(2026, 4, 12, tzinfo=UTC)
    return Ticket(
        id=f"TK-{status}",
        kind=kind,
        order_id="260401000001",
        customer_id="C0001",
        status=status,
        category=None,
        payload={"items": items},
        channel="web",
        sender_id="demo-liwei",
        created_at=now,
        updated_at=now,
    )


def test_returned_quantities_from_tickets() -> None:
    o = order(item("clothing", quantity=3, variant_sku="TS-M"), item("home"))
    found = returned_quantities(
        o,
        [
            ticket("approved", [{"line": 0, "quantity": 1}]),
            ticket("requested", [{"line": 0, "quantity": 1}, {"line": 1, "quantity": 1}]),
            ticket("rejected", [{"line": 0, "quantity": 1}]),  # void
            ticket("cancelled", [{"line": 1, "quantity": 1}]),  # void
            ticket("approved", [{"line": 0, "quantity": 1}], kind="exchange"),  # not a return
            # Recorded before lines were numbered: matched by product and SKU.
            ticket("refunded", [{"product_id": "P-clothing", "sku": "TS-M", "quantity": 5}]),
            ticket("approved", [{"line": 9, "quantity": 1}, "junk"]),  # ignored
        ],
    )
    assert found == {0: 3, 1: 1}


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("1 year", 365),
        ("2 years", 730),
        ("6 months", 180),
        ("1 年", 365),
        ("6 个月", 180),
        ("90 days", 90),
        ("none", None),
        (None, None),
    ],
)
def test_warranty_days_from_spec(text: str | None, days: int | None) -> None:
    assert warranty_days_from_spec(text) == days


def test_a_products_own_warranty_wins() -> None:
    d = decide(order(item("electronics")), kind="repair", now=on_day(700), warranty_days=730)
    assert d.allowed and d.last_day == DELIVERED.date() + timedelta(days=730)


# Settings ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"return_days": -1}, "return_days"),
        ({"warranty_days": {"electronics": -5}}, "warranty_days.electronics"),
        ({"shop_pays_shipping_reasons": ("bored",)}, "unknown reasons"),
        ({"complaint_sla_hours": {"low": 1, "medium": 1, "high": 1}}, "critical"),
        ({"complaint_sla_hours": {"low": 1, "medium": 1, "high": 1, "critical": 0}}, "critical"),
    ],
)
def test_bad_settings_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        check_config(dataclasses.replace(RULES, **change))


def test_settings_come_from_config_yml(tmp_path: Any) -> None:
    path = tmp_path / "config.yml"
    path.write_text(
        "aftersales:\n  return_days: 10\n  warranty_days:\n    shoes: 90\n"
        "  non_returnable_categories: [food]\n",
        encoding="utf-8",
    )
    cfg = load_config(path=path, env={})
    assert cfg.aftersales.return_days == 10
    assert cfg.aftersales.warranty_days == {"shoes": 90}
    policy = AftersalesPolicy.from_config(cfg)
    assert decide_with(policy, item("underwear"), 9).reason_code == "no_reason_return"
    assert decide_with(policy, item("shoes"), 60, kind="repair").reason_code == "warranty_repair"
    bad = tmp_path / "bad.yml"
    bad.write_text("aftersales:\n  warranty_days: [1, 2]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="warranty_days"):
        load_config(path=bad, env={})


def decide_with(
    policy: AftersalesPolicy, it: OrderItem, day: int, kind: str = "return"
) -> Decision:
    return policy.decide(order(it), ItemRequest(0), kind=kind, reason="no_reason", now=on_day(day))  # type: ignore[arg-type]


def test_the_repository_config_holds_the_documented_defaults() -> None:
    cfg = load_config(env={})
    assert cfg.aftersales == AftersalesConfig()
