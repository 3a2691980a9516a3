"""Slack -> internal: Slack's message markup as plain text, which events are a customer writing,
the customer updates (messages, mentions, button clicks) as :class:`Inbound`, and the request
bodies of the Events API and interactivity endpoint."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from bot.core.message import EXTERNAL_ID_RE

MAX_FILES = 10  # photos taken from one message
# Message subtypes that are a customer writing; edits, deletions, joins, bots are not.
CUSTOMER_SUBTYPES = frozenset({"file_share", "thread_broadcast"})

_USER_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^<>]*)?>")
_CHANNEL_MENTION = re.compile(r"<#[A-Z0-9]+\|([^<>]*)>")
_SPECIAL_MENTION = re.compile(r"<!(here|channel|everyone)(?:\|[^<>]*)?>")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def plain_text(text: str, bot_user_id: str | None = None) -> str:
    """Slack's message markup as the text a customer typed: the bot's mention removed, links
    and other mentions as their label, ``&amp;``/``&lt;``/``&gt;`` unescaped."""

    def user(match: re.Match[str]) -> str:
        return "" if match.group(1) == bot_user_id else f"@{match.group(1)}"

    text = _USER_MENTION.sub(user, text)
    text = _CHANNEL_MENTION.sub(lambda m: f"#{m.group(1)}", text)
    text = _SPECIAL_MENTION.sub(lambda m: f"@{m.group(1)}", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = html.unescape(text).replace("\x00", "")
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def is_customer_message(event: Mapping[str, Any], bot_user_id: str | None) -> bool:
    """A message a person wrote: not the bot's own, another bot's, an edit or a deletion."""
    subtype = event.get("subtype")
    if subtype is not None and subtype not in CUSTOMER_SUBTYPES:
        return False
    if event.get("bot_id") or event.get("bot_profile") or event.get("hidden"):
        return False
    user = event.get("user")
    if not isinstance(user, str) or not EXTERNAL_ID_RE.fullmatch(user):
        return False
    if bot_user_id is not None and user == bot_user_id:
        return False
    return isinstance(event.get("channel"), str) and isinstance(event.get("ts"), str)


@dataclass(frozen=True)
class Inbound:
    """One customer update, ready for the pipeline except for its files."""

    user: str
    address: dict[str, str]
    dedupe_key: str
    text: str | None = None
    payload: str | None = None
    files: tuple[Mapping[str, Any], ...] = ()
    metadata: Mapping[str, Any] | None = None


def inbound_message(event: Mapping[str, Any], bot_user_id: str | None) -> Inbound:
    """A ``message`` or ``app_mention`` event as an :class:`Inbound` (answered in its thread).

    The dedupe key is the message itself (channel and ts): Slack's retries of the event and the
    ``app_mention`` + ``message.channels`` pair of one mention all map to it.
    """
    channel, ts = str(event["channel"]), str(event["ts"])
    thread_ts = str(event.get("thread_ts") or ts)
    text = plain_text(str(event.get("text") or ""), bot_user_id)
    files = event.get("files")
    return Inbound(
        user=str(event["user"]),
        address={"channel": channel, "thread_ts": thread_ts},
        dedupe_key=f"msg:{channel}:{ts}",
        text=text or None,
        files=tuple(f for f in files if isinstance(f, Mapping))[:MAX_FILES]
        if isinstance(files, list)
        else (),
        metadata={"slack_channel": channel, "ts": ts, "thread_ts": thread_ts},
    )


def action_channel(body: Mapping[str, Any]) -> object:
    """The channel of the message whose button was clicked (a ``block_actions`` body)."""
    return (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")


def inbound_action(body: Mapping[str, Any], action: Mapping[str, Any]) -> Inbound | None:
    """A click on one of the answer buttons as a payload; None when it cannot be answered."""
    user = body.get("user") or {}
    channel = action_channel(body)
    message = body.get("message") or {}
    value = action.get("value")
    user_id = user.get("id") if isinstance(user, Mapping) else None
    if not (
        isinstance(user_id, str)
        and EXTERNAL_ID_RE.fullmatch(user_id)
        and isinstance(channel, str)
        and isinstance(value, str)
        and value.startswith("/")
    ):
        return None
    thread_ts = (
        message.get("thread_ts")
        or (body.get("container") or {}).get("thread_ts")
        or message.get("ts")
        or (body.get("container") or {}).get("message_ts")
    )
    address = {"channel": channel}
    if isinstance(thread_ts, str):
        address["thread_ts"] = thread_ts
    action_ts = str(action.get("action_ts") or body.get("trigger_id") or time.time())
    return Inbound(
        user=user_id,
        address=address,
        dedupe_key=f"action:{user_id}:{action_ts}",
        payload=value,
        metadata={"slack_channel": channel, "action_id": str(action.get("action_id"))},
    )


def parse_body(raw: bytes, content_type: str) -> dict[str, Any]:
    """An Events API JSON body or an interactivity form (``payload=<json>``) as a dict;
    ValueError says what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("the body must be UTF-8") from exc
    if content_type == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True)
        if "payload" in form:
            text = form["payload"][0]
        elif "command" in form:  # a slash command (the staff side's /handoff)
            return {k: v[0] for k, v in form.items()}
        elif "ssl_check" in form:  # Slack checking the certificate of a slash command URL
            return {"type": "ssl_check"}
        else:
            raise ValueError("a form body must carry `payload` (interactivity) or `command`")
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"the body is not valid JSON: {exc.msg} at position {exc.pos}") from exc
    if not isinstance(body, dict):
        raise ValueError(f"the body must be a JSON object, got {type(body).__name__}")
    if not isinstance(body.get("type"), str):
        raise ValueError("the body has no `type` (event_callback, block_actions, ...)")
    return body
