"""Two requests in one message ("cancel 260420000009 and where is 260315004217",
"帮我取消订单A，另外B到哪了"), answered in order.

:class:`MultiIntentSplitter` cuts a message at a conjunction or a sentence break (and, also,
then, plus; 另外, 还有, 然后, 顺便, ；) and keeps the cut only when every part is a request of its
own: Rasa's ``/model/parse`` reads each part as a confident request intent (not a greeting, a
yes/no, thanks, ...) and no two parts share an intent. Otherwise the message stays whole.

:func:`answer` is the pipeline's Rasa step: it sends the parts as consecutive user turns (each
carrying the inbox id and its part number in the metadata) and returns every answer in order.
A retried message (the gateway stopped, Rasa timed out) looks each part up in Rasa's tracker
first and sends only the parts Rasa has not answered, so no part is handled twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.message import OutgoingMessage
from bot.core.rasa_client import EarlyCheck, RasaClientError, RasaMetadata

logger = logging.getLogger(__name__)

# Intents that are not a request on their own ("yes and thanks" stays one message).
NOT_REQUESTS = frozenset(
    {
        "affirm",
        "deny",
        "thank",
        "greet",
        "goodbye",
        "inform",
        "out_of_scope",
        "bot_challenge",
        "nlu_fallback",
    }
)
MAX_PARTS = 3

_JOIN = r"(?:\b(?:and\s+(?:also|then)|and|also|then|plus)\b|另外|还有|然后|顺便|并且|同时|再帮我)"
# A cut: sentence punctuation (optionally followed by a conjunction), a conjunction after a
# comma, or a conjunction alone. A bare comma is no cut ("hi, where is my order").
_CUT = re.compile(
    r"\s*(?:(?:[;；。！？!?]+|\.(?=\s))\s*" + _JOIN + r"?|[,，]?\s*" + _JOIN + r")[,，、]?\s*",
    re.IGNORECASE,
)
_MIN_CHARS = 2
_LEADING = re.compile(r"^(?:please|pls|also|and|帮我|请)\s*", re.IGNORECASE)


class Parser(Protocol):
    async def parse(self, text: str) -> dict[str, Any]: ...


class Sender(Protocol):
    def send(
        self, sender: str, message: str, metadata: RasaMetadata
    ) -> Awaitable[list[OutgoingMessage]]: ...

    async def require_actions(self, early: EarlyCheck | None = None) -> None: ...

    async def replies_for(
        self, sender: str, inbox_id: int, part: int | None = None
    ) -> list[OutgoingMessage] | None: ...


def candidate_splits(text: str) -> list[list[str]]:
    """Ways to cut ``text``, most parts first: at every cut, then at each single cut.

    Parts shorter than two characters (after trimming) make a way unusable; none is returned
    when the text has no cut at all.
    """
    cuts = [m for m in _CUT.finditer(text) if m.start() > 0 and m.end() < len(text)]
    if not cuts:
        return []

    def pieces(chosen: list[re.Match[str]]) -> list[str] | None:
        parts, start = [], 0
        for match in chosen:
            parts.append(text[start : match.start()])
            start = match.end()
        parts.append(text[start:])
        cleaned = [p.strip(" \t,，、.。") for p in parts]
        if any(len(p.replace(" ", "")) < _MIN_CHARS for p in cleaned):
            return None
        return cleaned

    ways: list[list[str]] = []
    if 1 < len(cuts) < MAX_PARTS:
        every = pieces(cuts)
        if every is not None:
            ways.append(every)
    for match in cuts:
        single = pieces([match])
        if single is not None and single not in ways:
            ways.append(single)
    return ways


@dataclass(frozen=True)
class Reading:
    text: str
    intent: str
    confidence: float


class MultiIntentSplitter:
    """Cuts a message into requests Rasa reads as different confident intents."""

    def __init__(self, parser: Parser, *, enabled: bool = True, min_confidence: float = 0.5):
        self.parser = parser
        self.enabled = enabled
        self.min_confidence = min_confidence

    async def _read(self, text: str) -> Reading:
        data = await self.parser.parse(text)
        intent = data.get("intent") or {}
        return Reading(text, str(intent.get("name") or ""), float(intent.get("confidence") or 0))

    def _is_request(self, reading: Reading) -> bool:
        return reading.intent not in NOT_REQUESTS and reading.confidence >= self.min_confidence

    async def split(self, text: str) -> list[str]:
        """The requests in ``text`` in order, or ``[text]`` when it is one request (or the
        switch is off, or Rasa cannot parse now: the message then goes whole)."""
        if not self.enabled or text.startswith("/"):
            return [text]
        ways = candidate_splits(text)
        if not ways:
            return [text]
        try:
            whole = await self._read(text)
            cache: dict[str, Reading] = {}
            for parts in ways:
                readings = []
                for part in parts:
                    if part not in cache:
                        cache[part] = await self._read(_LEADING.sub("", part) or part)
                    readings.append(cache[part])
                intents = [r.intent for r in readings]
                if all(self._is_request(r) for r in readings) and len(set(intents)) == len(intents):
                    logger.info("split into %s (whole: %s)", intents, whole.intent)
                    return parts
        except RasaClientError as exc:
            logger.warning("no multi-intent split (%s); the message goes whole", exc)
        return [text]


async def answer(
    rasa: Sender,
    conversation_id: str,
    parts: list[str],
    metadata: RasaMetadata,
    *,
    look_up: bool,
    early: EarlyCheck | None = None,
) -> list[OutgoingMessage]:
    """Rasa's answers to ``parts`` (one message's requests), in order.

    ``look_up``: the message may have reached Rasa before (a retry); each part Rasa already
    answered (found in its tracker by inbox id and part) is not sent again. ``early``: the
    action server's health check started for this message (used before its first part).
    """
    replies: list[OutgoingMessage] = []
    inbox_id = metadata.get("inbox_id")
    sending = not look_up or inbox_id is None
    for index, text in enumerate(parts):
        meta: RasaMetadata = dict(metadata)  # type: ignore[assignment]
        if len(parts) > 1:
            meta["part"] = index
            meta["parts"] = len(parts)
        if not sending and inbox_id is not None:
            found = await (
                rasa.replies_for(conversation_id, inbox_id, index)
                if len(parts) > 1
                else rasa.replies_for(conversation_id, inbox_id)
            )
            if found:
                logger.info("%s: #%d part %d answered before", conversation_id, inbox_id, index)
                replies += found
                continue
            sending = True  # an empty turn may be one that lost its custom action
        # Rasa answers without the action server (an empty or partial answer, the error only
        # in its log): make sure it is up, before and after an empty answer.
        await rasa.require_actions(early)
        early = None  # the next parts check afresh
        got = await rasa.send(conversation_id, text, meta)
        if not got:
            await rasa.require_actions()
        replies += got
    return replies
