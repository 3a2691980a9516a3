"""What an action on one order is given: the order this customer may see, and the run's
language, dependencies, dispatcher and tracker."""

from __future__ import annotations

from dataclasses import dataclass

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.i18n import Lang
from bot.services.types import Order

from ._common import lang_of
from ._deps import Deps, get_deps
from .order_access import accessible_order


@dataclass(frozen=True)
class OrderTurn:
    """One run of an action on ``order``, which this customer may see."""

    order: Order
    lang: Lang
    deps: Deps
    dispatcher: CollectingDispatcher
    tracker: Tracker

    @classmethod
    async def start(cls, tracker: Tracker, dispatcher: CollectingDispatcher) -> OrderTurn | None:
        """The turn on the form's order; None (and the customer is told) without access."""
        deps = get_deps()
        order = await accessible_order(tracker, dispatcher, deps)
        if order is None:
            return None
        return cls(order, lang_of(tracker), deps, dispatcher, tracker)

    def say(self, text: str, buttons: list[dict[str, str]] | None = None) -> None:
        self.dispatcher.utter_message(text=text, buttons=buttons)
