"""Topic switches: a message naming its own order is handled on its own terms (a complaint
about order X while the return of order Y is pending is recorded about X, and the return goes
on with Y), a form is dropped with a confirmation of what was dropped, and a product named in
the request picks the order. Each test makes its customer and orders with the shop factory."""

from __future__ import annotations

from typing import Any

import pytest
from rasa_sdk.executor import CollectingDispatcher

from bot.actions._deps import Deps
from bot.actions.aftersales.complaints import Complaint
from bot.actions.aftersales.forms import ValidateExchangeRequestForm, ValidateReturnRequestForm
from bot.actions.conversation import StopForm
from bot.actions.order_asks import AskOrderId
from bot.actions.order_forms import ValidateCancelOrderForm, ValidateChangeAddressForm
from tests.actions.helpers import new_tickets
from tests.factory import Customer, Order, ShopFactory

from .helpers import make_tracker, slot_events, texts

RETURN_FORM = "return_request_form"
EXCHANGE_FORM = "exchange_request_form"
RESUME = {"en": "back to your return", "zh": "继续刚才的退货"}


def _user(text: str, *order_ids: str) -> dict[str, Any]:
    """An earlier customer message (naming ``order_ids``) as a tracker event."""
    entities = [{"entity": "order_id", "value": order_id} for order_id in order_ids]
    return {
        "event": "user",
        "text": text,
        "parse_data": {"text": text, "intent": {"name": "complaint"}, "entities": entities},
        "message_id": f"earlier-{abs(hash(text))}",
    }


def _form_started(form: str, order_id: str, *more: dict[str, Any]) -> list[dict[str, Any]]:
    """Events of a form that started on ``order_id`` (and what happened since)."""
    return [
        _user(f"start {order_id}", order_id),
        {"event": "slot", "name": "order_id", "value": order_id},
        {"event": "active_loop", "name": form},
        *more,
    ]


def _two_orders(shop: ShopFactory, lang: str) -> tuple[Customer, Order, Order]:
    """A customer with a delivered order (the return's) and one on its way."""
    customer = shop.customer(lang)
    returned = shop.order(customer, status="delivered", days_ago=2)
    other = shop.order(customer, status="in_transit", days_ago=1)
    return customer, returned, other


# A complaint naming another order during a form -----------------------------------------------
@pytest.mark.parametrize(
    ("lang", "said", "form"),
    [
        ("en", "I want to complain, the courier of order {x} was rude", RETURN_FORM),
        ("zh", "我要投诉，订单{x}的快递员态度很差", RETURN_FORM),
        ("en", "the courier who brought {x} shouted at me, I want to complain", EXCHANGE_FORM),
        ("zh", "投诉一下{x}这单的快递员，把包裹扔在门口", EXCHANGE_FORM),
    ],
)
async def test_a_complaint_naming_another_order_is_about_that_order_and_the_form_goes_on(
    deps: Deps, shop: ShopFactory, lang: str, said: str, form: str
) -> None:
    customer, returned, other = _two_orders(shop, lang)
    text = said.format(x=other.id)
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=text,
        intent="complaint",
        entities=[{"entity": "order_id", "value": other.id}],
        # The entity replaced the form's order in the slot (from_entity mapping).
        slots={"order_id": other.id, "requested_slot": "aftersales_line", "language": lang},
        events_before=_form_started(form, returned.id),
        active_loop=form,
    )
    dispatcher = CollectingDispatcher()
    events = await Complaint().run(dispatcher, tracker, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id == other.id and ticket.payload["text"] == text
    assert slot_events(events) == {"order_id": returned.id}  # the form keeps its own order
    said_back = texts(dispatcher)
    assert ticket.id in said_back
    kind = "exchange" if form == EXCHANGE_FORM else "return"
    resume = {"en": f"back to your {kind}", "zh": "换货" if kind == "exchange" else "退货"}
    assert resume[lang] in said_back


@pytest.mark.parametrize(
    ("lang", "form", "said", "resume"),
    [
        ("en", RETURN_FORM, "I want to complain, the courier of order {x} was rude", "return"),
        ("zh", EXCHANGE_FORM, "我要投诉，订单{x}的快递员态度很差", "换货"),
        ("en", "cancel_order_form", "complaint about {x}: the driver was rude", "cancellation"),
        ("zh", "change_address_form", "投诉{x}的快递员乱扔包裹", "修改地址"),
    ],
)
async def test_a_form_given_a_complaint_about_another_order_records_it_there_and_goes_on(
    deps: Deps,
    domain: dict[str, Any],
    shop: ShopFactory,
    lang: str,
    form: str,
    said: str,
    resume: str,
) -> None:
    """The form takes every order number it is given (the message never reaches the complaint
    rule), so its validation answers the complaint and keeps its own order."""
    customer = shop.customer(lang)
    status = "delivered" if form in (RETURN_FORM, EXCHANGE_FORM) else "paid"
    own = shop.order(customer, status=status, days_ago=1)
    other = shop.order(customer, status="in_transit", days_ago=1)
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=said.format(x=other.id),
        intent="complaint",
        entities=[{"entity": "order_id", "value": other.id}],
        slots={"requested_slot": "confirm", "language": lang},
        events_before=_form_started(form, own.id),
        slot_candidates={"order_id": other.id},
        active_loop=form,
    )
    validation = next(v for v in _validations() if v.name() == f"validate_{form}")
    dispatcher = CollectingDispatcher()
    result = await validation.validate_order_id(other.id, dispatcher, tracker, domain)
    assert result == {"order_id": own.id}  # the form keeps its own order
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id == other.id
    said_back = texts(dispatcher)
    assert ticket.id in said_back and resume in said_back
    assert other.tracking_number not in said_back  # a complaint, not a status answer
    # The same order given back (after the complaint rule's action) is taken quietly.
    quiet = CollectingDispatcher()
    assert await validation.validate_order_id(own.id, quiet, tracker, domain) == {
        "order_id": own.id
    }
    assert quiet.messages == []


