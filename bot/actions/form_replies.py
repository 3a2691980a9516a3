"""What a customer's reply in the middle of an order form says beyond the slot asked for: an
assent to the closing yes/no question in the words of the request ("yes cancel it"), a
pointer back at the order just talked about ("when will it arrive?"), and the form's order as
it was before the reply."""

from __future__ import annotations

import re

from rasa_sdk import Tracker

# The yes/no questions the forms end with ("Shall I cancel it now?").
CONFIRM_SLOTS = ("confirm", "aftersales_confirm")
_YES = re.compile(
    r"\b(?:yes|yeah|yep|yup|ok|okay|sure|go ahead|please do|do it|confirm(?:ed)?|continue|"
    r"proceed|correct)\b|^\s*(?:是|对(?!于)|好|嗯|行|可以)|确认|继续",
    re.IGNORECASE,
)
_NOT = re.compile(
    r"\b(?:no|nope|not|never|don'?t|do not|stop|wait|hold on|hang on)\b|n't\b|不|别|没|算了|等等",
    re.IGNORECASE,
)


def says_yes(text: str) -> bool:
    """A word of assent and none of refusal or delay: "yes cancel it", "ok continue with the
    return", "是的 取消吧" (but not "no, don't cancel it" nor "等等 先别退")."""
    return _YES.search(text) is not None and _NOT.search(text) is None


# Words that point back at the order just talked about ("when will it arrive", "change the
# address for it", "那我不要了").
_BACK_REFERENCE = re.compile(
    r"\b(?:it|its|this one|that one|this order|that order|same order|the same one)\b|"
    r"它|这单|那单|这个订单|那个订单|这个快递|那个快递|这个包裹|那个包裹|同一个|不要了",
    re.IGNORECASE,
)


def talked_about(tracker: Tracker) -> tuple[str | None, str | None]:
    """The last order a slot held in this conversation session before the latest message,
    and the phone number given for it after it was named (a guest's check), if any."""
    seen_user = False
    phone: str | None = None
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "session_started":
            break
        if kind == "user":
            seen_user = True
        elif seen_user and kind == "slot" and event.get("value"):
            if event.get("name") == "phone" and phone is None:
                phone = str(event["value"])
            elif event.get("name") == "order_id":
                return str(event["value"]), phone
    return None, None


def points_back(text: str) -> bool:
    """``text`` refers to something already talked about ("it", "这单", "不要了")."""
    return _BACK_REFERENCE.search(text) is not None


def form_order_id_before(tracker: Tracker) -> str | None:
    """The form's order number before the latest message (an entity in it may have replaced it)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            seen_user = True
        elif seen_user and event.get("event") == "slot" and event.get("name") == "order_id":
            value = event.get("value")
            return None if value is None else str(value)
    return None
