"""Which of the customer's orders a request can apply to, and the one a product named in the
message picks without its number ("I want to return the T-shirt", "那件T恤", "耳机").

A product named in the message picks the order when exactly one of the customer's eligible
orders (those the request still fits, :func:`order_fits_form`) contains it; when several do,
the form asks with only those; when none does, it says so and lists the eligible ones
(bot/actions/order_asks.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from rasa_sdk import Tracker

from bot.services import catalog, orders
from bot.services.types import Order, Product

from ._common import current_customer_id, latest_text
from ._deps import Deps
from .form_replies import points_back, says_yes

SHIPPED = frozenset({"shipped", "in_transit"})
RECENT_ORDERS = 5
# Orders looked at to find RECENT_ORDERS that fit the current request.
CANDIDATE_ORDERS = 20


def order_fits_form(order: Order, form: str | None, deps: Deps) -> bool:
    """Whether the request of ``form`` can still apply to ``order`` (any order for others)."""
    if form == "cancel_order_form":
        return orders.can_cancel(order, deps.config.orders.cancellable_statuses).allowed
    if form == "change_address_form":
        return orders.can_change_address(
            order, deps.config.orders.address_changeable_statuses
        ).allowed
    if form in ("return_request_form", "exchange_request_form"):
        window = deps.aftersales.return_window(order, deps.clock())
        # A parcel on its way can still be returned: the return intercepts it.
        in_transit = form == "return_request_form" and order.status in SHIPPED
        return window.state == "open" or in_transit
    return True


def choosable_orders(candidates: list[Order], form: str | None, deps: Deps) -> list[Order]:
    """The recent orders offered as buttons for ``form``, newest first.

    Requests that only some orders allow (cancelling, a new address, a return or an exchange)
    offer just those orders; when none of the recent orders fits, the latest ones are offered
    anyway, and the form's answer explains why the chosen order does not qualify.
    """
    fitting = [order for order in candidates if order_fits_form(order, form, deps)]
    return (fitting or candidates)[:RECENT_ORDERS]


async def candidate_orders(tracker: Tracker, deps: Deps) -> list[Order]:
    """The customer's recent orders, newest first; none for a guest."""
    customer_id = await current_customer_id(tracker, deps.engine)
    if not customer_id:
        return []
    return await orders.list_orders(deps.engine, customer_id, limit=CANDIDATE_ORDERS)


@dataclass(frozen=True)
class ProductPick:
    """A product named in a message and the customer's eligible orders that contain it."""

    product: Product  # what the message names (the first matching order's item, else the best
    # catalogue match)
    orders: list[Order]  # the eligible orders containing it, newest first
    lines: dict[str, int]  # order id -> index of its line with the product
    eligible: list[Order]  # every order the request fits

    @property
    def order(self) -> Order | None:
        """The order the product picks: the only eligible one containing it."""
        return self.orders[0] if len(self.orders) == 1 else None


async def pick_by_product(
    text: str, candidates: list[Order], form: str | None, deps: Deps
) -> ProductPick | None:
    """What a product named in ``text`` says about the order meant; None when it names none."""
    if not text.strip() or not candidates:
        return None
    eligible = [order for order in candidates if order_fits_form(order, form, deps)]
    # Every candidate's products at once: the eligible orders' are matched first, the others'
    # name the product when no eligible order has it.
    ids = list(dict.fromkeys(item.product_id for order in candidates for item in order.items))
    products = {p.id: p for p in await catalog.list_products(deps.engine, ids=ids)} if ids else {}
    matching: list[Order] = []
    lines: dict[str, int] = {}
    for order in eligible:
        for index, item in enumerate(order.items):
            product = products.get(item.product_id)
            if product is not None and catalog.names_product(text, product):
                matching.append(order)
                lines[order.id] = index
                break
    if matching:
        named: Product | None = products[matching[0].items[lines[matching[0].id]].product_id]
    else:
        # The customer's own product, in an order the request does not fit ("return the rice
        # cooker" not delivered yet), before the catalogue's best match.
        own = (products[i] for i in ids if i in products)
        named = next((product for product in own if catalog.names_product(text, product)), None)
        named = named or await catalog.product_named_in(deps.engine, text)
    if named is None:
        return None
    return ProductPick(named, matching, lines, eligible)


async def pick_in_any_order(tracker: Tracker, deps: Deps) -> ProductPick | None:
    """What a product named in the latest message says among all the customer's recent orders,
    whatever request they fit ("where is my earbuds order?")."""
    return await pick_by_product(
        latest_text(tracker), await candidate_orders(tracker, deps), None, deps
    )


async def only_choice(text: str, tracker: Tracker, deps: Deps) -> str | None:
    """The order a reply without a number means when the question offered one order: the
    customer's only order whatever the reply ("size 39 same colour"), or the one offered
    button answered with a yes or "that one"."""
    candidates = await candidate_orders(tracker, deps)
    offered = choosable_orders(candidates, tracker.active_loop_name, deps)
    if len(offered) != 1:
        return None
    if len(candidates) == 1 or says_yes(text) or points_back(text):
        return offered[0].id
    return None
