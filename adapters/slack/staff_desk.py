"""The staff side of handoff in Slack: one thread per handed-off conversation.

In the support channel (``SLACK_SUPPORT_CHANNEL``) each handoff gets an opening message with
the customer, channel, language, latest orders, sentiment, why it was handed off and the last
messages, and the buttons Claim / Resolve (back to the bot) / Close (rendered by
:mod:`adapters.slack.staff_render`). The customer's messages follow in the thread; staff
replies in the thread go to the customer on their own channel, except replies starting with
``note:``. With the large-model assist on, a summary and a suggested reply follow in the thread
(:mod:`bot.handoff.assist`): "Send suggestion" sends it as the colleague's reply, "Suggest
reply" asks for a fresh one. ``/handoff`` lists waiting and active conversations. Only members
of the support channel may claim, reply or resolve; others get an ephemeral refusal.

This module only speaks Slack: what happens is decided by
:class:`~bot.handoff.service.HandoffService`, and the Slack calls are made through the channel
adapter's clients (:class:`~adapters.slack.adapter.SlackAdapter`), whose Bolt app routes the
clicks, the slash command and the support channel's messages here.

Wiring: the composition root (:mod:`bot.gateway.__main__`) constructs the desk with the Slack
adapter and hands it to :class:`~bot.handoff.setup.HandoffSetup`; the service is given the desk
in its constructor at start-up, and the desk the service by one call, :meth:`serve`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from adapters.slack.adapter import SlackAdapter
from adapters.slack.blocks import escape
from adapters.slack.inbound import action_channel, is_customer_message, plain_text
from adapters.slack.sender import SLACK_CALL_ERRORS, delivery_errors
from adapters.slack.staff_render import ACTION_RE, OpeningRenderer, render_listing
from bot.config import Config
from bot.core.media import URL_PREFIX, MediaStore
from bot.core.message import Attachment
from bot.core.outbox import DeliveryError, utcnow
from bot.handoff.rules import staff_note
from bot.handoff.service import HandoffService, StaffOutcome
from bot.handoff.store import Handoff, HandoffMessage, StaffMember
from bot.i18n import Lang, staff_text
from bot.services.emotion import Thresholds

logger = logging.getLogger(__name__)

COMMAND = "/handoff"
FALLBACK_STAFF_NAME = "Support"
NAME_CACHE_S = 3600.0

Ack = Callable[..., Awaitable[None]]


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
        self.renderer = OpeningRenderer(
            self.lang,
            cfg.shop.timezone,
            Thresholds(cfg.handoff.emotion_upset_at, cfg.handoff.emotion_angry_at),
        )
        self.service: HandoffService | None = None
        self._members: tuple[float, frozenset[str]] | None = None
        self._names: dict[str, tuple[float, str]] = {}
        self._register()

    def serve(self, service: HandoffService) -> None:
        """Take staff actions (claims, replies, ``/handoff``) to ``service`` from now on."""
        self.service = service
        self.renderer.assist = service.assist is not None

    @property
    def client(self) -> Any:
        return self.adapter.client

    def _service(self) -> HandoffService:
        if self.service is None:
            raise RuntimeError("SlackStaffDesk.serve(service) was not called")
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
        if message.direction == "suggestion":
            text, blocks = self.renderer.suggestion(handoff, message.id, message.text or "")
            await self._call(
                "chat_postMessage",
                channel=channel,
                thread_ts=thread_ts,
                text=text,
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
            return
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

    async def post_alert(self, text: str) -> None:
        """An alert of the proactive service (a late parcel, a restock) in the support
        channel (:class:`bot.core.proactive.StaffAlerts`)."""
        await self._call("chat_postMessage", channel=self.channel, text=text, unfurl_links=False)

    async def _call(self, method: str, **kwargs: Any) -> Any:
        """A Web API call; Slack's refusals and network errors as DeliveryError."""
        with delivery_errors():
            return await getattr(self.client, method)(**kwargs)

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
            except SLACK_CALL_ERRORS as exc:
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
        except SLACK_CALL_ERRORS as exc:
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
        except SLACK_CALL_ERRORS as exc:
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
        channel = action_channel(body)
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
        if verb in ("suggest", "send_suggestion"):
            await self._assist_button(body, verb, int(value), staff, thread_ts)
            return
        if verb == "claim":
            outcome = await service.claim(handoff_id, staff)
        elif verb == "resolve":
            outcome = await service.resolve(handoff_id, staff)
        else:
            outcome = await service.close_handoff(handoff_id, staff)
        text = self._outcome_text(outcome, handoff_id)
        if text is not None:
            await self._ephemeral(user_id, text, thread_ts)

    async def _assist_button(
        self, body: Mapping[str, Any], verb: str, value: int, staff: StaffMember, thread_ts: Any
    ) -> None:
        """ "Suggest reply" (``value``: the handoff) or "Send suggestion" (the suggestion)."""
        service, user_id = self._service(), staff.user_id
        message = body.get("message") or {}
        reply_ts = message.get("thread_ts") or thread_ts
        if verb == "suggest":
            if service.assist is None:
                await self._ephemeral(user_id, staff_text("assist.off", self.lang), reply_ts)
            elif not service.request_suggestion(value, staff):
                await self._ephemeral(user_id, staff_text("assist.busy", self.lang), reply_ts)
            return
        sent = await service.send_suggestion(value, staff)
        result, handoff = sent.result, sent.handoff
        if result in ("already", "blocked"):
            problems = "; ".join(sent.problems)
            notice = staff_text(f"assist.{result}", self.lang, problems=problems)
            await self._ephemeral(user_id, notice, reply_ts)
            return
        if result != "sent" or handoff is None:
            outcome = StaffOutcome("unknown" if handoff is None else "ended", handoff)
            refusal = self._outcome_text(outcome, handoff.id if handoff else 0)
            if refusal is not None:
                await self._ephemeral(user_id, refusal, reply_ts)
            return
        suggestion = await service.store.message(value)
        channel, ts = action_channel(body), message.get("ts")
        if suggestion is None or not isinstance(ts, str):
            return
        text, blocks = self.renderer.suggestion(
            handoff, value, suggestion.text or "", sent_by=user_id
        )
        try:
            await self._call("chat_update", channel=channel, ts=ts, text=text, blocks=blocks)
        except DeliveryError as exc:
            logger.warning("could not mark suggestion #%d sent: %s", value, exc)

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
        attachments: tuple[Attachment, ...] = ()
        files = event.get("files")
        if isinstance(files, list) and not (text and staff_note(text) is not None):
            # The channel adapter's download: bot token only to Slack's file host.
            attachments = await self.adapter.files.download_all(
                [file for file in files if isinstance(file, Mapping)]
            )
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
        """The ``/handoff`` answer: the open handoffs, ``only`` "waiting" or "active" if given."""
        now = utcnow()
        handoffs = await self._service().open_handoffs()
        base = "https://slack.com/"
        try:
            base = str((await self.adapter.identity()).get("url") or base)
        except SLACK_CALL_ERRORS as exc:
            logger.warning("auth.test failed; thread links use slack.com: %s", exc)
        return render_listing(self.renderer, handoffs, base_url=base, only=only, now=now)
