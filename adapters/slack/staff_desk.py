"""The staff side of handoff in Slack: one thread per handed-off conversation.

In the support channel (``SLACK_SUPPORT_CHANNEL``) each handoff gets an opening message with
the customer, channel, language, latest orders, sentiment, why it was handed off and the last
messages, and the buttons Claim / Resolve (back to the bot) / Close. The customer's messages
follow in the thread; staff replies in the thread go to the customer on their own channel,
except replies starting with ``note:``. ``/handoff`` lists waiting and active conversations.
Only members of the support channel may claim, reply or resolve; others get an ephemeral
refusal.

This module only speaks Slack: what happens is decided by
:class:`~bot.handoff.service.HandoffService`, and the Slack calls are made through the channel
adapter's clients (:class:`~adapters.slack.adapter.SlackAdapter`), whose Bolt app routes the clicks,
the slash command and the support channel's messages here.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from slack_sdk.errors import SlackApiError

from adapters.slack.adapter import (
    MAX_SECTION_TEXT,
    SlackAdapter,
    delivery_error,
    escape,
    is_customer_message,
    plain_text,
)
from bot.config import Config
from bot.core.language import Lang
from bot.core.media import URL_PREFIX, MediaStore
from bot.core.message import Attachment
from bot.core.outbox import DeliveryError, utcnow
from bot.handoff.rules import (
    OPEN_STATUSES,
    age_text,
    sentiment_label,
    staff_note,
    staff_text,
    stars,
)
from bot.handoff.service import HandoffService, StaffOutcome
from bot.handoff.store import Handoff, HandoffMessage, StaffMember
from bot.i18n import money, status_name

logger = logging.getLogger(__name__)

ACTION_PREFIX = "handoff:"  # action ids of the staff buttons (customer buttons use "cs:")
ACTION_RE = re.compile(r"^handoff:(claim|resolve|close)$")
COMMAND = "/handoff"
MAX_TURN_CHARS = 300  # one message in the opening message's history
MAX_FIELD_TEXT = 2000  # a section field
FALLBACK_STAFF_NAME = "Support"
NAME_CACHE_S = 3600.0
LANG_NAMES = {"zh": "中文 (zh)", "en": "English (en)"}

Ack = Callable[..., Awaitable[None]]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def thread_link(base_url: str, channel: str, ts: str) -> str:
    """A link to a message: ``<workspace url>archives/<channel>/p<ts without the dot>``."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{base}archives/{channel}/p{ts.replace('.', '')}"