def _validations() -> list[Any]:
    return [
        ValidateReturnRequestForm(),
        ValidateExchangeRequestForm(),
        ValidateCancelOrderForm(),
        ValidateChangeAddressForm(),
    ]


async def test_asking_the_forms_own_request_for_another_order_switches_to_it(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    customer = shop.customer("en")
    first = shop.order(customer, status="paid", days_ago=1)
    second = shop.order(customer, status="paid", days_ago=1)
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=f"sorry, I meant cancel {second.id}",
        intent="cancel_order",
        entities=[{"entity": "order_id", "value": second.id}],
        slots={"requested_slot": "confirm"},
        events_before=_form_started("cancel_order_form", first.id),
        slot_candidates={"order_id": second.id},
        active_loop="cancel_order_form",
    )
    dispatcher = CollectingDispatcher()
    found = await ValidateCancelOrderForm().validate_order_id(
        second.id, dispatcher, tracker, domain
    )
    assert found == {"order_id": second.id} and dispatcher.messages == []


@pytest.mark.parametrize(
    ("lang", "resume"),
    [("en", "back to the cancellation for order"), ("zh", "取消订单申请")],
)
async def test_a_complaint_during_a_cancellation_keeps_the_cancellations_order(
    deps: Deps, shop: ShopFactory, lang: str, resume: str
) -> None:
    customer = shop.customer(lang)
    unshipped = shop.order(customer, status="paid", days_ago=1)
    delivered = shop.order(customer, status="delivered", days_ago=3)
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=f"order {delivered.id}: the courier left it in the rain, I want to complain",
        intent="complaint",
        entities=[{"entity": "order_id", "value": delivered.id}],
        slots={"order_id": delivered.id, "requested_slot": "confirm", "language": lang},
        events_before=_form_started("cancel_order_form", unshipped.id),
        active_loop="cancel_order_form",
    )
    dispatcher = CollectingDispatcher()
    events = await Complaint().run(dispatcher, tracker, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id == delivered.id
    assert slot_events(events) == {"order_id": unshipped.id}
    assert resume in texts(dispatcher) and unshipped.id in texts(dispatcher)


@pytest.mark.parametrize(
    ("lang", "details"),
    [("en", "he threw it over the fence and drove off"), ("zh", "他直接把包裹扔进院子就走了")],
)
async def test_complaint_details_go_with_the_order_the_customer_named_before(
    deps: Deps, shop: ShopFactory, lang: str, details: str
) -> None:
    customer, returned, other = _two_orders(shop, lang)
    earlier = _user(f"the courier of {other.id} was rude", other.id)
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=details,
        intent="complaint",
        slots={"order_id": returned.id, "requested_slot": "aftersales_line", "language": lang},
        events_before=_form_started(RETURN_FORM, returned.id, earlier),
        active_loop=RETURN_FORM,
    )
    await Complaint().run(CollectingDispatcher(), tracker, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id == other.id  # never the pending return's order


@pytest.mark.parametrize(
    ("lang", "complaint", "ask"),
    [
        ("en", "your courier service is a joke", "Which order is your complaint about"),
        ("zh", "你们的快递服务太差劲了", "投诉的是哪个订单"),
    ],
)
async def test_a_complaint_naming_no_order_during_a_form_asks_which_order(
    deps: Deps, shop: ShopFactory, lang: str, complaint: str, ask: str
) -> None:
    customer, returned, other = _two_orders(shop, lang)
    sender = f"web:{customer.sender}"
    started = _form_started(RETURN_FORM, returned.id)
    slots = {"order_id": returned.id, "requested_slot": "aftersales_line", "language": lang}
    tracker = make_tracker(
        sender_id=sender,
        text=complaint,
        intent="complaint",
        slots=slots,
        events_before=started,
        active_loop=RETURN_FORM,
    )
    asked = CollectingDispatcher()
    assert slot_events(await Complaint().run(asked, tracker, {})) == {}
    assert await new_tickets(deps.engine, "complaint") == []  # not silently Y
    assert ask in texts(asked) and RESUME[lang] in texts(asked)
    payloads = [b["payload"] for m in asked.messages for b in m.get("buttons") or []]
    chosen = f'/complaint{{"complaint_order":"{other.id}"}}'
    assert chosen in payloads and '/complaint{"complaint_order":"none"}' in payloads
    assert f'/complaint{{"complaint_order":"{returned.id}"}}' in payloads
    # The customer taps the order on its way: the complaint (their earlier words) is about it.
    answer = make_tracker(
        sender_id=sender,
        text=chosen,
        intent="complaint",
        entities=[{"entity": "complaint_order", "value": other.id}],
        slots=slots,
        events_before=[*started, _user(complaint)],
        active_loop=RETURN_FORM,
    )
    recorded = CollectingDispatcher()
    await Complaint().run(recorded, answer, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id == other.id and ticket.payload["text"] == complaint
    assert ticket.id in texts(recorded) and RESUME[lang] in texts(recorded)
    # Tapping again (or the gateway redelivering the tap) records nothing more.
    await Complaint().run(CollectingDispatcher(), answer, {})
    assert len(await new_tickets(deps.engine, "complaint")) == 1


async def test_not_about_an_order_records_the_complaint_without_one(
    deps: Deps, shop: ShopFactory
) -> None:
    customer, returned, _ = _two_orders(shop, "en")
    answer = make_tracker(
        sender_id=f"web:{customer.sender}",
        text='/complaint{"complaint_order":"none"}',
        intent="complaint",
        entities=[{"entity": "complaint_order", "value": "none"}],
        slots={"order_id": returned.id, "requested_slot": "aftersales_line"},
        events_before=[*_form_started(RETURN_FORM, returned.id), _user("your agents are rude")],
        active_loop=RETURN_FORM,
    )
    await Complaint().run(CollectingDispatcher(), answer, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id is None and ticket.payload["text"] == "your agents are rude"


async def test_someone_elses_order_picked_on_a_button_is_not_linked(
    deps: Deps, shop: ShopFactory
) -> None:
    customer, returned, _ = _two_orders(shop, "en")
    stranger = shop.order(status="delivered")
    answer = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=f'/complaint{{"complaint_order":"{stranger.id}"}}',
        intent="complaint",
        entities=[{"entity": "complaint_order", "value": stranger.id}],
        slots={"order_id": returned.id, "requested_slot": "aftersales_line"},
        events_before=[*_form_started(RETURN_FORM, returned.id), _user("the box was soaked")],
        active_loop=RETURN_FORM,
    )
    await Complaint().run(CollectingDispatcher(), answer, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id is None


# Dropping a form ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "form", "expected"),
    [
        ("en", RETURN_FORM, "stopped the return for order {o}"),
        ("zh", RETURN_FORM, "已为您取消订单 {o} 的退货申请"),
        ("en", EXCHANGE_FORM, "stopped the exchange for order {o}"),
        ("zh", "change_address_form", "已为您取消订单 {o} 的修改地址申请"),
    ],
)
async def test_dropping_a_form_says_what_was_dropped(
    deps: Deps, lang: str, form: str, expected: str
) -> None:
    order_id = "260402118830"
    tracker = make_tracker(
        text="never mind" if lang == "en" else "算了",
        intent="deny",
        slots={"order_id": order_id, "language": lang, "aftersales_reason": "size_or_fit"},
        events_before=_form_started(form, order_id),
    )
    dispatcher = CollectingDispatcher()
    events = await StopForm().run(dispatcher, tracker, {})
    assert expected.format(o=order_id) in texts(dispatcher)
    assert slot_events(events)["order_id"] is None
    assert slot_events(events)["aftersales_reason"] is None  # nothing stale carries over


# A product named in the request picks the order ---------------------------------------------------
def _tshirt_and_earbuds(
    shop: ShopFactory, lang: str, tshirts: int = 1
) -> tuple[Customer, list[Order], Order]:
    customer = shop.customer(lang)
    shirts = [
        shop.order(customer, products_=[shop.product("clothing", named="T-Shirt")])
        for _ in range(tshirts)
    ]
    earbuds = shop.order(customer, products_=[shop.product("electronics", named="Earbuds")])
    return customer, shirts, earbuds


def _starting(customer: Customer, text: str, lang: str, form: str = RETURN_FORM) -> Any:
    return make_tracker(
        sender_id=f"web:{customer.sender}",
        text=text,
        intent="return_request",
        slots={"language": lang},
        active_loop=form,
    )


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "I want to return the T-shirt"), ("zh", "那件T恤我想退"), ("en", "exchange my tee")],
)
async def test_the_only_order_with_the_named_product_is_picked(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory, lang: str, said: str
) -> None:
    customer, [shirt], _ = _tshirt_and_earbuds(shop, lang)
    form = EXCHANGE_FORM if said.startswith("exchange") else RETURN_FORM
    validation = (
        ValidateExchangeRequestForm() if form == EXCHANGE_FORM else ValidateReturnRequestForm()
    )
    tracker = _starting(customer, said, lang, form)
    found = await validation.extract_order_id(CollectingDispatcher(), tracker, domain)
    assert found == {"order_id": shirt.id}


