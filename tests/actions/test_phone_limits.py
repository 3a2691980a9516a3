"""The phone check of the order forms under attack: wrong numbers are counted per sender and
order across forms (5 within an hour lock the order for that sender for an hour); unlinked
chat accounts see nothing of an order without its phone; an unlinked account that gives the
customer's own phone is linked to that customer. Records come from tests/factory.py; the clock
is moved with time-machine."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.actions._deps import Deps, use_deps, utc_now
from bot.actions.order_asks import AskOrderId, AskPhone
from bot.actions.order_forms import ValidateOrderStatusForm
from bot.actions.orders import CancelOrder, ChangeAddress, OrderStatus
from bot.config import Config
from bot.i18n import fmt_datetime, t
from bot.services import orders
from bot.services.customers import resolve_customer
from bot.services.linking import link_account
from bot.storage.db import create_engine
from bot.storage.schema import orders as orders_table
from tests.factory import Order, ShopFactory

from .helpers import make_tracker, slot_events, texts

FORM = "order_status_form"
WRONG = ["13900000001", "13900000002", "13900000003", "13900000004", "13900000005"]


@pytest.fixture()
def traveller(now: datetime) -> Iterator[time_machine.Traveller]:
    """The clock stands at noon of the shop's seeding day until a test moves it."""
    with time_machine.travel(now, tick=False) as moved:
        yield moved


@pytest.fixture()
def live_deps(
    cfg: Config, shop_engine: AsyncEngine, traveller: time_machine.Traveller
) -> Iterator[Deps]:
    """The actions' dependencies on the real (travelled) clock."""
    with use_deps(Deps(config=cfg, engine=shop_engine, clock=utc_now)) as current:
        yield current


@dataclasses.dataclass
class Turn:
    slots: dict[str, Any]
    said: str


async def give_order(sender: str, order_id: str, domain: dict[str, Any]) -> Turn:
    """A new form: the customer names the order."""
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        sender_id=sender, text=order_id, intent="order_status", active_loop=FORM,
        slot_candidates={"order_id": order_id},
    )  # fmt: skip
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, domain)
    return Turn(slot_events(events), texts(dispatcher))


async def give_phone(
    sender: str, order_id: str, phone: str, domain: dict[str, Any], *, wrong_in_form: int = 0,
    lang: str = "en",
) -> Turn:  # fmt: skip
    """The customer answers the phone question (after ``wrong_in_form`` wrong ones)."""
    retry = {"event": "bot", "text": t("order.phone_retry", lang)}
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        sender_id=sender, text=phone, intent="inform", active_loop=FORM,
        slots={"order_id": order_id, "requested_slot": "phone", "language": lang},
        events_before=[retry] * wrong_in_form, slot_candidates={"phone": phone},
    )  # fmt: skip
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, domain)
    return Turn(slot_events(events), texts(dispatcher))


async def answer(sender: str, order_id: str, phone: str | None, lang: str = "en") -> str:
    """What the order status action says at the end of the form."""
    dispatcher = CollectingDispatcher()
    slots = {"order_id": order_id, "phone": phone, "language": lang}
    await OrderStatus().run(dispatcher, make_tracker(sender_id=sender, slots=slots), {})
    return texts(dispatcher)


def secrets_of(order: Order) -> list[str]:
    return [s for s in (order.tracking_number, "delivered", "签收", "Caoxi", "漕溪") if s]