class OpeningRenderer:
    """The opening message of a handoff thread, in the staff's language."""

    def __init__(self, lang: Lang, timezone: str) -> None:
        self.lang = lang
        self.zone = ZoneInfo(timezone)

    def status_line(self, handoff: Handoff) -> str:
        lang = self.lang
        staff = f"<@{handoff.staff_user}>" if handoff.staff_user else "—"
        if handoff.status == "expired" and handoff.ticket_id:
            line = staff_text("status.expired_ticket", lang, ticket=handoff.ticket_id)
        else:
            line = staff_text(f"status.{handoff.status}", lang, staff=staff)
        if handoff.rating is not None:
            line += " · " + staff_text("rating", lang, stars=stars(handoff.rating))
        return line

    def reason(self, handoff: Handoff) -> str:
        detail = handoff.detail
        values: dict[str, object] = {
            "segment": detail.get("segment", ""),
            "order_id": detail.get("order_id", ""),
            "total": money(int(detail.get("total_cents") or 0)),
        }
        text = staff_text(f"reason.{handoff.reason}", self.lang, **values)
        if handoff.reason == "severe_complaint" and detail.get("severity"):
            text += f" ({detail['severity']})"
            if detail.get("ticket_id"):
                text += f", {detail['ticket_id']}"
        return text

    def customer(self, handoff: Handoff) -> str:
        customer = handoff.snapshot.get("customer")
        if not isinstance(customer, Mapping):
            return staff_text("guest", self.lang)
        name = str(customer.get("name") or "")
        if customer.get("name_zh"):
            name += f" ({customer['name_zh']})"
        return f"{escape(name)} · {customer.get('id')} · {customer.get('segment')}"

    def sentiment(self, handoff: Handoff) -> str:
        score = handoff.snapshot.get("sentiment")
        if not isinstance(score, int | float):
            return staff_text("sentiment.none", self.lang)
        return staff_text(
            "sentiment.value",
            self.lang,
            score=f"{score:+.2f}",
            label=sentiment_label(float(score)),
            n=handoff.snapshot.get("sentiment_n", 1),
        )

    def orders(self, handoff: Handoff) -> str:
        lang = self.lang
        lines = []
        for order in handoff.snapshot.get("orders") or []:
            items = ", ".join(
                f"{i.get('name_zh' if lang == 'zh' else 'name_en')} ×{i.get('quantity')}"
                for i in order.get("items") or []
            )
            status = status_name(str(order.get("status")), lang)
            total = money(int(order.get("total_cents") or 0))
            lines.append(f"• `{order.get('id')}` {status} · {total} · {escape(items)}")
        body = "\n".join(lines) if lines else staff_text("no_orders", lang)
        return f"*{staff_text('orders', lang)}*\n{body}"

    def turns(self, handoff: Handoff) -> str:
        lang = self.lang
        turns = list(handoff.snapshot.get("turns") or [])
        n = sum(1 for t in turns if t.get("direction") == "in")
        title = f"*{staff_text('turns', lang, n=n)}*"
        lines = [self._turn(turn) for turn in turns]
        if not lines:
            return f"{title}\n{staff_text('no_turns', lang)}"
        # Oldest first; the oldest are dropped when the section would be too long.
        while lines and len(title) + 1 + len("\n".join(lines)) > MAX_SECTION_TEXT:
            lines.pop(0)
        return f"{title}\n" + "\n".join(lines)

    def _turn(self, turn: Mapping[str, Any]) -> str:
        lang = self.lang
        parts = []
        if turn.get("text"):
            parts.append(escape(_clip(str(turn["text"]), MAX_TURN_CHARS)).replace("\n", " "))
        elif turn.get("payload"):
            parts.append(f"`{escape(_clip(str(turn['payload']), 80))}`")
        if turn.get("image"):
            parts.append(staff_text("sent_image", lang))
        if turn.get("cards"):
            names = escape(", ".join(str(c) for c in turn["cards"]))
            parts.append(staff_text("sent_cards", lang, names=names))
        if turn.get("buttons"):
            titles = escape(" | ".join(str(b) for b in turn["buttons"]))
            parts.append(staff_text("sent_buttons", lang, titles=titles))
        who = "👤" if turn.get("direction") == "in" else "🤖"
        return f"> {who} " + " ".join(parts or ["…"])

    def render(self, handoff: Handoff, now: datetime) -> tuple[str, list[dict[str, Any]]]:
        """(notification text, blocks) of the opening message in the handoff's state."""
        lang = self.lang
        title = staff_text("title", lang, id=handoff.id, status=self.status_line(handoff))
        channel = f"{handoff.channel} · `{escape(handoff.external_id)}`"
        fields = [
            (staff_text("customer", lang), self.customer(handoff)),
            (staff_text("channel", lang), channel),
            (staff_text("language", lang), LANG_NAMES[handoff.language]),
            (staff_text("reason", lang), escape(self.reason(handoff))),
            (staff_text("sentiment", lang), self.sentiment(handoff)),
        ]
        local = handoff.created_at.astimezone(self.zone)
        since = staff_text(
            "since",
            lang,
            time=f"{local:%Y-%m-%d %H:%M}",
            age=age_text((now - handoff.created_at).total_seconds(), lang),
        )
        blocks: list[dict[str, Any]] = [
            {"type": "section", "text": {"type": "mrkdwn", "text": _clip(title, MAX_SECTION_TEXT)}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": _clip(f"*{k}*\n{v}", MAX_FIELD_TEXT)}
                    for k, v in fields
                ],
            },
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": _clip(self.orders(handoff), MAX_SECTION_TEXT)},
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": self.turns(handoff)}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"{since} · {staff_text('hint', lang)}"}],
            },
        ]
        buttons = self.buttons(handoff)
        if buttons:
            blocks.append(
                {"type": "actions", "block_id": f"handoff-{handoff.id}", "elements": buttons}
            )
        text = f"Handoff #{handoff.id}: {self.reason(handoff)} ({handoff.channel})"
        return _clip(text, 300), blocks

    def buttons(self, handoff: Handoff) -> list[dict[str, Any]]:
        if handoff.status not in OPEN_STATUSES:
            return []
        lang, value = self.lang, str(handoff.id)

        def button(action: str, style: str | None = None) -> dict[str, Any]:
            element: dict[str, Any] = {
                "type": "button",
                "text": {"type": "plain_text", "text": staff_text(action, lang)},
                "action_id": f"{ACTION_PREFIX}{action}",
                "value": value,
            }
            if style:
                element["style"] = style
            return element

        buttons = [button("resolve"), button("close", "danger")]
        if handoff.status != "active":
            buttons.insert(0, button("claim", "primary"))
        return buttons