async def test_earbuds_named_in_chinese_pick_the_earbuds_order(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    customer, _, earbuds = _tshirt_and_earbuds(shop, "zh")
    tracker = _starting(customer, "耳机有杂音，想退", "zh")
    found = await ValidateReturnRequestForm().extract_order_id(
        CollectingDispatcher(), tracker, domain
    )
    assert found == {"order_id": earbuds.id}


async def test_the_named_product_also_picks_its_item_of_a_multi_item_order(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    customer = shop.customer("en")
    shirt = shop.product("clothing", named="T-Shirt")
    order = shop.order(customer, products_=[shop.product("home"), shirt])
    tracker = _starting(customer, "the T-shirt has to go back", "en")
    found = await ValidateReturnRequestForm().extract_order_id(
        CollectingDispatcher(), tracker, domain
    )
    assert found == {"order_id": order.id, "aftersales_line": f"{order.id}#1"}


@pytest.mark.parametrize(
    ("lang", "said", "asked"),
    [("en", "return the T-shirt please", "More than one"), ("zh", "T恤想退掉", "不止一个")],
)
async def test_several_orders_with_the_product_are_offered_alone(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory, lang: str, said: str, asked: str
) -> None:
    customer, shirts, earbuds = _tshirt_and_earbuds(shop, lang, tshirts=2)
    tracker = _starting(customer, said, lang)
    validation = ValidateReturnRequestForm()
    assert await validation.extract_order_id(CollectingDispatcher(), tracker, domain) == {}
    dispatcher = CollectingDispatcher()
    await AskOrderId().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert asked in message["text"]
    offered = {b["payload"] for b in message["buttons"]}
    assert offered == {f'/inform{{"order_id":"{o.id}"}}' for o in shirts}
    assert earbuds.id not in str(offered)


@pytest.mark.parametrize(
    ("lang", "said", "told"),
    [("en", "I want to return the hoodie", "None of your orders"), ("zh", "卫衣要退", "没有")],
)
async def test_a_product_in_none_of_the_orders_is_said_and_the_eligible_ones_listed(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory, lang: str, said: str, told: str
) -> None:
    customer, [shirt], earbuds = _tshirt_and_earbuds(shop, lang)
    too_old = shop.order(customer, status="delivered", days_ago=60)
    tracker = _starting(customer, said, lang)
    assert (
        await ValidateReturnRequestForm().extract_order_id(CollectingDispatcher(), tracker, domain)
        == {}
    )
    dispatcher = CollectingDispatcher()
    await AskOrderId().run(dispatcher, tracker, domain)
    [message] = dispatcher.messages
    assert told in message["text"]
    offered = {b["payload"] for b in message["buttons"]}
    assert offered == {f'/inform{{"order_id":"{o.id}"}}' for o in (shirt, earbuds)}
    assert too_old.id not in str(offered)  # outside the return window: not eligible


@pytest.mark.parametrize(("lang", "answer"), [("en", "the earbuds one"), ("zh", "耳机那单")])
async def test_a_product_answering_which_order_picks_it(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory, lang: str, answer: str
) -> None:
    customer, _, earbuds = _tshirt_and_earbuds(shop, lang)
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=answer,
        intent="inform",
        slots={"language": lang, "requested_slot": "order_id"},
        active_loop=RETURN_FORM,
    )
    dispatcher = CollectingDispatcher()
    found = await ValidateReturnRequestForm().validate_order_id(answer, dispatcher, tracker, domain)
    assert found == {"order_id": earbuds.id}
    assert dispatcher.messages == []


async def test_cancelling_the_named_product_picks_only_an_unshipped_order(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    customer = shop.customer("en")
    shop.order(customer, products_=[shop.product("clothing", named="T-Shirt")])  # delivered
    unshipped = shop.order(
        customer, status="paid", days_ago=1, products_=[shop.product("clothing", named="T-Shirt")]
    )
    tracker = _starting(customer, "please cancel the T-shirt", "en", "cancel_order_form")
    found = await ValidateCancelOrderForm().extract_order_id(
        CollectingDispatcher(), tracker, domain
    )
    assert found == {"order_id": unshipped.id}


# Moving on to another request -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "said", "intent", "names_other", "dropped"),
    [
        ("en", "actually, cancel order {x} please", "cancel_order", True, "the return for order"),
        ("zh", "先不退了，帮我把{x}取消掉", "cancel_order", True, "的退货申请"),
        ("en", "I need to change my delivery address", "change_address", False, "the return"),
        ("zh", "我想改一下收货地址", "change_address", False, "退货申请"),
    ],
)
async def test_another_request_drops_the_form_and_starts_fresh(
    deps: Deps,
    domain: dict[str, Any],
    shop: ShopFactory,
    lang: str,
    said: str,
    intent: str,
    names_other: bool,
    dropped: str,
) -> None:
    customer, returned, _ = _two_orders(shop, lang)
    unshipped = shop.order(customer, status="paid", days_ago=1)
    entities = [{"entity": "order_id", "value": unshipped.id}] if names_other else []
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=said.format(x=unshipped.id),
        intent=intent,
        entities=entities,
        slots={
            "requested_slot": "aftersales_confirm",
            "aftersales_reason": "size_or_fit",
            "language": lang,
        },
        events_before=_form_started(RETURN_FORM, returned.id),
        slot_candidates={"order_id": unshipped.id} if names_other else {},
        active_loop=RETURN_FORM,
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateReturnRequestForm().run(dispatcher, tracker, domain)
    assert {"event": "action_execution_rejected", "name": RETURN_FORM} in [
        {"event": e["event"], "name": e.get("name")} for e in events
    ]
    slots = slot_events(events)
    # The new request gets the order it names, else asks: never the dropped return's order.
    assert slots["order_id"] == (unshipped.id if names_other else None)
    assert slots["aftersales_reason"] is None and slots["requested_slot"] is None
    said_back = texts(dispatcher)
    assert dropped in said_back and returned.id in said_back


async def test_the_forms_own_kind_of_request_does_not_drop_it(
    deps: Deps, domain: dict[str, Any], shop: ShopFactory
) -> None:
    customer, returned, _ = _two_orders(shop, "en")
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text="can I exchange it instead",
        intent="exchange_request",
        slots={"requested_slot": "aftersales_reason"},
        events_before=_form_started(RETURN_FORM, returned.id),
        active_loop=RETURN_FORM,
    )
    dispatcher = CollectingDispatcher()
    events = await ValidateReturnRequestForm().run(dispatcher, tracker, domain)
    assert all(e["event"] != "action_execution_rejected" for e in events)
    assert "stopped" not in texts(dispatcher)


@pytest.mark.parametrize(
    ("lang", "said"),
    [
        ("en", "the heater you sold me caught fire and burned my hand"),
        ("zh", "你们卖的取暖器起火了，把我的手烧伤了"),
    ],
)
async def test_a_serious_complaint_naming_no_order_goes_to_a_person_without_asking(
    deps: Deps, shop: ShopFactory, lang: str, said: str
) -> None:
    customer, returned, _ = _two_orders(shop, lang)
    tracker = make_tracker(
        sender_id=f"web:{customer.sender}",
        text=said,
        intent="complaint",
        slots={"order_id": returned.id, "requested_slot": "aftersales_line", "language": lang},
        events_before=_form_started(RETURN_FORM, returned.id),
        active_loop=RETURN_FORM,
    )
    dispatcher = CollectingDispatcher()
    await Complaint().run(dispatcher, tracker, {})
    [ticket] = await new_tickets(deps.engine, "complaint")
    assert ticket.order_id is None and ticket.payload["needs_human"] is True
    assert any(m.get("custom") for m in dispatcher.messages)  # the handoff request
    assert "complaint_order" not in str(dispatcher.messages)
