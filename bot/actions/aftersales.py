"""After-sales conversations: returns, exchanges, refund status and complaints.

Returns and exchanges are forms. After the order form steps (order number, then the phone when
the customer does not own the order) ``validate_<form>`` decides what else to ask from the order
and the after-sales policy: which item of a multi-item order, the reason, whether an opened
digital or beauty item was opened, the replacement size or colour (exchanges), a photo of the
problem (channels that carry photos, quality reasons only) and a confirmation. A request the
policy refuses ends the form at once; the submit action then gives the reason and the
alternatives. The actions only turn slots into service calls and service results into words:
the rules are in :mod:`bot.services.aftersales_policy`, tickets in :mod:`bot.services.aftersales`.
"""

from __future__ import annotations

import functools
import json
import re
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import REQUESTED_SLOT
from rasa_sdk.types import DomainDict

from bot.handoff.rules import handoff_request
from bot.i18n import (
    Lang,
    carrier_name,
    fmt_date,
    fmt_datetime,
    money,
    payment_name,
    status_name,
    t,
    ticket_kind_name,
    ticket_status_name,
)
from bot.payloads import button
from bot.payloads import payload as build_payload
from bot.services import catalog, customers, orders, tickets
from bot.services.aftersales import (
    Replacement,
    Requester,
    attach_evidence,
    complaint_count,
    open_complaint,
    open_exchange,
    open_return,
    returned_so_far,
)
from bot.services.aftersales_policy import (
    QUALITY_REASONS,
    RETURN_REASONS,
    AftersalesPolicy,
    Decision,
    ItemRequest,
    Plan,
    RequestKind,
    ReturnReason,
)
from bot.services.complaints import assess, load_classifier
from bot.services.types import Order, OrderItem, Product, Ticket, Variant

from ._common import (
    channel_and_external_id,
    current_customer_id,
    events_in_form,
    lang_of,
    latest_metadata,
    latest_text,
    message_key,
    record_ticket,
)
from ._deps import Deps, get_deps
from ._render import order_status_text
from .orders import (
    INTERRUPTING_INTENTS,
    SHIPPED,
    OrderAction,
    OrderFormValidation,
    accessible_order,
    find_order_id,
    order_access,
    reset_flow,
)

REFUND_KINDS = ("cancellation", "return", "exchange", "refund")
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
# Channels whose adapters pass the customer's photos on (the web chat sends text only).
PHOTO_CHANNELS = frozenset({"telegram", "wechat"})
NO_PHOTO = "none"
# A line picked by name needs at least this rapidfuzz partial-ratio score.
MIN_ITEM_SCORE = 70.0
# The complaint classifier's type counts as a return reason above this confidence.
MIN_REASON_CONFIDENCE = 0.5
MAX_REQUEST_TEXT = 500
MAX_QUANTITY_BUTTONS = 10

# Words that name a return reason, checked in this order (a defect outranks a size problem).
REASON_WORDS: tuple[tuple[ReturnReason, tuple[str, ...]], ...] = (
    (
        "wrong_item",
        (
            "发错",
            "寄错",
            "错发",
            "不是我买的",
            "不是我下单",
            "wrong item",
            "wrong product",
            "sent the wrong",
            "not what i ordered",
            "not the one i ordered",
        ),
    ),
    (
        "damaged_in_transit",
        (
            "压坏",
            "摔坏",
            "碎了",
            "破损",
            "运输",
            "快递弄坏",
            "arrived damaged",
            "arrived broken",
            "damaged in transit",
            "damaged in shipping",
            "crushed",
            "box was smashed",
            "cracked",
        ),
    ),
    (
        "quality_problem",
        (
            "质量",
            "坏了",
            "故障",
            "不能用",
            "用不了",
            "开胶",
            "掉色",
            "起球",
            "破洞",
            "瑕疵",
            "不工作",
            "开不了机",
            "充不进电",
            "漏水",
            "defect",
            "faulty",
            "broken",
            "doesn't work",
            "does not work",
            "stopped working",
            "not working",
            "quality",
            "falling apart",
            "leaks",
            "won't turn on",
            "won't charge",
            "ripped",
            "torn",
        ),
    ),
    (
        "not_as_described",
        (
            "与描述不符",
            "和描述不",
            "跟描述不",
            "和图片不",
            "色差",
            "货不对板",
            "not as described",
            "different from the picture",
            "doesn't match the description",
            "looks different",
        ),
    ),
    (
        "size_or_fit",
        (
            "尺码",
            "尺寸",
            "大了",
            "小了",
            "不合身",
            "偏大",
            "偏小",
            "颜色不喜欢",
            "不合适",
            "size",
            "too small",
            "too big",
            "too large",
            "too tight",
            "too loose",
            "doesn't fit",
            "does not fit",
            "fit",
            "colour",
            "color",
        ),
    ),
    (
        "no_reason",
        (
            "不想要",
            "不要了",
            "不喜欢",
            "七天无理由",
            "7天无理由",
            "无理由",
            "买多了",
            "买重复",
            "changed my mind",
            "change of mind",
            "don't need",
            "do not need",
            "don't want",
            "no longer need",
            "don't like",
            "no reason",
        ),
    ),
)
# Complaint types of the classifier that are also return reasons.
COMPLAINT_REASONS: dict[str, ReturnReason] = {
    "quality_defect": "quality_problem",
    "damaged_in_transit": "damaged_in_transit",
    "wrong_or_missing_item": "wrong_item",
}
OPENED_WORDS = ("已拆", "拆了", "拆开", "打开了", "用过", "试用", "opened", "used", "unsealed")
SEALED_WORDS = (
    "未拆",
    "没拆",
    "没有拆",
    "没打开",
    "没开封",
    "未开封",
    "全新",
    "sealed",
    "unopened",
    "not opened",
    "never opened",
    "brand new",
)
SKIP_WORDS = ("跳过", "没有照片", "不用", "skip", "no photo", "later")
# "How is my complaint going?" rather than a new complaint.
STATUS_QUERY = re.compile(
    r"进度|进展|处理得?怎么样|怎么样了|到哪一?步|有结果|回复了吗|状态|"
    r"\bstatus\b|\bprogress\b|\bupdate on\b|any news|heard back|what happened (?:to|with) my",
    re.IGNORECASE,
)