def assert_reveals_nothing(said: str, order: Order) -> None:
    for secret in secrets_of(order):
        assert secret not in said


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_phone_brute_force_across_forms_is_locked_at_the_fifth_wrong_answer(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any],
    traveller: time_machine.Traveller, lang: str,
) -> None:  # fmt: skip
    order = shop.order(status="delivered")
    sender = "telegram:90001"
    # Form 1: three wrong numbers; the form gives up after the third.
    for tried in range(3):
        turn = await give_phone(sender, order.id, WRONG[tried], domain, wrong_in_form=tried)
        if tried < 2:
            assert turn.slots == {"phone": None, "requested_slot": "phone"}
        else:
            assert turn.slots == {"phone": WRONG[2], "requested_slot": None}
        traveller.shift(timedelta(minutes=2))
    said = await answer(sender, order.id, WRONG[2], lang)
    assert said == t("order.phone_mismatch", lang)
    # Form 2: asked for the phone again; the 4th wrong number gets a retry, the 5th locks.
    assert (await give_order(sender, order.id, domain)).slots["requested_slot"] == "phone"
    turn = await give_phone(sender, order.id, WRONG[3], domain)
    assert turn.slots == {"phone": None, "requested_slot": "phone"}
    traveller.shift(timedelta(minutes=2))
    fifth_at = utc_now()
    turn = await give_phone(sender, order.id, WRONG[4], domain, wrong_in_form=1)
    assert turn.slots == {"phone": None, "requested_slot": None}  # the form ends
    said = await answer(sender, order.id, None, lang)
    until = fmt_datetime(fifth_at + timedelta(hours=1), lang, live_deps.config.shop.timezone)
    assert said == t("order.phone_locked", lang, order_id=order.id, time=until)
    assert_reveals_nothing(said, order)
    # Form 3, half an hour later: no phone is asked, and even the right one is refused.
    traveller.shift(timedelta(minutes=30))
    turn = await give_order(sender, order.id, domain)
    assert turn.slots == {"order_id": order.id, "requested_slot": None}
    turn = await give_phone(sender, order.id, order.phone, domain)
    assert turn.slots == {"phone": None, "requested_slot": None} and turn.said == ""
    for action in (OrderStatus(), CancelOrder(), ChangeAddress()):
        dispatcher = CollectingDispatcher()
        slots = {"order_id": order.id, "phone": order.phone, "language": lang, "confirm": True}
        await action.run(dispatcher, make_tracker(sender_id=sender, slots=slots), {})
        assert texts(dispatcher) == t("order.phone_locked", lang, order_id=order.id, time=until)
    # Another sender is not locked out of the order; this sender is not locked out of others.
    assert (await give_order("telegram:90002", order.id, domain)).slots["requested_slot"] == (
        "phone"
    )
    other = shop.order(status="delivered")
    assert (await give_order(sender, other.id, domain)).slots["requested_slot"] == "phone"
    # An hour after the fifth wrong number the order opens again with the right phone.
    traveller.move_to(fifth_at + timedelta(hours=1, seconds=1))
    assert (await give_order(sender, order.id, domain)).slots["requested_slot"] == "phone"
    turn = await give_phone(sender, order.id, order.phone, domain)
    assert turn.slots == {"phone": orders.normalise_phone(order.phone), "requested_slot": None}
    said = await answer(sender, order.id, order.phone, lang)
    assert order.tracking_number is not None and order.tracking_number in said
    refreshed = await orders.get_order(live_deps.engine, order.id)
    assert refreshed is not None and refreshed.status == "delivered"


async def test_the_lock_survives_a_restart_of_the_action_server(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any], cfg: Config,
) -> None:  # fmt: skip
    order = shop.order(status="paid")
    sender = "slack:U0BRUTE"
    for tried in range(5):
        await give_phone(sender, order.id, WRONG[tried], domain, wrong_in_form=tried % 3)
    # A new process: its own engine on the same database.
    restarted = Deps(config=cfg, engine=_fresh_engine(live_deps.engine), clock=utc_now)
    try:
        with use_deps(restarted):
            turn = await give_order(sender, order.id, domain)
            assert turn.slots["requested_slot"] is None
            said = await answer(sender, order.id, None)
            assert said.startswith("Too many wrong phone numbers")
    finally:
        await restarted.engine.dispose()


