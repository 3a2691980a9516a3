"""After-sales tickets on the seeded demo shop: returns with RMA and instructions, exchanges,
refunds and complaints, idempotent, with their history and customer notices."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.services.aftersales import (
    Replacement,
    Requester,
    complaint_count,
    open_complaint,
    open_exchange,
    open_refund,
    open_return,
    returned_so_far,
)
from bot.services.aftersales_policy import AftersalesPolicy
from bot.services.aftersales_refunds import quote_refund
from bot.services.aftersales_terms import ItemRequest
from bot.services.complaint_classifier import load_classifier
from bot.services.complaints import assess
from bot.services.orders import get_order
from bot.services.ticket_notices import customer_notice, rma_number
from bot.services.tickets import list_tickets, ticket_history, transition_ticket
from bot.services.types import Order, Ticket
from tests.conftest import SHOP_TODAY
from tests.factory import ShopFactory
from tests.services.test_tickets import RecordingNotifier

TSHIRT = "260402118830"  # Li Wei, delivered 3 days before SHOP_TODAY
KETTLE = "260101000001"  # Li Wei, delivered 40 days before
LIWEI = Requester("C0001", "web", "demo-liwei", "zh", "我要退货，尺码不合适")
EMMA = Requester("C0002", "web", "demo-emma", "en", "I'd like to return these")


@pytest.fixture
def policy(cfg: Config) -> AftersalesPolicy:
    return AftersalesPolicy.from_config(cfg)


@pytest.fixture
def now(cfg: Config) -> datetime:
    """Noon on the day the test shop was seeded, in the shop's timezone."""
    return datetime.combine(SHOP_TODAY, time(12, 0), tzinfo=ZoneInfo(cfg.shop.timezone))


async def load(engine: AsyncEngine, order_id: str) -> Order:
    found = await get_order(engine, order_id)
    assert found is not None
    return found


async def test_return_is_approved_with_rma_and_instructions(
    shop_engine: AsyncEngine, policy: AftersalesPolicy, now: datetime
) -> None:
    order = await load(shop_engine, TSHIRT)
    plan = policy.plan(order, [ItemRequest(0)], kind="return", reason="size_or_fit", now=now)
    notifier = RecordingNotifier()
    ticket = await open_return(shop_engine, policy, order, plan, LIWEI, notifier=notifier, now=now)
    assert (ticket.kind, ticket.status, ticket.category) == ("return", "approved", "size_or_fit")
    payload = ticket.payload
    assert payload["rma"] == rma_number(ticket.id)
    assert payload["refund"]["total_cents"] == order.total_cents - order.shipping_cents
    assert payload["refund"]["method"] == order.payment_method
    assert payload["return_shipping_paid_by"] == "customer"
    assert payload["items"][0]["line"] == 0 and payload["items"][0]["reason_code"] == (
        "no_reason_return"
    )
    for lang, address in (("zh", "金科路"), ("en", "Jinke Road")):
        text = payload["instructions"][lang]
        assert payload["rma"] in text and address in text
    assert "运费需由您承担" in payload["instructions"]["zh"]
    history = await ticket_history(shop_engine, ticket.id)
    assert [(e.actor, e.from_status, e.to_status) for e in history] == [
        ("customer", None, "requested"),
        ("system:policy", "requested", "approved"),
    ]
    assert "no_reason_return" in (history[1].note or "")
    [(told, event)] = notifier.calls
    assert told == ticket and event.to_status == "approved"
    notice = customer_notice(told, event, timezone="Asia/Shanghai")
    assert payload["rma"] in notice and "已审核通过" in notice


