"""What the after-sales actions share: the forms' slots, the chosen item, reason and quantity,
labels, the policy's plan and ending a request."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import Lang
from bot.services.aftersales import returned_so_far
from bot.services.aftersales_answers import parse_line, payload_value
from bot.services.aftersales_policy import AftersalesPolicy
from bot.services.aftersales_terms import (
    QUALITY_REASONS,
    RETURN_REASONS,
    ItemRequest,
    Plan,
    RequestKind,
    ReturnReason,
)
from bot.services.types import Order, OrderItem, Product, Variant

from .._common import channel_and_external_id, events_in_form, latest_metadata
from .._deps import Deps
from ..order_forms import form_order_id_before, reset_flow

__all__ = ["form_order_id_before"]

AFTERSALES_FORMS = ("return_request_form", "exchange_request_form")
# Slots of the after-sales forms; cleared with the order slots when a request ends.
AFTERSALES_SLOTS = (
    "aftersales_line",
    "aftersales_quantity",
    "aftersales_reason",
    "aftersales_opened",
    "exchange_variant",
    "aftersales_photo",
    "aftersales_confirm",
)
# Channels whose adapters pass the customer's photos on (the web chat's photo button posts
# to POST /api/chat/photo; Slack's customer side sends text only).
PHOTO_CHANNELS = frozenset({"telegram", "wechat", "web"})
NO_PHOTO = "none"
MAX_REQUEST_TEXT = 500


def payload_of(tracker: Tracker, key: str) -> str | None:
    """``key`` of the button payload the latest message is, if it is one."""
    return payload_value(str(tracker.latest_message.get("text") or ""), key)


def variant_label(variant: Variant, lang: Lang) -> str:
    color = variant.color_zh if lang == "zh" else variant.color_en
    return " ".join(part for part in (color, variant.size) if part) or variant.sku


def item_label(item: OrderItem, lang: Lang) -> str:
    name = item.name_zh if lang == "zh" else item.name_en
    color = item.color_zh if lang == "zh" else item.color_en
    details = " ".join(part for part in (color, item.size) if part)
    return f"{name} ({details})" if details else name


def exchange_options(
    product: Product | None, item: OrderItem, reason: ReturnReason | None = None
) -> list[Variant]:
    """Variants in stock to exchange to: another size or colour, or - for a faulty item - the
    same one again."""
    if product is None:
        return []
    same_allowed = reason in QUALITY_REASONS
    return [
        v for v in product.variants if v.stock > 0 and (same_allowed or v.sku != item.variant_sku)
    ]


def like_for_like(product: Product | None, item: OrderItem, reason: ReturnReason | None) -> bool:
    """A faulty item of a product without sizes or colours is replaced by the same product."""
    return reason in QUALITY_REASONS and product is not None and not product.variants


def photos_of(tracker: Tracker) -> list[str]:
    """URLs of the images attached to the latest message."""
    attachments = latest_metadata(tracker).get("attachments") or []
    return [
        str(a["url"])
        for a in attachments
        if isinstance(a, dict) and a.get("kind") == "image" and a.get("url")
    ]


def request_text(tracker: Tracker) -> str:
    """What the customer wrote since the current form started (their words for staff)."""
    said = [
        text
        for e in events_in_form(tracker)
        if e.get("event") == "user"
        and (text := str(e.get("text") or "").strip())
        and not text.startswith("/")
    ]
    return " / ".join(said)[:MAX_REQUEST_TEXT]


def kind_of_form(form: str | None) -> RequestKind:
    return "exchange" if form == "exchange_request_form" else "return"


def reason_of(tracker: Tracker) -> ReturnReason | None:
    value = tracker.get_slot("aftersales_reason")
    return next((r for r in RETURN_REASONS if r == value), None)  # type: ignore[misc]


def line_of(tracker: Tracker, order: Order) -> int | None:
    if len(order.items) == 1:
        return 0
    value = tracker.get_slot("aftersales_line")
    return None if value is None else parse_line(value, order)


def quantity_of(tracker: Tracker) -> int | None:
    value = tracker.get_slot("aftersales_quantity")
    return int(value) if isinstance(value, str) and value.isdigit() else None


def policy_of(deps: Deps) -> AftersalesPolicy:
    return deps.aftersales


def _not_returned(order: Order, line: int, returned: dict[int, int]) -> int:
    return order.items[line].quantity - returned.get(line, 0)


async def remaining_quantity(engine: AsyncEngine, order: Order, line: int) -> int:
    """How many of order line ``line`` are not yet returned or exchanged."""
    return _not_returned(order, line, await returned_so_far(engine, order))


async def plan_request(
    order: Order,
    line: int,
    kind: RequestKind,
    reason: ReturnReason,
    opened: bool,
    deps: Deps,
    quantity: int | None = None,
) -> Plan:
    """The policy's plan for ``quantity`` units of ``line`` (default: all not yet returned)."""
    returned = await returned_so_far(deps.engine, order)
    remaining = max(_not_returned(order, line, returned), 1)
    request = ItemRequest(line=line, quantity=quantity or remaining, opened=opened)
    return policy_of(deps).plan(
        order, [request], kind=kind, reason=reason, now=deps.clock(), already_returned=returned
    )


def supports_photos(tracker: Tracker) -> bool:
    channel, _ = channel_and_external_id(tracker)
    return channel in PHOTO_CHANNELS


def chosen_variant(product: Product | None, tracker: Tracker) -> Variant | None:
    sku = tracker.get_slot("exchange_variant")
    return next((v for v in (product.variants if product else ()) if v.sku == sku), None)


def end_request() -> list[EventType]:
    """Clear the order and after-sales slots: the next request starts fresh."""
    return [*reset_flow(), *(SlotSet(slot, None) for slot in AFTERSALES_SLOTS)]


def reset_flow_keep_item() -> list[EventType]:
    """Clear everything but the order and the item (an offered alternative goes on with them)."""
    keep = {"order_id", "aftersales_line"}
    return [e for e in end_request() if e.get("name") not in keep]