# Reading the customer's answers -------------------------------------------------------------
def payload_value(tracker: Tracker, key: str) -> str | None:
    """``key`` of a button payload like ``/inform{"aftersales_line":"1"}``, if it has one."""
    raw = str(tracker.latest_message.get("text") or "").strip()
    start = raw.find("{")
    if not raw.startswith("/") or start < 0:
        return None
    try:
        values = json.loads(raw[start:])
    except ValueError:
        return None
    value = values.get(key) if isinstance(values, dict) else None
    return None if value is None else str(value)


def _contains(text: str, words: tuple[str, ...]) -> bool:
    lowered = text.lower()
    return any(word in lowered for word in words)


def reason_from_text(text: str) -> ReturnReason | None:
    """The return reason a customer's words name, by keywords, else by the complaint classifier."""
    if not text.strip():
        return None
    for reason, words in REASON_WORDS:
        if _contains(text, words):
            return reason
    verdict = load_classifier().classify(text)
    if verdict.confidence >= MIN_REASON_CONFIDENCE:
        return COMPLAINT_REASONS.get(verdict.complaint_type)
    return None


def line_from_text(order: Order, text: str) -> int | None:
    """The order line a reply names: its number ("2", "第2件") or the item's name."""
    number = re.fullmatch(r"\s*(?:第\s*)?(\d{1,2})\s*(?:件|个|号|\.|)?\s*", text)
    if number:
        index = int(number.group(1)) - 1
        return index if 0 <= index < len(order.items) else None
    best, best_score = None, 0.0
    for index, item in enumerate(order.items):
        for name in (item.name_zh, item.name_en):
            score = fuzz.partial_ratio(text.lower(), name.lower())
            if score > best_score:
                best, best_score = index, score
    return best if best_score >= MIN_ITEM_SCORE else None


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


def variant_from_text(product: Product | None, text: str) -> Variant | None:
    """The variant a reply names ("42", "黑色 L", "navy M"), in stock or not."""
    if product is None or not text.strip():
        return None
    words = set(re.findall(r"[0-9a-z.]+|[\u3400-\u9fff]+", text.lower()))
    best, best_hits = None, 0
    for variant in product.variants:
        parts = [p.lower() for p in (variant.size, variant.color_en, variant.color_zh) if p]
        hits = sum(1 for part in parts if part in words or (len(part) > 1 and part in text.lower()))
        if hits > best_hits:
            best, best_hits = variant, hits
    return best


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


def _kind_of_form(form: str | None) -> RequestKind:
    return "exchange" if form == "exchange_request_form" else "return"


def _reason_of(tracker: Tracker) -> ReturnReason | None:
    value = tracker.get_slot("aftersales_reason")
    return next((r for r in RETURN_REASONS if r == value), None)  # type: ignore[misc]


def line_value(order: Order, line: int) -> str:
    """Slot value of a chosen line: "<order id>#<index>", so it never applies to another order."""
    return f"{order.id}#{line}"


def parse_line(value: object, order: Order) -> int | None:
    """The line index in a slot value or button payload ("<order id>#<index>" or "<index>")."""
    order_id, _, index = str(value).rpartition("#")
    if order_id and order_id != order.id:
        return None
    try:
        line = int(index)
    except ValueError:
        return None
    return line if 0 <= line < len(order.items) else None


def _line_of(tracker: Tracker, order: Order) -> int | None:
    if len(order.items) == 1:
        return 0
    value = tracker.get_slot("aftersales_line")
    return None if value is None else parse_line(value, order)


