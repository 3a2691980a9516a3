"""What the pipeline hands out and takes in: the outcome of a message, the turn the handoff
router sees, and the router's interface."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from bot.core.message import IncomingMessage, OutgoingMessage
from bot.i18n import Lang
from bot.services.types import Customer

Outcome = Literal["answered", "held", "failed", "timeout", "error"]


class PipelineError(Exception):
    """Processing a message failed unexpectedly (details in the log); it will be retried."""


@dataclass(frozen=True)
class Reply:
    """The outcome of :meth:`Pipeline.submit`.

    ``messages`` are the replies handed back for the HTTP response (claimed from the outbox);
    empty when the caller did not wait. ``error`` is set when Rasa could not answer in time;
    ``messages`` then holds the holding text and the answer follows through the outbox.
    """

    conversation_id: str
    inbox_id: int
    outcome: Outcome | Literal["queued", "duplicate"]
    language: Lang | None = None
    messages: tuple[OutgoingMessage, ...] = ()
    error: str | None = None
    # True when ``messages`` is a holding text made up for this response (nothing was ready
    # and nothing was stored): a channel that can answer later (WeChat) sends nothing instead.
    stand_in: bool = False
    # Outbox rows of ``messages`` held for the caller (``submit(hold_inline=True)``): it reports
    # with ``Pipeline.inline_written`` or ``Pipeline.inline_lost`` whether the response went out.
    held_ids: tuple[int, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class Turn:
    """One customer message as the handoff router sees it, before and after Rasa."""

    inbox_id: int
    message: IncomingMessage
    language: Lang
    customer: Customer | None
    address: Mapping[str, Any]

    @property
    def conversation_id(self) -> str:
        return self.message.conversation_id


class HandoffRouter(Protocol):
    """The gateway's handoff to staff (:mod:`bot.handoff.service`), consulted on every message.

    ``before_rasa`` returns None to let the message go to Rasa, or the replies to send
    instead (the conversation is with a person: the message went to the staff thread).
    ``after_rasa`` acts on handoff requests in Rasa's replies (custom ``{"type": "handoff"}``
    messages) and returns what the customer gets.
    """

    async def before_rasa(self, turn: Turn) -> list[OutgoingMessage] | None: ...

    async def after_rasa(
        self, turn: Turn, replies: list[OutgoingMessage]
    ) -> list[OutgoingMessage]: ...