async def test_the_same_return_twice_makes_one_ticket(
    shop_engine: AsyncEngine, policy: AftersalesPolicy, now: datetime
) -> None:
    order = await load(shop_engine, TSHIRT)
    plan = policy.plan(order, [ItemRequest(0)], kind="return", reason="no_reason", now=now)
    notifier = RecordingNotifier()
    first = await open_return(shop_engine, policy, order, plan, LIWEI, notifier=notifier, now=now)
    again = await open_return(shop_engine, policy, order, plan, LIWEI, notifier=notifier, now=now)
    assert again == first
    assert len(await list_tickets(shop_engine, order_id=TSHIRT, kind="return")) == 1
    assert len(notifier.calls) == 1
    # Now the item counts as returned: another request is refused with the reason.
    returned = await returned_so_far(shop_engine, order)
    assert returned == {0: 1}
    later = policy.plan(
        order,
        [ItemRequest(0)],
        kind="return",
        reason="no_reason",
        now=now,
        already_returned=returned,
    )
    assert later.decisions[0].reason_code == "already_returned"
    # A retry of the same request (planned again, now refused) still finds its ticket ...
    assert await open_return(shop_engine, policy, order, later, LIWEI, now=now) == first
    # ... while a new request for the same item makes no ticket.
    with pytest.raises(ValueError, match="already_returned"):
        await open_return(
            shop_engine, policy, order, later, LIWEI, key="return:demo-liwei:msg-2", now=now
        )


async def test_refused_requests_make_no_ticket(
    shop_engine: AsyncEngine, policy: AftersalesPolicy, now: datetime
) -> None:
    order = await load(shop_engine, KETTLE)
    plan = policy.plan(order, [ItemRequest(0)], kind="return", reason="no_reason", now=now)
    assert plan.decisions[0].reason_code == "return_window_passed"
    assert [a.kind for a in plan.decisions[0].alternatives] == ["warranty_repair"]
    with pytest.raises(ValueError, match="return_window_passed"):
        await open_return(shop_engine, policy, order, plan, LIWEI, now=now)
    exchange = policy.plan(order, [ItemRequest(0)], kind="exchange", reason="no_reason", now=now)
    with pytest.raises(ValueError, match="expected a return plan"):
        await open_return(shop_engine, policy, order, exchange, LIWEI, now=now)
    assert await list_tickets(shop_engine, order_id=KETTLE) == []


async def _discounted_multi_item_order(engine: AsyncEngine, shop: ShopFactory) -> Order:
    """A new delivered order with three lines and a discount."""
    made = shop.order(
        products_=[shop.product("clothing"), shop.product("home"), shop.product("books")],
        discount_cents=2_300,
    )
    return await load(engine, made.id)


async def test_partial_returns_share_the_discount_and_add_up(
    shop_engine: AsyncEngine, policy: AftersalesPolicy, shop: ShopFactory
) -> None:
    order = await _discounted_multi_item_order(shop_engine, shop)
    assert order.delivered_at is not None
    when = order.delivered_at + timedelta(days=2)
    refunds = 0
    made: list[Ticket] = []
    for line, item in enumerate(order.items):
        returned = await returned_so_far(shop_engine, order)
        plan = policy.plan(
            order,
            [ItemRequest(line, item.quantity)],
            kind="return",
            reason="quality_problem",
            now=when,
            already_returned=returned,
        )
        assert plan.allowed, plan
        ticket = await open_return(shop_engine, policy, order, plan, EMMA, now=when)
        made.append(ticket)
        refunds += ticket.payload["refund"]["total_cents"]
        assert ticket.payload["return_shipping_paid_by"] == "shop"
    assert len({t.id for t in made}) == len(order.items)
    assert refunds == order.total_cents  # the last part brings back the delivery fee as well
    whole = quote_refund(order, [(i, it.quantity) for i, it in enumerate(order.items)])
    assert sum(t.payload["refund"]["items_cents"] for t in made) == whole.items_cents


async def test_staff_take_a_return_to_the_end(
    shop_engine: AsyncEngine, policy: AftersalesPolicy, now: datetime
) -> None:
    order = await load(shop_engine, TSHIRT)
    plan = policy.plan(order, [ItemRequest(0)], kind="return", reason="no_reason", now=now)
    ticket = await open_return(shop_engine, policy, order, plan, LIWEI, auto_approve=False, now=now)
    assert ticket.status == "requested"
    notifier = RecordingNotifier()
    for step in ("approved", "item_received", "refunded", "closed"):
        await transition_ticket(shop_engine, ticket.id, step, actor="staff:王芳", notifier=notifier)
    texts = [customer_notice(t, e, timezone="Asia/Shanghai") for t, e in notifier.calls]
    assert ticket.payload["rma"] in texts[0]
    assert "¥199.00" in texts[2] and "微信支付" in texts[2]
    assert "已关闭" in texts[3]