class SlackStaffDesk:
    """The :class:`~bot.handoff.service.StaffDesk` in Slack, and the staff's Slack listeners."""

    def __init__(
        self,
        adapter: SlackAdapter,
        *,
        support_channel: str,
        cfg: Config,
        media: MediaStore,
    ) -> None:
        self.adapter = adapter
        self.channel = support_channel
        self.lang: Lang = "zh" if cfg.handoff.staff_language == "zh" else "en"
        self.member_cache_s = cfg.handoff.member_cache_s
        self.public_url = cfg.channels.public_url.rstrip("/")
        self.media = media
        self.renderer = OpeningRenderer(self.lang, cfg.shop.timezone)
        self.service: HandoffService | None = None
        self._members: tuple[float, frozenset[str]] | None = None
        self._names: dict[str, tuple[float, str]] = {}
        self._register()

    def attach(self, service: HandoffService) -> None:
        self.service = service

    @property
    def client(self) -> Any:
        return self.adapter.client

    def _service(self) -> HandoffService:
        if self.service is None:
            raise RuntimeError("SlackStaffDesk.attach(service) was not called")
        return self.service

    # --- StaffDesk ----------------------------------------------------------------------------
    async def open_thread(self, handoff: Handoff) -> tuple[str, str]:
        text, blocks = self.renderer.render(handoff, utcnow())
        response = await self._call(
            "chat_postMessage",
            channel=self.channel,
            text=text,
            blocks=blocks,
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response.get("channel") or self.channel), str(response["ts"])

    async def update_thread(self, handoff: Handoff) -> None:
        if handoff.slack_channel is None or handoff.thread_ts is None:
            return
        text, blocks = self.renderer.render(handoff, utcnow())
        await self._call(
            "chat_update",
            channel=handoff.slack_channel,
            ts=handoff.thread_ts,
            text=text,
            blocks=blocks,
        )

    async def post_message(self, handoff: Handoff, message: HandoffMessage) -> None:
        channel, thread_ts = handoff.slack_channel, handoff.thread_ts
        if channel is None or thread_ts is None:
            raise DeliveryError(f"handoff #{handoff.id} has no thread yet")
        if message.direction == "system":
            await self._call(
                "chat_postMessage",
                channel=channel,
                thread_ts=thread_ts,
                text=f"ℹ️ {message.text or ''}",
                unfurl_links=False,
            )
            return
        who = staff_text("from_customer", self.lang)
        if message.text:
            await self._call(
                "chat_postMessage",
                channel=channel,
                thread_ts=thread_ts,
                text=f"👤 *{who}:* {escape(message.text)}",
                unfurl_links=False,
                unfurl_media=False,
            )
        for attachment in message.attachments:
            await self._post_image(channel, thread_ts, attachment)

    async def _post_image(self, channel: str, thread_ts: str, attachment: Attachment) -> None:
        """A customer's photo in the thread: uploaded from the media store, else a link."""
        title = staff_text("photo", self.lang)
        path = None
        if attachment.url.startswith(URL_PREFIX):
            path = self.media.path_of(attachment.url[len(URL_PREFIX) :])
        if path is not None:
            await self._call(
                "files_upload_v2",
                channel=channel,
                thread_ts=thread_ts,
                file=path.read_bytes(),
                filename=attachment.name or path.name,
                title=title,
            )
            return
        url = attachment.url
        if url.startswith("/") and self.public_url:
            url = self.public_url + url
        await self._call(
            "chat_postMessage", channel=channel, thread_ts=thread_ts, text=f"👤 {title}: <{url}>"
        )

    async def _call(self, method: str, **kwargs: Any) -> Any:
        """A Web API call; Slack's refusals and network errors as DeliveryError."""
        try:
            return await getattr(self.client, method)(**kwargs)
        except SlackApiError as exc:
            raise delivery_error(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"Slack API unreachable: {exc!r}") from exc

    # --- who may act --------------------------------------------------------------------------
    async def is_member(self, user_id: str) -> bool | None:
        """Whether ``user_id`` is in the support channel (None: Slack could not say).

        The member list is fetched with ``conversations.members`` and trusted for
        ``handoff.member_cache_s``.
        """
        now = time.monotonic()
        if self._members is None or now - self._members[0] > self.member_cache_s:
            members: set[str] = set()
            cursor: str | None = None
            try:
                while True:
                    response = await self.client.conversations_members(
                        channel=self.channel, limit=1000, cursor=cursor
                    )
                    members.update(str(m) for m in response.get("members") or [])
                    cursor = (response.get("response_metadata") or {}).get("next_cursor") or None
                    if not cursor:
                        break
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
                logger.error("cannot list the members of %s: %s", self.channel, exc)
                return None
            self._members = (now, frozenset(members))
        return user_id in self._members[1]

    async def staff_member(self, user_id: str) -> StaffMember:
        """The colleague as customers see them: their Slack display name (cached)."""
        cached = self._names.get(user_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < NAME_CACHE_S:
            return StaffMember(user_id, cached[1])
        name = FALLBACK_STAFF_NAME
        try:
            response = await self.client.users_info(user=user_id)
            user = response.get("user") or {}
            profile = user.get("profile") or {}
            name = (
                profile.get("display_name")
                or profile.get("real_name")
                or user.get("real_name")
                or user.get("name")
                or FALLBACK_STAFF_NAME
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("users.info for %s failed: %s", user_id, exc)
            return StaffMember(user_id, name)
        self._names[user_id] = (now, str(name))
        return StaffMember(user_id, str(name))

    async def _refusal(self, user_id: str) -> str | None:
        """None when ``user_id`` may act; else the text of the refusal."""
        member = await self.is_member(user_id)
        if member is None:
            return staff_text("refuse.check", self.lang, channel=self.channel)
        if not member:
            logger.info("handoff: %s is not in %s; refused", user_id, self.channel)
            return staff_text("refuse.member", self.lang, channel=self.channel)
        return None

    async def _ephemeral(self, user_id: str, text: str, thread_ts: str | None = None) -> None:
        try:
            await self.client.chat_postEphemeral(
                channel=self.channel, user=user_id, text=text, thread_ts=thread_ts
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("ephemeral message to %s failed: %s", user_id, exc)

    def _outcome_text(self, outcome: StaffOutcome, handoff_id: int) -> str | None:
        if outcome.result == "ok":
            return None
        if outcome.result == "unknown" or outcome.handoff is None:
            return staff_text("refuse.unknown", self.lang)
        status = self.renderer.status_line(outcome.handoff)
        key = "refuse.taken" if outcome.result == "taken" else "refuse.ended"
        return staff_text(key, self.lang, id=handoff_id, status=status)

    # --- Slack listeners ----------------------------------------------------------------------
    def _register(self) -> None:
        # Bolt fills listener arguments by name, so these are plain functions.
        async def on_action(ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
            await ack()
            await self.on_button(body, action)

        async def on_command(ack: Ack, command: dict[str, Any]) -> None:
            await self.on_command(ack, command)

        self.adapter.bolt.action(ACTION_RE)(on_action)
        self.adapter.bolt.command(COMMAND)(on_command)
        self.adapter.add_staff_handler(self.on_support_message)

    async def on_button(self, body: Mapping[str, Any], action: Mapping[str, Any]) -> None:
        """Claim / Resolve / Close on an opening message."""
        user_id = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        match = ACTION_RE.match(str(action.get("action_id")))
        value = str(action.get("value") or "")
        if not isinstance(user_id, str) or match is None or not value.isdigit():
            logger.info("handoff button click without a user, action or handoff id ignored")
            return
        if channel != self.channel:
            logger.warning("handoff button clicked outside the support channel (%s)", channel)
            return
        thread_ts = (body.get("message") or {}).get("ts")
        refusal = await self._refusal(user_id)
        if refusal is not None:
            await self._ephemeral(user_id, refusal, thread_ts)
            return
        staff = await self.staff_member(user_id)
        service, handoff_id = self._service(), int(value)
        verb = match.group(1)
        if verb == "claim":
            outcome = await service.claim(handoff_id, staff)
        elif verb == "resolve":
            outcome = await service.resolve(handoff_id, staff)
        else:
            outcome = await service.close_handoff(handoff_id, staff)
        text = self._outcome_text(outcome, handoff_id)
        if text is not None:
            await self._ephemeral(user_id, text, thread_ts)

    async def on_support_message(self, event: Mapping[str, Any]) -> None:
        """A message in the support channel: a staff reply when it is in a handoff thread."""
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if not isinstance(thread_ts, str) or thread_ts == ts:
            return  # not a thread reply
        if not is_customer_message(event, self.adapter.bot_user_id):
            return  # the bot's own posts, other bots, edits
        service = self._service()
        handoff = await service.for_thread(str(event["channel"]), thread_ts)
        if handoff is None:
            return  # a colleagues' discussion thread
        user_id = str(event["user"])
        refusal = await self._refusal(user_id)
        if refusal is not None:
            await self._ephemeral(user_id, refusal, thread_ts)
            return
        staff = await self.staff_member(user_id)
        text = plain_text(str(event.get("text") or ""), self.adapter.bot_user_id) or None
        attachments: list[Attachment] = []
        files = event.get("files")
        if isinstance(files, list) and not (text and staff_note(text) is not None):
            for file in files:
                if isinstance(file, Mapping):
                    # The channel adapter's download: bot token only to Slack's file host.
                    attachment = await self.adapter.download_image(file)
                    if attachment is not None:
                        attachments.append(attachment)
        if text is None and not attachments:
            return
        outcome = await service.staff_reply(
            handoff.id, staff, text=text, attachments=attachments, slack_ts=str(ts)
        )
        message = self._outcome_text(outcome, handoff.id)
        if message is not None:
            await self._ephemeral(user_id, message, thread_ts)

    async def on_command(self, ack: Ack, command: Mapping[str, Any]) -> None:
        """``/handoff [waiting | active]``: the open handoffs with their age (only to the
        colleague who asked)."""
        user_id = str(command.get("user_id") or "")
        refusal = await self._refusal(user_id)
        if refusal is not None:
            await ack(text=refusal, response_type="ephemeral")
            return
        wanted = str(command.get("text") or "").strip().lower()
        if wanted not in ("", "waiting", "active"):
            await ack(text=staff_text("list.usage", self.lang), response_type="ephemeral")
            return
        await ack(text=await self.listing(wanted or None), response_type="ephemeral")

    async def listing(self, only: str | None = None) -> str:
        lang, now = self.lang, utcnow()
        handoffs = await self._service().open_handoffs()
        waiting = [h for h in handoffs if h.status in ("waiting", "message")]
        active = [h for h in handoffs if h.status == "active"]
        base = "https://slack.com/"
        try:
            base = str((await self.adapter.identity()).get("url") or base)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("auth.test failed; thread links use slack.com: %s", exc)
        sections = []
        for key, group in (("waiting", waiting), ("active", active)):
            if only is not None and only != key:
                continue
            lines = [f"*{staff_text(f'list.{key}', lang, n=len(group))}*"]
            for h in group:
                label = f"#{h.id}"
                if h.slack_channel and h.thread_ts:
                    label = f"<{thread_link(base, h.slack_channel, h.thread_ts)}|#{h.id}>"
                customer = h.snapshot.get("customer")
                who = (
                    escape(str(customer.get("name")))
                    if isinstance(customer, Mapping)
                    else staff_text("guest", lang)
                )
                parts = [label, who, h.channel, escape(self.renderer.reason(h))]
                if h.status == "active":
                    parts.append(self.renderer.status_line(h))
                elif h.status == "message":
                    parts.append(staff_text("status.message", lang))
                parts.append(age_text((now - h.created_at).total_seconds(), lang))
                lines.append("• " + " · ".join(parts))
            if not group:
                lines.append(staff_text("list.none", lang))
            sections.append("\n".join(lines))
        return f"*{staff_text('list.title', lang)}*\n" + "\n\n".join(sections)