_CHINESE_NUMBERS = {
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_ENGLISH_NUMBERS = {
    "one": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
ALL_WORDS = ("all", "every", "both", "全部", "都", "所有")


def quantity_from_text(text: str) -> str | None:
    """How many units a reply names: "2", "两件", "all of them" (-> "all"), else None."""
    digits = re.search(r"\d+", text)
    if digits:
        return digits.group(0)
    for char in text:
        if char in _CHINESE_NUMBERS:
            return str(_CHINESE_NUMBERS[char])
    words = re.findall(r"[a-z]+", text.lower())
    named = next((_ENGLISH_NUMBERS[w] for w in words if w in _ENGLISH_NUMBERS), None)
    if named is not None:
        return str(named)
    return "all" if _contains(text, ALL_WORDS) else None


def _quantity_of(tracker: Tracker) -> int | None:
    value = tracker.get_slot("aftersales_quantity")
    return int(value) if isinstance(value, str) and value.isdigit() else None


def policy_of(deps: Deps) -> AftersalesPolicy:
    return deps.aftersales


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
    remaining = max(order.items[line].quantity - returned.get(line, 0), 1)
    request = ItemRequest(line=line, quantity=quantity or remaining, opened=opened)
    return policy_of(deps).plan(
        order, [request], kind=kind, reason=reason, now=deps.clock(), already_returned=returned
    )


def _supports_photos(tracker: Tracker) -> bool:
    channel, _ = channel_and_external_id(tracker)
    return channel in PHOTO_CHANNELS


# The forms ----------------------------------------------------------------------------------
class AftersalesFormValidation(OrderFormValidation):
    """Order number and phone, then the after-sales questions the request still needs."""

    kind: RequestKind = "return"

    @abstractmethod
    def name(self) -> str: ...

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        base = await super().required_slots(domain_slots, dispatcher, tracker, domain)
        deps = get_deps()
        found = await order_access(tracker, deps)
        if found is None or not found.granted or found.order.status != "delivered":
            # Unknown, not yours, or not delivered: the submit action explains.
            return base
        return [*base, *await self._after_sales_slots(found.order, tracker, deps)]

    async def _after_sales_slots(self, order: Order, tracker: Tracker, deps: Deps) -> list[str]:
        slots: list[str] = []
        if len(order.items) > 1:
            slots.append("aftersales_line")
        line = _line_of(tracker, order)
        if line is None:
            return slots
        returned = await returned_so_far(deps.engine, order)
        if order.items[line].quantity - returned.get(line, 0) > 1:
            slots.append("aftersales_quantity")
            if _quantity_of(tracker) is None:
                return slots
        slots.append("aftersales_reason")
        reason = _reason_of(tracker)
        if reason is None:
            return slots
        item = order.items[line]
        if reason not in QUALITY_REASONS and (
            item.category in deps.config.aftersales.opened_non_returnable_categories
        ):
            slots.append("aftersales_opened")
            if tracker.get_slot("aftersales_opened") is None:
                return slots
        opened = tracker.get_slot("aftersales_opened") == "opened"
        quantity = _quantity_of(tracker)
        plan = await plan_request(order, line, self.kind, reason, opened, deps, quantity)
        if not plan.allowed:
            return slots  # refused: the form ends and the submit action says why
        if self.kind == "exchange":
            product = await catalog.get_product(deps.engine, item.product_id)
            if not like_for_like(product, item, reason):
                if not exchange_options(product, item, reason):
                    return slots  # nothing to exchange to: the submit action offers a return
                slots.append("exchange_variant")
        if reason in QUALITY_REASONS and _supports_photos(tracker):
            slots.append("aftersales_photo")
        slots.append("aftersales_confirm")
        return slots

    def _is_interruption(self, tracker: Tracker) -> bool:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        return intent in INTERRUPTING_INTENTS

    def _is_switch(self, tracker: Tracker) -> bool:
        """The customer asks for the other kind of request ("actually, can I exchange it?") or
        mentions another order: never an answer, even when it names a reason or a size."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        other = "return_request" if self.kind == "exchange" else "exchange_request"
        return intent == other or self._mentions_other_order(tracker)

    @staticmethod
    def _mentions_other_order(tracker: Tracker) -> bool:
        """Another order number in a message answering a later question of the form."""
        if tracker.get_slot(REQUESTED_SLOT) in (None, "order_id", "phone"):
            return False
        previous = _form_order_id_before(tracker)
        mentioned = next(tracker.get_latest_entity_values("order_id"), None)
        return bool(previous and mentioned and str(mentioned) != previous)

    async def validate_order_id(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        """Another order mentioned in the middle ("and where is my other order …?") is answered
        about; the request stays with its order unless the customer asks for it anew."""
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        text = latest_text(tracker)
        bare_number = bool(re.fullmatch(r"[\s\d\-]+", text))
        if (
            self._mentions_other_order(tracker)
            and intent not in ("return_request", "exchange_request")
            and not bare_number
        ):
            previous = _form_order_id_before(tracker)
            await tell_order_status(str(slot_value), previous, tracker, dispatcher, get_deps())
            return {"order_id": previous}
        return await super().validate_order_id(slot_value, dispatcher, tracker, domain)

    async def _form_order(self, tracker: Tracker) -> Order | None:
        found = await order_access(tracker, get_deps())
        return found.order if found is not None and found.granted else None

    # Extraction: answers count only while the form asks for them ---------------------------
    def _typed_answer(
        self, tracker: Tracker, slot: str, parse: Callable[[str], str | None]
    ) -> dict[str, Any]:
        """The answer to ``slot`` while the form asks for it: a button's value, else what
        ``parse`` reads in the text, else the raw text (validation re-asks) unless the
        message is an interruption the form should let through."""
        if tracker.get_slot(REQUESTED_SLOT) != slot or self._is_switch(tracker):
            return {}
        chosen = payload_value(tracker, slot)
        if chosen is not None:
            return {slot: chosen}
        text = latest_text(tracker)
        if not text:
            return {}
        parsed = parse(text)
        if parsed is not None:
            return {slot: parsed}
        return {} if self._is_interruption(tracker) else {slot: text}

    async def extract_aftersales_line(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "aftersales_line" or self._is_switch(tracker):
            return {}
        chosen = payload_value(tracker, "aftersales_line")
        if chosen is not None:
            return {"aftersales_line": chosen}
        text = latest_text(tracker)
        order = await self._form_order(tracker)
        if not text or order is None:
            return {}
        line = line_from_text(order, text)
        if line is not None:
            return {"aftersales_line": str(line)}
        return {} if self._is_interruption(tracker) else {"aftersales_line": text}

    async def extract_aftersales_quantity(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        return self._typed_answer(tracker, "aftersales_quantity", quantity_from_text)

    async def validate_aftersales_quantity(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        order = await self._form_order(tracker)
        line = None if order is None else _line_of(tracker, order)
        if order is None or line is None:
            return {"aftersales_quantity": None}
        returned = await returned_so_far(get_deps().engine, order)
        remaining = order.items[line].quantity - returned.get(line, 0)
        value = str(slot_value or "").strip()
        if value == "all":
            return {"aftersales_quantity": str(remaining)}
        if value.isdigit() and 1 <= int(value) <= remaining:
            return {"aftersales_quantity": value}
        dispatcher.utter_message(
            text=t("aftersales.quantity_unclear", lang_of(tracker), remaining=remaining)
        )
        return {"aftersales_quantity": None}

    async def extract_aftersales_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if "aftersales_reason" in tracker.slots_to_validate():
            return {}
        return self._typed_answer(tracker, "aftersales_reason", reason_from_text)

    async def extract_aftersales_opened(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "aftersales_opened" or self._is_switch(tracker):
            return {}
        chosen = payload_value(tracker, "aftersales_opened")
        text = latest_text(tracker)
        if chosen is None and text:
            # "not opened" names both: the sealed words are checked first.
            if _contains(text, SEALED_WORDS):
                chosen = "sealed"
            elif _contains(text, OPENED_WORDS):
                chosen = "opened"
            elif not self._is_interruption(tracker):
                chosen = text
        return {} if chosen is None else {"aftersales_opened": chosen}

    async def extract_exchange_variant(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "exchange_variant" or self._is_switch(tracker):
            return {}
        chosen = payload_value(tracker, "exchange_variant")
        if chosen is not None:
            return {"exchange_variant": chosen}
        text = latest_text(tracker)
        order = await self._form_order(tracker)
        line = None if order is None else _line_of(tracker, order)
        if not text or order is None or line is None:
            return {}
        product = await catalog.get_product(get_deps().engine, order.items[line].product_id)
        variant = variant_from_text(product, text)
        if variant is not None:
            return {"exchange_variant": variant.sku}
        return {} if self._is_interruption(tracker) else {"exchange_variant": text}

    async def extract_aftersales_photo(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        if tracker.get_slot(REQUESTED_SLOT) != "aftersales_photo" or self._is_switch(tracker):
            return {}
        photos = photos_of(tracker)
        if photos:
            return {"aftersales_photo": " ".join(photos)}
        if payload_value(tracker, "aftersales_photo") == NO_PHOTO:
            return {"aftersales_photo": NO_PHOTO}
        text = latest_text(tracker)
        if text and (_contains(text, SKIP_WORDS) or not self._is_interruption(tracker)):
            return {"aftersales_photo": NO_PHOTO}
        return {}

    # Validation ----------------------------------------------------------------------------
    async def validate_aftersales_line(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        lang = lang_of(tracker)
        order = await self._form_order(tracker)
        if order is None:
            return {"aftersales_line": None}
        line = parse_line(slot_value, order)
        if line is None:
            dispatcher.utter_message(text=t("aftersales.line_unclear", lang))
            return {"aftersales_line": None}
        returned = await returned_so_far(get_deps().engine, order)
        if returned.get(line, 0) >= order.items[line].quantity:
            item = order.items[line]
            dispatcher.utter_message(
                text=t("aftersales.line_returned", lang, item=item_label(item, lang))
            )
            return {"aftersales_line": None}
        # A different item: its reason, variant and answers are asked again.
        return {
            "aftersales_line": line_value(order, line),
            "aftersales_quantity": None,
            "aftersales_reason": None,
            "exchange_variant": None,
            "aftersales_opened": None,
        }

    async def validate_aftersales_reason(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value in RETURN_REASONS:
            return {"aftersales_reason": slot_value}
        reason = reason_from_text(str(slot_value or ""))
        if reason is None:
            dispatcher.utter_message(text=t("aftersales.reason_unclear", lang_of(tracker)))
        return {"aftersales_reason": reason}

    async def validate_aftersales_opened(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value in ("opened", "sealed"):
            return {"aftersales_opened": slot_value}
        dispatcher.utter_message(text=t("aftersales.opened_unclear", lang_of(tracker)))
        return {"aftersales_opened": None}

    async def validate_exchange_variant(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        lang = lang_of(tracker)
        order = await self._form_order(tracker)
        line = None if order is None else _line_of(tracker, order)
        if order is None or line is None:
            return {"exchange_variant": None}
        item = order.items[line]
        product = await catalog.get_product(get_deps().engine, item.product_id)
        variant = next(
            (v for v in (product.variants if product else ()) if v.sku == slot_value), None
        )
        if variant is None:
            dispatcher.utter_message(text=t("aftersales.variant_unclear", lang))
            return {"exchange_variant": None}
        if variant.sku == item.variant_sku and _reason_of(tracker) not in QUALITY_REASONS:
            dispatcher.utter_message(text=t("aftersales.variant_same", lang))
            return {"exchange_variant": None}
        if variant.stock <= 0:
            dispatcher.utter_message(
                text=t("aftersales.variant_sold_out", lang, variant=variant_label(variant, lang))
            )
            return {"exchange_variant": None}
        return {"exchange_variant": variant.sku}


class ValidateReturnRequestForm(AftersalesFormValidation):
    kind: RequestKind = "return"

    def name(self) -> str:
        return "validate_return_request_form"


class ValidateExchangeRequestForm(AftersalesFormValidation):
    kind: RequestKind = "exchange"

    def name(self) -> str:
        return "validate_exchange_request_form"


class ValidateRefundStatusForm(OrderFormValidation):
    def name(self) -> str:
        return "validate_refund_status_form"


# Questions ----------------------------------------------------------------------------------
def _button(title: str, key: str, value: str) -> dict[str, str]:
    return button(title, "inform", {key: value})


class _AskAftersales(Action, ABC):
    """Asks one after-sales question about the form's order and item."""

    slot = ""

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        order = await accessible_order(tracker, dispatcher, deps)
        if order is None:
            return []
        await self.ask(order, lang_of(tracker), deps, dispatcher, tracker)
        return []

    @abstractmethod
    async def ask(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        """Ask about ``order``, which this customer may see."""


class AskAftersalesLine(_AskAftersales):
    slot = "aftersales_line"

    async def ask(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        returned = await returned_so_far(deps.engine, order)
        buttons = [
            _button(
                t(
                    "aftersales.line_button",
                    lang,
                    number=index + 1,
                    item=item_label(item, lang),
                    quantity=item.quantity,
                    price=money(item.unit_price_cents),
                ),
                "aftersales_line",
                line_value(order, index),
            )
            for index, item in enumerate(order.items)
            if returned.get(index, 0) < item.quantity
        ]
        key = f"aftersales.ask_line.{_kind_of_form(tracker.active_loop_name)}"
        dispatcher.utter_message(text=t(key, lang, order_id=order.id), buttons=buttons)


class AskAftersalesQuantity(_AskAftersales):
    slot = "aftersales_quantity"

    async def ask(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        line = _line_of(tracker, order) or 0
        returned = await returned_so_far(deps.engine, order)
        remaining = order.items[line].quantity - returned.get(line, 0)
        shown = range(1, min(remaining, MAX_QUANTITY_BUTTONS) + 1)
        dispatcher.utter_message(
            text=t(
                "aftersales.ask_quantity",
                lang,
                item=item_label(order.items[line], lang),
                remaining=remaining,
            ),
            buttons=[_button(str(n), "aftersales_quantity", str(n)) for n in shown],
        )


class AskAftersalesReason(_AskAftersales):
    slot = "aftersales_reason"

    async def ask(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        line = _line_of(tracker, order) or 0
        kind = _kind_of_form(tracker.active_loop_name)
        reasons = [r for r in RETURN_REASONS if kind == "return" or r != "no_reason"]
        dispatcher.utter_message(
            text=t(f"aftersales.ask_reason.{kind}", lang, item=item_label(order.items[line], lang)),
            buttons=[
                _button(t(f"aftersales.reason_name.{r}", lang), "aftersales_reason", r)
                for r in reasons
            ],
        )


class AskAftersalesOpened(_AskAftersales):
    slot = "aftersales_opened"

    async def ask(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        item = order.items[_line_of(tracker, order) or 0]
        dispatcher.utter_message(
            text=t("aftersales.ask_opened", lang, item=item_label(item, lang)),
            buttons=[
                _button(t("aftersales.sealed", lang), "aftersales_opened", "sealed"),
                _button(t("aftersales.opened", lang), "aftersales_opened", "opened"),
            ],
        )


class AskExchangeVariant(_AskAftersales):
    slot = "exchange_variant"

    async def ask(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        item = order.items[_line_of(tracker, order) or 0]
        product = await catalog.get_product(deps.engine, item.product_id)
        dispatcher.utter_message(
            text=t("aftersales.ask_variant", lang, item=item_label(item, lang)),
            buttons=[
                _button(variant_label(v, lang), "exchange_variant", v.sku)
                for v in exchange_options(product, item, _reason_of(tracker))
            ],
        )


class AskAftersalesPhoto(_AskAftersales):
    slot = "aftersales_photo"

    async def ask(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        dispatcher.utter_message(
            text=t("aftersales.ask_photo", lang),
            buttons=[_button(t("aftersales.skip_photo", lang), "aftersales_photo", NO_PHOTO)],
        )


class AskAftersalesConfirm(_AskAftersales):
    """Sums the request up with the policy's decision (and the refund) before the ticket."""

    slot = "aftersales_confirm"

    async def ask(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> None:
        line = _line_of(tracker, order)
        reason = _reason_of(tracker)
        if line is None or reason is None:
            return
        kind = _kind_of_form(tracker.active_loop_name)
        opened = tracker.get_slot("aftersales_opened") == "opened"
        plan = await plan_request(order, line, kind, reason, opened, deps, _quantity_of(tracker))
        if not plan.allowed:
            return
        decision = plan.allowed[0]
        item = order.items[line]
        parts = []
        photo = tracker.get_slot("aftersales_photo")
        if photo and photo != NO_PHOTO:
            parts.append(t("aftersales.photo_received", lang, count=len(str(photo).split())))
        values: dict[str, object] = {
            "order_id": order.id,
            "item": item_label(item, lang),
            "quantity": decision.quantity,
            "reason": t(f"aftersales.reason_name.{reason}", lang),
        }
        if kind == "exchange":
            product = await catalog.get_product(deps.engine, item.product_id)
            variant = _chosen_variant(product, tracker)
            values["variant"] = variant_label(variant, lang) if variant else ""
        parts.append(t(f"aftersales.confirm.{kind}", lang, **values))
        parts.append(decision.reason(lang))
        if plan.refund is not None:
            parts.append(plan.refund.text(lang))
        dispatcher.utter_message(
            text=("" if lang == "zh" else " ").join(parts),
            buttons=[
                {"title": t("aftersales.yes", lang), "payload": "/affirm"},
                {"title": t("aftersales.no", lang), "payload": "/deny"},
            ],
        )


def _chosen_variant(product: Product | None, tracker: Tracker) -> Variant | None:
    sku = tracker.get_slot("exchange_variant")
    return next((v for v in (product.variants if product else ()) if v.sku == sku), None)


# Submitting ---------------------------------------------------------------------------------
def end_request() -> list[EventType]:
    """Clear the order and after-sales slots: the next request starts fresh."""
    return [*reset_flow(), *(SlotSet(slot, None) for slot in AFTERSALES_SLOTS)]


def _alternative_buttons(order: Order, decision: Decision, lang: Lang) -> list[dict[str, str]]:
    buttons = []
    for alternative in decision.alternatives:
        if alternative.kind == "exchange":
            payload = build_payload("exchange_request", order_id=order.id)
        elif alternative.kind == "cancel_order":
            payload = build_payload("cancel_order", order_id=order.id)
        elif alternative.kind == "warranty_repair":
            # Repairs are arranged by a colleague (the handoff takes the conversation).
            payload = "/request_human"
        else:
            continue
        buttons.append(
            {"title": t(f"aftersales.alt_button.{alternative.kind}", lang), "payload": payload}
        )
    return buttons


class _AftersalesRequest(Action, ABC):
    """Submits a return or exchange form: the policy decides, the ticket is made or refused."""

    kind: RequestKind = "return"

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang = lang_of(tracker)
        order = await accessible_order(tracker, dispatcher, deps)
        if order is None:
            return [*end_request(), SlotSet("offered", None)]
        if order.status != "delivered" or order.delivered_at is None:
            await self._not_delivered(order, lang, tracker, dispatcher, deps)
            return [*end_request(), SlotSet("offered", None)]
        return await self._delivered(order, lang, tracker, dispatcher, deps)

    async def _not_delivered(
        self,
        order: Order,
        lang: Lang,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        deps: Deps,
    ) -> None:
        status = status_name(order.status, lang)
        if order.status in ("cancelled", "returned"):
            dispatcher.utter_message(
                text=t(f"{self.kind}.closed", lang, order_id=order.id, status=status)
            )
        elif self.kind == "return" and order.status in SHIPPED:
            await _intercept_in_transit(order, tracker, dispatcher, deps)
        else:
            buttons = []
            if (
                self.kind == "return"
                and orders.can_cancel(order, deps.config.orders.cancellable_statuses).allowed
            ):
                title = t("aftersales.alt_button.cancel_order", lang)
                buttons.append(button(title, "cancel_order", order_id=order.id))
            dispatcher.utter_message(
                text=t(f"{self.kind}.not_delivered", lang, order_id=order.id, status=status),
                buttons=buttons,
            )

    async def _delivered(
        self,
        order: Order,
        lang: Lang,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        deps: Deps,
    ) -> list[EventType]:
        line = _line_of(tracker, order)
        reason = _reason_of(tracker)
        if line is None or reason is None:
            # The form ended without the item or the reason (should not happen): ask again.
            dispatcher.utter_message(text=t("form.stopped", lang))
            return end_request()
        opened = tracker.get_slot("aftersales_opened") == "opened"
        quantity = _quantity_of(tracker)
        plan = await plan_request(order, line, self.kind, reason, opened, deps, quantity)
        if not plan.allowed:
            decision = plan.refused[0]
            dispatcher.utter_message(
                text=decision.message(lang), buttons=_alternative_buttons(order, decision, lang)
            )
            # The item stays chosen, so an offered exchange goes on with it.
            return [*reset_flow_keep_item(), SlotSet("offered", None)]
        item = order.items[line]
        replacement: Replacement | None = None
        if self.kind == "exchange":
            product = await catalog.get_product(deps.engine, item.product_id)
            options = exchange_options(product, item, reason)
            if like_for_like(product, item, reason):
                color = item.color_zh if lang == "zh" else item.color_en
                replacement = Replacement(item.variant_sku, item.size, color)
            elif not options:
                dispatcher.utter_message(
                    text=t("aftersales.no_variants", lang, item=item_label(item, lang)),
                    buttons=[button(t("return.button", lang), "return_request", order_id=order.id)],
                )
                return [*reset_flow_keep_item(), SlotSet("offered", "return")]
            variant = None if replacement else _chosen_variant(product, tracker)
            if replacement is None and (variant is None or variant not in options):
                # Sold out since it was chosen: the exchange button starts over with the item.
                shown = variant_label(variant, lang) if variant else ""
                dispatcher.utter_message(
                    text=t("aftersales.variant_sold_out", lang, variant=shown),
                    buttons=[
                        button(
                            t("aftersales.alt_button.exchange", lang),
                            "exchange_request",
                            order_id=order.id,
                        )
                    ],
                )
                return [*reset_flow_keep_item(), SlotSet("offered", None)]
            if variant is not None:
                replacement = Replacement(
                    variant.sku,
                    variant.size,
                    variant.color_zh if lang == "zh" else variant.color_en,
                )
        if tracker.get_slot("aftersales_confirm") is not True:
            dispatcher.utter_message(text=t("form.stopped", lang))
            return [*end_request(), SlotSet("offered", None)]
        channel, _ = channel_and_external_id(tracker)
        requester = Requester(
            customer_id=await current_customer_id(tracker, deps.engine) or order.customer_id,
            channel=channel,
            sender_id=tracker.sender_id,
            lang=lang,
            text=request_text(tracker),
        )
        policy = policy_of(deps)
        now = deps.clock()
        if replacement is None:
            ticket = await open_return(deps.engine, policy, order, plan, requester, now=now)
        else:
            ticket = await open_exchange(
                deps.engine, policy, order, plan, requester, {line: replacement}, now=now
            )
        photo = tracker.get_slot("aftersales_photo")
        if photo and photo != NO_PHOTO:
            ticket = await attach_evidence(deps.engine, ticket.id, str(photo).split())
        dispatcher.utter_message(text=self._done_text(ticket, plan, lang, replacement))
        return [*end_request(), SlotSet("offered", None)]

    def _done_text(
        self, ticket: Ticket, plan: Plan, lang: Lang, replacement: Replacement | None
    ) -> str:
        sep = "" if lang == "zh" else " "
        decision = plan.allowed[0]
        status = "done" if ticket.status == "approved" else "requested"
        parts = [t(f"aftersales.{self.kind}_{status}", lang, ticket_id=ticket.id)]
        if replacement is not None:
            label = " ".join(p for p in (replacement.color, replacement.size) if p)
            parts.append(t("aftersales.replacement", lang, variant=label or replacement.sku))
        parts.append(decision.reason(lang))
        if plan.return_shipping_paid_by is not None:
            parts.append(t(f"aftersales.shipping.{plan.return_shipping_paid_by}", lang))
        if plan.refund is not None:
            parts.append(plan.refund.text(lang))
        text = sep.join(parts)
        instructions = ticket.payload.get("instructions")
        if isinstance(instructions, dict) and isinstance(instructions.get(lang), str):
            text += "\n" + instructions[lang]
        return text


def reset_flow_keep_item() -> list[EventType]:
    """Clear everything but the order and the item (an offered alternative goes on with them)."""
    keep = {"order_id", "aftersales_line"}
    return [e for e in end_request() if e.get("name") not in keep]


async def _intercept_in_transit(
    order: Order, tracker: Tracker, dispatcher: CollectingDispatcher, deps: Deps
) -> None:
    """A return of a parcel still on its way: staff have the carrier send it back."""
    lang = lang_of(tracker)
    ticket = await record_ticket(
        tracker,
        deps.engine,
        kind="return",
        status="requested",
        order_id=order.id,
        category="intercept_in_transit",
        customer_id=order.customer_id,
        lang=lang,
        key=f"return:{order.id}",
        details={
            "items": [
                {
                    "line": i,
                    "product_id": it.product_id,
                    "sku": it.variant_sku,
                    "quantity": it.quantity,
                }
                for i, it in enumerate(order.items)
            ],
            "carrier": order.carrier,
            "tracking_number": order.tracking_number,
        },
    )
    carrier = carrier_name(order.carrier, lang) if order.carrier else ""
    dispatcher.utter_message(
        text=t(
            "return.in_transit",
            lang,
            order_id=order.id,
            status=status_name(order.status, lang),
            carrier=carrier,
            ticket_id=ticket.id,
            amount=money(order.total_cents),
        )
    )


class ReturnRequest(_AftersalesRequest):
    """Return: approved with RMA number and instructions, or refused with the alternatives."""

    kind: RequestKind = "return"

    def name(self) -> str:
        return "action_return_request"


class ExchangeRequest(_AftersalesRequest):
    """Exchange to another size or colour in stock, or refused with the alternatives."""

    kind: RequestKind = "exchange"

    def name(self) -> str:
        return "action_exchange_request"


class RefundStatus(OrderAction):
    """Lists the cancellation, return, exchange and refund tickets of an order."""

    def name(self) -> str:
        return "action_refund_status"

    async def act(
        self,
        order: Order,
        lang: Lang,
        deps: Deps,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
    ) -> list[EventType]:
        found = [
            ticket
            for ticket in await tickets.list_tickets(deps.engine, order_id=order.id)
            if ticket.kind in REFUND_KINDS
        ]
        if not found:
            dispatcher.utter_message(text=t("refund.none", lang, order_id=order.id))
            return end_request()
        lines = [t("refund.header", lang, order_id=order.id)]
        tz = deps.config.shop.timezone
        for ticket in sorted(found, key=lambda item: item.created_at):
            lines.append(
                t(
                    "refund.line",
                    lang,
                    kind=ticket_kind_name(ticket.kind, lang),
                    ticket_id=ticket.id,
                    date=fmt_date(ticket.created_at, lang, tz),
                    status=ticket_status_name(ticket.status, lang),
                )
            )
            refund = ticket.payload.get("refund")
            if isinstance(refund, dict) and isinstance(refund.get("total_cents"), int):
                lines.append(
                    t(
                        "refund.amount",
                        lang,
                        amount=money(int(refund["total_cents"])),
                        method=payment_name(str(refund.get("method") or ""), lang),
                    )
                )
        lines.append(t("refund.timing", lang))
        dispatcher.utter_message(text="\n".join(lines))
        return end_request()


# An order status question in the middle of a return or exchange --------------------------------
def _form_order_id_before(tracker: Tracker) -> str | None:
    """The form's order number before the latest message (an entity in it may have replaced it)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == "order_id":
            value = event.get("value")
            return None if value is None else str(value)
    return None


async def tell_order_status(
    asked: str | None,
    form_order: str | None,
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    deps: Deps,
) -> None:
    """The status of order ``asked`` (when this customer may see it), then back to the form."""
    lang = lang_of(tracker)
    order = await orders.get_order(deps.engine, str(asked)) if asked else None
    customer_id = await current_customer_id(tracker, deps.engine)
    phone = tracker.get_slot("phone") if asked == form_order else None
    if order is None:
        dispatcher.utter_message(text=t("order.not_found", lang, order_id=asked or ""))
    elif orders.check_access(order, customer_id, phone) in (
        orders.Access.OWNER,
        orders.Access.VERIFIED,
    ):
        text = order_status_text(order, lang, deps.config.shop.timezone, deps.clock())
        dispatcher.utter_message(text=text)
    else:
        dispatcher.utter_message(text=t("order.phone_mismatch", lang))
    kind = _kind_of_form(tracker.active_loop_name)
    dispatcher.utter_message(text=t(f"aftersales.resume.{kind}", lang))


class OrderStatusAside(Action):
    """Answers "where is my order …?" asked during a return or exchange; the form then goes on
    with its own order, which the question's order number does not replace."""

    def name(self) -> str:
        return "action_order_status_aside"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        if tracker.get_slot(REQUESTED_SLOT) in ("order_id", "phone"):
            # Still finding the form's order: the message is taken as its answer.
            if tracker.get_slot("order_id") is None:
                found = find_order_id(latest_text(tracker), deps.config.nlu.order_id_pattern)
                return [SlotSet("order_id", found)] if found else []
            return []
        form_order = _form_order_id_before(tracker)
        asked = next(tracker.get_latest_entity_values("order_id"), None) or form_order
        await tell_order_status(asked, form_order, tracker, dispatcher, deps)
        return [SlotSet("order_id", form_order)] if asked != form_order else []


# Complaints ---------------------------------------------------------------------------------
async def _owned_order_id(tracker: Tracker, deps: Deps) -> str | None:
    """An order number in the latest message (or the open form) that belongs to the customer."""
    order_id = next(tracker.get_latest_entity_values("order_id"), None) or tracker.get_slot(
        "order_id"
    )
    if not order_id:
        return None
    order = await orders.get_order(deps.engine, str(order_id))
    customer_id = await current_customer_id(tracker, deps.engine)
    if order is None or orders.check_access(order, customer_id, None) != orders.Access.OWNER:
        return None
    return order.id


@functools.cache
def _sentiment_model() -> Any:
    """The sentiment model, or None when it has not been trained (severity goes without)."""
    from bot.services.sentiment import ModelFormatError, ModelNotFoundError, SentimentModel

    try:
        return SentimentModel.load()
    except (ModelNotFoundError, ModelFormatError):
        return None


def sentiment_of(text: str) -> float | None:
    model = _sentiment_model()
    return None if model is None or not text else float(model.score(text))


class Complaint(Action):
    """Classifies a complaint, rates its severity, records it with its deadline; severe ones go
    to a person. Asked about earlier complaints, it tells their status instead."""

    def name(self) -> str:
        return "action_complaint"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        deps = get_deps()
        lang: Lang = lang_of(tracker)
        text = latest_text(tracker)
        if (
            tracker.active_loop_name in AFTERSALES_FORMS
            and tracker.get_slot(REQUESTED_SLOT) == "aftersales_reason"
        ):
            # "The sole came off" answers the form's question about the reason.
            reason = reason_from_text(text)
            if reason is not None:
                return [SlotSet("aftersales_reason", reason)]
        customer_id = await current_customer_id(tracker, deps.engine)
        if STATUS_QUERY.search(text):
            await self._status(customer_id, lang, tracker, dispatcher, deps)
            return []
        customer = await customers.get_customer(deps.engine, customer_id) if customer_id else None
        now = deps.clock()
        severity = assess(
            load_classifier().classify(text),
            text=text,
            sentiment=sentiment_of(text),
            segment=customer.segment if customer else None,
            prior_complaints=await complaint_count(
                deps.engine,
                customer_id,
                days=deps.config.aftersales.complaint_history_days,
                now=now,
            ),
            rules=deps.config.aftersales,
        )
        channel, _ = channel_and_external_id(tracker)
        ticket = await open_complaint(
            deps.engine,
            severity,
            Requester(customer_id, channel, tracker.sender_id, lang, text),
            order_id=await _owned_order_id(tracker, deps),
            key=message_key("complaint", tracker),
            now=now,
        )
        parts = [
            t(
                "ticket.notify.complaint_requested",
                lang,
                topic=t(f"complaint.type.{severity.complaint_type}", lang),
                ticket_id=ticket.id,
                due=_due(ticket, lang, deps),
            )
        ]
        if severity.needs_human:
            parts.append(t("complaint.severe", lang))
        dispatcher.utter_message(text=("" if lang == "zh" else " ").join(parts))
        if severity.needs_human:
            dispatcher.utter_message(
                json_message=handoff_request(
                    "severe_complaint", severity=severity.level, ticket_id=ticket.id
                )
            )
        return []

    @staticmethod
    async def _status(
        customer_id: str | None,
        lang: Lang,
        tracker: Tracker,
        dispatcher: CollectingDispatcher,
        deps: Deps,
    ) -> None:
        found = await tickets.list_tickets(
            deps.engine, customer_id=customer_id, kind="complaint", limit=1000
        )
        mine = [
            ticket
            for ticket in found
            if (customer_id and ticket.customer_id == customer_id)
            or ticket.sender_id == tracker.sender_id
        ]
        if not mine:
            dispatcher.utter_message(text=t("complaint.status_none", lang))
            return
        lines = [t("complaint.status_header", lang)]
        for ticket in sorted(mine, key=lambda item: item.created_at)[-5:]:
            lines.append(
                t(
                    "complaint.status_line",
                    lang,
                    ticket_id=ticket.id,
                    topic=t(f"complaint.type.{ticket.category or 'other'}", lang),
                    status=ticket_status_name(
                        tickets.effective_status("complaint", ticket.status), lang
                    ),
                    due=_due(ticket, lang, deps),
                )
            )
        dispatcher.utter_message(text="\n".join(lines))


def _due(ticket: Ticket, lang: Lang, deps: Deps) -> str:
    due: datetime | None = ticket.sla_due_at
    if due is None:
        return t("ticket.due_soon", lang)
    return fmt_datetime(due, lang, deps.config.shop.timezone)
