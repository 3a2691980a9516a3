"""Wake-ups of the web chat's push streams (``GET /api/chat/events``)."""

from __future__ import annotations

import asyncio
from collections import defaultdict


class PushHub:
    """Wakes the open event streams of a conversation when a message for it was sent.

    The streams read the messages from the outbox, so a page served by another gateway
    replica, or one that reconnects, still gets everything after its last event id.
    """

    def __init__(self) -> None:
        self._events: defaultdict[str, set[asyncio.Event]] = defaultdict(set)

    def subscribe(self, conversation_id: str) -> asyncio.Event:
        event = asyncio.Event()
        self._events[conversation_id].add(event)
        return event

    def unsubscribe(self, conversation_id: str, event: asyncio.Event) -> None:
        events = self._events.get(conversation_id)
        if events is not None:
            events.discard(event)
            if not events:
                del self._events[conversation_id]

    def publish(self, conversation_id: str) -> None:
        for event in self._events.get(conversation_id, ()):
            event.set()

    def publish_all(self) -> None:
        for events in self._events.values():
            for event in events:
                event.set()

    def count(self, conversation_id: str) -> int:
        return len(self._events.get(conversation_id, ()))

    def __len__(self) -> int:
        return sum(len(v) for v in self._events.values())
