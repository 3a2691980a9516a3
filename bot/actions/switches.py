"""A message in the middle of a form that names another order and asks something of its own
about it: a complaint ("the courier of order X was rude") or a question ("where is X?").

It is answered about the order it names, then the form goes on with its own order and asks its
pending question again ("Now, back to your return:"). Called by the order forms' validation
(:meth:`bot.actions.order_forms.OrderFormValidation.validate_order_id`): a form takes every order
number the customer gives, so such a message never reaches the interruption rules.
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from ._common import lang_of
from ._deps import Deps
from .aftersales.aside import tell_order_status
from .aftersales.complaints import complain_about_order
from .conversation import resume_text
from .order_forms import form_order_id_before


async def answer_about_other_order(
    intent: str,
    order_id: str,
    tracker: Tracker,
    dispatcher: CollectingDispatcher,
    deps: Deps,
) -> None:
    """Answer the latest message about ``order_id`` (a complaint is recorded about it; anything
    else is told the order's status), then say the form goes on."""
    form_order = form_order_id_before(tracker)
    if intent == "complaint":
        await complain_about_order(order_id, tracker, dispatcher, deps)
        resume = resume_text(tracker.active_loop_name, form_order, lang_of(tracker))
        if resume:
            dispatcher.utter_message(text=resume)
        return
    await tell_order_status(order_id, form_order, tracker, dispatcher, deps)