def _fresh_engine(engine: AsyncEngine) -> AsyncEngine:
    return create_engine(engine.url.render_as_string(hide_password=False))


@pytest.mark.parametrize(
    "sender", ["telegram:424242", "slack:U0UNLINKED", "wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"]
)
async def test_an_unlinked_chat_account_sees_no_order_without_the_phone(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any], sender: str
) -> None:
    order = shop.order(status="paid")
    channel, _, external_id = sender.partition(":")
    assert await resolve_customer(live_deps.engine, channel, external_id) is None
    # No buttons with anybody's orders.
    dispatcher = CollectingDispatcher()
    await AskOrderId().run(dispatcher, make_tracker(sender_id=sender), domain)
    assert [m.get("buttons") for m in dispatcher.messages] == [[]]
    # The order number alone: the phone is asked, naming nothing but the number.
    turn = await give_order(sender, order.id, domain)
    assert turn.slots == {"order_id": order.id, "requested_slot": "phone"}
    dispatcher = CollectingDispatcher()
    await AskPhone().run(
        dispatcher, make_tracker(sender_id=sender, slots={"order_id": order.id}), domain
    )
    assert_reveals_nothing(texts(dispatcher), order)
    # Whatever the actions are asked to do without the phone: refused, nothing revealed or done.
    for action in (OrderStatus(), CancelOrder(), ChangeAddress()):
        dispatcher = CollectingDispatcher()
        slots = {"order_id": order.id, "confirm": True, "new_address": "上海市黄浦区南京东路1号"}
        metadata = {"channel": channel, "external_id": external_id, "customer_id": None}
        tracker = make_tracker(sender_id=sender, slots=slots, metadata=metadata)
        await action.run(dispatcher, tracker, {})
        said = texts(dispatcher)
        assert said == t("order.phone_mismatch", "en")
        assert_reveals_nothing(said, order)
    unchanged = await orders.get_order(live_deps.engine, order.id)
    assert unchanged is not None and unchanged.status == "paid"
    assert "南京东路" not in unchanged.shipping_address


# --- linking by order number plus phone ---------------------------------------------------------
async def test_an_unlinked_account_giving_the_customers_own_phone_is_linked(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any]
) -> None:
    customer = shop.customer("zh")
    order = shop.order(customer, status="delivered")
    turn = await give_phone("telegram:77001", order.id, customer.phone, domain, lang="zh")
    assert turn.slots["requested_slot"] is None
    assert turn.said == t("link.by_phone", "zh")
    linked = await resolve_customer(live_deps.engine, "telegram", "77001")
    assert linked is not None and linked.id == customer.id
    # From now on the account is the customer's: their orders as buttons, no phone asked.
    dispatcher = CollectingDispatcher()
    await AskOrderId().run(dispatcher, make_tracker(sender_id="telegram:77001"), domain)
    assert any(order.id in b["payload"] for b in dispatcher.messages[0]["buttons"])
    assert (await give_order("telegram:77001", order.id, domain)).slots["requested_slot"] is None


async def _set_order_phone(engine: AsyncEngine, order_id: str, phone: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.update(orders_table).where(orders_table.c.id == order_id).values(phone=phone)
        )


async def test_the_recipients_phone_shows_the_order_but_links_nothing(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any]
) -> None:
    order = shop.order(status="delivered")  # a gift: someone else receives it
    await _set_order_phone(live_deps.engine, order.id, "13711112222")
    turn = await give_phone("wechat:oGIFT", order.id, "137 1111 2222", domain)
    assert turn.slots == {"phone": "13711112222", "requested_slot": None}
    assert turn.said == ""
    assert await resolve_customer(live_deps.engine, "wechat", "oGIFT") is None


