"""Ticket status changes told to the customer, through the outbox, on their own channel.

Where the notice goes, and the ``lang`` of that address (numbered options, channel texts),
come from the conversation record (:mod:`bot.core.conversations`, through
:meth:`Pipeline.notify`); the notice's own text is in the language the ticket was made in.
"""

from __future__ import annotations

import logging

from bot.core.message import CHANNEL_RE, OutgoingMessage
from bot.core.pipeline import Pipeline
from bot.services.ticket_notices import customer_notice
from bot.services.tickets import TicketEvent
from bot.services.types import Ticket

logger = logging.getLogger(__name__)


def ticket_conversation(ticket: Ticket) -> str | None:
    """The conversation a ticket came from: actions store Rasa's sender id
    ("<channel>:<external id>"); older or imported tickets may hold a bare web sender id."""
    sender = ticket.sender_id
    if not sender:
        return None
    channel, sep, _rest = sender.partition(":")
    if sep and CHANNEL_RE.fullmatch(channel):
        return sender
    return f"{ticket.channel or 'web'}:{sender}"


class OutboxTicketNotifier:
    """The :class:`~bot.services.tickets.TicketNotifier` of the gateway."""

    def __init__(self, pipeline: Pipeline, *, timezone: str) -> None:
        self.pipeline = pipeline
        self.timezone = timezone

    async def notify(self, ticket: Ticket, event: TicketEvent) -> None:
        conversation_id = ticket_conversation(ticket)
        if conversation_id is None:
            logger.info("ticket %s has no conversation to notify", ticket.id)
            return
        text = customer_notice(ticket, event, timezone=self.timezone)
        try:
            # Sent to the conversation record's address in its language.
            await self.pipeline.notify(conversation_id, [OutgoingMessage(text=text)])
        except LookupError:
            # The customer never wrote through the gateway (an imported ticket): nowhere to send.
            logger.info(
                "no channel address for %s; ticket %s not notified", conversation_id, ticket.id
            )
