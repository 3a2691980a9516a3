"""Block Kit building blocks shared by the customer replies and the staff desk: Slack's limits,
its text escaping, and the section, button and actions elements
(https://docs.slack.dev/reference/block-kit/blocks)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_ACTIONS_PER_BLOCK = 25
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ALT_TEXT = 2000
MAX_FALLBACK_TEXT = 3000
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000  # one field of a section


def escape(text: str) -> str:
    """Slack's three control characters, escaped as its message formatting requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escaped_len(text: str) -> int:
    """The length of ``text`` once escaped (what Slack's limits count)."""
    return len(escape(text))


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn(text: str) -> Block:
    """A ``mrkdwn`` text object."""
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> Block:
    """A section block showing ``text`` (Slack markup, already escaped)."""
    return {"type": "section", "text": mrkdwn(text)}


def button(title: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button element; a click reports ``action_id`` and ``value``."""
    element: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(title, MAX_BUTTON_TEXT)},
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def actions(elements: Sequence[Block], block_id: str | None = None) -> Block:
    """An actions block holding ``elements`` (at most :data:`MAX_ACTIONS_PER_BLOCK`)."""
    block: Block = {"type": "actions"}
    if block_id is not None:
        block["block_id"] = block_id
    block["elements"] = list(elements)
    return block
