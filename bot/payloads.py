"""Button payloads in Rasa's form: ``/intent`` or ``/intent{"entity":"value",...}``.

One builder for every button the assistant offers (actions, handoff, notifications), so the
JSON is always compact (Telegram allows 64 bytes of callback data) and keeps non-ASCII text
readable, and one reader for the channels that must look inside a payload.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

INTENT_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_/]*")  # "faq/shipping_fee" is a retrieval intent
# "/intent" optionally followed by a JSON object of entities.
PAYLOAD_PATTERN = re.compile(r"/(?P<intent>[A-Za-z_][A-Za-z0-9_/]*)(?P<entities>\{.*\})?", re.S)


def payload(intent: str, entities: Mapping[str, Any] | None = None, **more: Any) -> str:
    """``/intent`` plus the entities as compact JSON (none: the bare intent)."""
    if not INTENT_NAME.fullmatch(intent):
        raise ValueError(f"not an intent name: {intent!r}")
    values = {**(entities or {}), **more}
    if not values:
        return f"/{intent}"
    return f"/{intent}{json.dumps(values, ensure_ascii=False, separators=(',', ':'))}"


def button(
    title: str, intent: str, entities: Mapping[str, Any] | None = None, **more: Any
) -> dict[str, str]:
    """A button as Rasa and the channels take it: ``{"title", "payload"}``."""
    return {"title": title, "payload": payload(intent, entities, **more)}


def parse_payload(text: str) -> tuple[str, dict[str, Any]] | None:
    """(intent, entities) of a payload; None when ``text`` is not one or its JSON is broken."""
    match = PAYLOAD_PATTERN.fullmatch(text.strip())
    if match is None:
        return None
    raw = match.group("entities")
    if raw is None:
        return match.group("intent"), {}
    try:
        entities = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(entities, dict):
        return None
    return match.group("intent"), entities