async def test_exchange_records_the_replacement(
    shop_engine: AsyncEngine, policy: AftersalesPolicy, now: datetime
) -> None:
    order = await load(shop_engine, "260411555501")  # Emma's running shoes
    plan = policy.plan(order, [ItemRequest(0)], kind="exchange", reason="size_or_fit", now=now)
    replacement = Replacement(sku="RS-42", size="42", color="Black")
    ticket = await open_exchange(shop_engine, policy, order, plan, EMMA, {0: replacement}, now=now)
    assert (ticket.kind, ticket.status) == ("exchange", "approved")
    assert ticket.payload["items"][0]["replacement"] == {
        "sku": "RS-42",
        "size": "42",
        "color": "Black",
    }
    assert ticket.payload["rma"] == rma_number(ticket.id) and "refund" not in ticket.payload
    again = await open_exchange(shop_engine, policy, order, plan, EMMA, {0: replacement}, now=now)
    assert again.id == ticket.id
    with pytest.raises(ValueError, match="lines"):
        await open_exchange(shop_engine, policy, order, plan, EMMA, {3: replacement}, now=now)


async def test_refund_without_return_waits_for_staff(
    shop_engine: AsyncEngine, policy: AftersalesPolicy
) -> None:
    order = await load(shop_engine, TSHIRT)
    ticket = await open_refund(shop_engine, policy, order, [(0, 1)], "wrong_item", LIWEI)
    assert (ticket.kind, ticket.status) == ("refund", "requested")
    assert ticket.payload["refund"]["total_cents"] == 19_900
    assert (await returned_so_far(shop_engine, order)) == {0: 1}
    again = await open_refund(shop_engine, policy, order, [(0, 1)], "wrong_item", LIWEI)
    assert again.id == ticket.id
    await transition_ticket(shop_engine, ticket.id, "rejected", actor="staff:a")
    assert (await returned_so_far(shop_engine, order)) == {}


async def test_complaints_get_type_severity_and_deadline(
    shop_engine: AsyncEngine, cfg: Config
) -> None:
    text = "退款申请两周了还没到账，再不退我就打12315"
    created = datetime(2026, 4, 21, 2, 0, tzinfo=UTC)
    verdict = load_classifier().classify(text)
    assert verdict.complaint_type == "refund_delay"
    prior = await complaint_count(shop_engine, "C0001", days=90, now=created)
    severity = assess(
        verdict,
        text=text,
        sentiment=-0.6,
        segment="vip",
        prior_complaints=prior,
        rules=cfg.aftersales,
    )
    requester = Requester("C0001", "web", "demo-liwei", "zh", text)
    ticket = await open_complaint(
        shop_engine, severity, requester, order_id=None, key="complaint:demo-liwei:m1", now=created
    )
    assert (ticket.kind, ticket.status, ticket.category) == (
        "complaint",
        "requested",
        "refund_delay",
    )
    assert ticket.severity == severity.level == "high"  # refund 2 + negative 1 + vip 1 = 4
    assert ticket.sla_due_at == created + timedelta(hours=8)
    assert ticket.payload["needs_human"] is True
    assert "escalation_threat" in ticket.payload["severity_factors"]
    same = await open_complaint(
        shop_engine, severity, requester, order_id=None, key="complaint:demo-liwei:m1", now=created
    )
    assert same.id == ticket.id
    assert await complaint_count(shop_engine, "C0001", days=90, now=created) == 1
    assert (
        await complaint_count(shop_engine, "C0001", days=90, now=created + timedelta(days=91)) == 0
    )
    assert await complaint_count(shop_engine, None, days=90) == 0
    notice = customer_notice(
        ticket, (await ticket_history(shop_engine, ticket.id))[0], timezone="Asia/Shanghai"
    )
    assert "退款延迟" in notice and "4月21日 18:00" in notice
