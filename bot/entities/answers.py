"""The part of a customer's answer a form asked for, found by the entity finders: the phone
number in "手机号13812345678，订单260315004217", the address in "地址改成上海市浦东新区张江路100号
3号楼502室，谢谢", the price range in "两百以内的耳机". ``None`` when the finders see none (the
caller then reads the answer as before)."""

from __future__ import annotations

from bot.entities.pipeline import extract_rules
from bot.entities.rules import DEFAULT_ORDER_ID_PATTERN
from bot.entities.types import Entity

# Where a Chinese address's tail ends: a clause break, or a phone, name or e-mail after it.
_CLAUSE_END = set("，,。；;！!？?\n")


def phone_text(text: str, order_id_pattern: str = DEFAULT_ORDER_ID_PATTERN) -> str | None:
    """The first phone number in ``text`` as written, or None."""
    found = [e for e in extract_rules(text, order_id_pattern=order_id_pattern) if e.type == "phone"]
    return found[0].text if found else None


def address_text(text: str, order_id_pattern: str = DEFAULT_ORDER_ID_PATTERN) -> str | None:
    """The Chinese address in ``text`` without the words around it, or None.

    It runs from its province, city, district or street to the end of the clause ("张江路100号
    阳光花园3栋502室" keeps the estate the finder does not structure), stopping before a phone,
    name or e-mail. English addresses come in too many shapes ("Room 804, 18 Xinhua Road,
    Changning District, Shanghai") for the finder's span to be the whole of one: None.
    """
    entities = extract_rules(text, order_id_pattern=order_id_pattern)
    address = next((e for e in entities if e.type == "address"), None)
    if address is None or not any("\u4e00" <= c <= "\u9fff" for c in address.text):
        return None
    stops = [e.start for e in entities if e.start >= address.end]
    limit = min(stops, default=len(text))
    end = address.end
    while end < limit and text[end] not in _CLAUSE_END:
        end += 1
    return text[address.start : end].strip() or None


def money_amounts(text: str) -> list[Entity]:
    """The money amounts and ranges in ``text``, in order."""
    return [e for e in extract_rules(text) if e.type == "money"]