@pytest.mark.parametrize(
    ("sender", "setting"),
    [("web:browser-123", True), ("slack:U0NOLINK", False)],
    ids=["web-chat-ids-are-not-linked", "linking-switched-off"],
)
async def test_no_link_where_the_shop_does_not_want_one(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any], sender: str, setting: bool
) -> None:
    access = dataclasses.replace(live_deps.config.access, link_after_phone_check=setting)
    deps = dataclasses.replace(
        live_deps, config=dataclasses.replace(live_deps.config, access=access)
    )
    customer = shop.customer()
    order = shop.order(customer, status="delivered")
    with use_deps(deps):
        turn = await give_phone(sender, order.id, customer.phone, domain)
    assert turn.slots["requested_slot"] is None and turn.said == ""
    channel, _, external_id = sender.partition(":")
    assert await resolve_customer(live_deps.engine, channel, external_id) is None


async def test_an_account_linked_to_one_customer_is_never_moved_by_a_phone(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any]
) -> None:
    mine, theirs = shop.customer(), shop.customer()
    order = shop.order(theirs, status="delivered")
    assert await link_account(live_deps.engine, "telegram", "88001", mine.id)
    turn = await give_phone("telegram:88001", order.id, theirs.phone, domain)
    assert turn.slots["requested_slot"] is None and turn.said == ""
    linked = await resolve_customer(live_deps.engine, "telegram", "88001")
    assert linked is not None and linked.id == mine.id


async def test_senders_who_make_up_new_ids_are_capped_per_order(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any]
) -> None:
    order = shop.order(status="delivered")
    cap = live_deps.config.access.max_wrong_per_order
    assert cap == 20
    for n in range(cap):  # one wrong number each from new web chat ids
        turn = await give_phone(f"web:rotating-{n}", order.id, f"1390000{n:04d}", domain)
        assert turn.slots["requested_slot"] == ("phone" if n < cap - 1 else None)
    # Now nobody unlinked gets the phone question for this order, even with a fresh id ...
    turn = await give_order("web:rotating-new", order.id, domain)
    assert turn.slots == {"order_id": order.id, "requested_slot": None}
    said = await answer("web:rotating-new", order.id, order.phone)
    assert said.startswith("Too many wrong phone numbers")
    assert_reveals_nothing(said, order)
    # ... while the customer's own account still sees the order.
    said = await answer(f"web:{order.customer.sender}", order.id, None)
    assert order.tracking_number is not None and order.tracking_number in said


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "where is my order {order}"),
        ("zh", "我的订单{order}到哪了"),
        ("en", "{order}"),  # the form's own number typed again on its own
    ],
)
async def test_the_order_named_again_is_not_a_wrong_phone(
    live_deps: Deps, shop: ShopFactory, domain: dict[str, Any], lang: str, said: str
) -> None:
    """Asked for the phone, the customer repeats the request with its order number: the
    number is not taken for a wrong phone (no "doesn't match", nothing counted towards the
    lock); the form asks for the phone again."""
    order = shop.order(status="shipped")
    sender = "web:repeats-the-order"
    text = said.format(order=order.id)
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        sender_id=sender, text=text, intent="order_status", active_loop=FORM,
        slots={"order_id": order.id, "requested_slot": "phone", "language": lang},
        entities=[{"entity": "order_id", "value": order.id}],
    )  # fmt: skip
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, domain)
    assert "phone" not in slot_events(events)
    assert texts(dispatcher) == ""
    async with live_deps.engine.connect() as conn:
        counted = (await conn.execute(sa.text("SELECT count(*) FROM access_attempts"))).scalar()
    assert counted == 0
    # A phone number in the same words is still an answer (and checked).
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(
        sender_id=sender, text=f"order {order.id}, my phone is {WRONG[0]}", intent="inform",
        active_loop=FORM, slots={"order_id": order.id, "requested_slot": "phone", "language": lang},
    )  # fmt: skip
    events = await ValidateOrderStatusForm().run(dispatcher, tracker, domain)
    assert slot_events(events).get("phone") is None and "phone" in slot_events(events)
    assert texts(dispatcher) == t("order.phone_retry", lang)
