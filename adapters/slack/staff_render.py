"""What the staff read in Slack: the opening message of a handoff thread (customer, channel,
language, latest orders, sentiment, why it was handed off, the last messages, and the buttons
Claim / Resolve / Close, and "Suggest reply" with the large-model assist) rendered by
:class:`OpeningRenderer`, the assist's suggested reply with its "Send suggestion" button
(:meth:`OpeningRenderer.suggestion`), and the ``/handoff`` listing of open handoffs
(:func:`render_listing`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from adapters.slack.blocks import (
    MAX_FIELD_TEXT,
    MAX_SECTION_TEXT,
    Block,
    actions,
    button,
    clip,
    escape,
    mrkdwn,
    section,
)
from bot.handoff.rules import OPEN_STATUSES, sentiment_label, stars
from bot.handoff.store import Handoff
from bot.i18n import Lang, age_text, language_name, money, staff_text, status_name
from bot.services.emotion import Thresholds, trend_line

ACTION_PREFIX = "handoff:"  # action ids of the staff buttons (customer buttons use "cs:")
ACTION_RE = re.compile(r"^handoff:(claim|resolve|close|suggest|send_suggestion)$")
MAX_TURN_CHARS = 300  # one message in the opening message's history


def thread_link(base_url: str, channel: str, ts: str) -> str:
    """A link to a message: ``<workspace url>archives/<channel>/p<ts without the dot>``."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{base}archives/{channel}/p{ts.replace('.', '')}"


class OpeningRenderer:
    """The opening message of a handoff thread, in the staff's language."""

    def __init__(self, lang: Lang, timezone: str, thresholds: Thresholds | None = None) -> None:
        self.lang = lang
        self.zone = ZoneInfo(timezone)
        self.assist = False  # the large-model assist is on: offer "Suggest reply"
        self.thresholds = thresholds or Thresholds()  # where a score turns annoyed, angry

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
        text = staff_text(
            "sentiment.value",
            self.lang,
            score=f"{score:+.2f}",
            label=sentiment_label(float(score)),
            n=handoff.snapshot.get("sentiment_n", 1),
        )
        scores = handoff.snapshot.get("sentiment_scores")
        if isinstance(scores, list) and scores:
            # The mood trend of the recent messages, oldest first (bot/services/emotion.py).
            values = [float(x) for x in scores if isinstance(x, int | float)]
            text += "\n" + trend_line(values, self.lang, self.thresholds)
        return text

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
            parts.append(escape(clip(str(turn["text"]), MAX_TURN_CHARS)).replace("\n", " "))
        elif turn.get("payload"):
            parts.append(f"`{escape(clip(str(turn['payload']), 80))}`")
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

    def render(self, handoff: Handoff, now: datetime) -> tuple[str, list[Block]]:
        """(notification text, blocks) of the opening message in the handoff's state."""
        lang = self.lang
        title = staff_text("title", lang, id=handoff.id, status=self.status_line(handoff))
        blocks: list[Block] = [
            section(clip(title, MAX_SECTION_TEXT)),
            {
                "type": "section",
                "fields": [
                    mrkdwn(clip(f"*{k}*\n{v}", MAX_FIELD_TEXT)) for k, v in self.fields(handoff)
                ],
            },
            section(clip(self.orders(handoff), MAX_SECTION_TEXT)),
            section(self.turns(handoff)),
            {"type": "context", "elements": [mrkdwn(self.since(handoff, now))]},
        ]
        buttons = self.buttons(handoff)
        if buttons:
            blocks.append(actions(buttons, block_id=f"handoff-{handoff.id}"))
        text = staff_text(
            "notification",
            lang,
            id=handoff.id,
            reason=self.reason(handoff),
            channel=handoff.channel,
        )
        return clip(text, 300), blocks

    def fields(self, handoff: Handoff) -> list[tuple[str, str]]:
        """(title, value) of the opening message's fields."""
        lang = self.lang
        return [
            (staff_text("customer", lang), self.customer(handoff)),
            (staff_text("channel", lang), f"{handoff.channel} · `{escape(handoff.external_id)}`"),
            (staff_text("language", lang), language_name(handoff.language)),
            (staff_text("reason", lang), escape(self.reason(handoff))),
            (staff_text("sentiment", lang), self.sentiment(handoff)),
        ]

    def since(self, handoff: Handoff, now: datetime) -> str:
        """When the handoff started (staff's time zone) and how long ago, and the reply hint."""
        lang = self.lang
        local = handoff.created_at.astimezone(self.zone)
        since = staff_text(
            "since",
            lang,
            time=f"{local:%Y-%m-%d %H:%M}",
            age=age_text((now - handoff.created_at).total_seconds(), lang),
        )
        return f"{since} · {staff_text('hint', lang)}"

    def buttons(self, handoff: Handoff) -> list[Block]:
        """Claim (until claimed) / Resolve / Close while the handoff is open."""
        if handoff.status not in OPEN_STATUSES:
            return []
        buttons = [self._button(handoff, "resolve"), self._button(handoff, "close", "danger")]
        if handoff.status != "active":
            buttons.insert(0, self._button(handoff, "claim", "primary"))
        if self.assist:
            buttons.append(self._button(handoff, "suggest"))
        return buttons

    def suggestion(
        self, handoff: Handoff, message_id: int, text: str, *, sent_by: str | None = None
    ) -> tuple[str, list[Block]]:
        """(notification text, blocks) of a suggested reply: the text quoted, "Send
        suggestion" (the message id) and "Suggest reply"; once sent, who sent it instead."""
        lang = self.lang
        intro = staff_text("assist.suggestion", lang, language=language_name(handoff.language))
        quoted = "\n".join(f"> {line}" for line in escape(text).splitlines() or [""])
        blocks: list[Block] = [section(clip(f"{intro}\n{quoted}", MAX_SECTION_TEXT))]
        if sent_by is not None:
            done = staff_text("assist.sent", lang, staff=f"<@{sent_by}>")
            blocks.append({"type": "context", "elements": [mrkdwn(done)]})
        elif handoff.status in OPEN_STATUSES:
            send = button(
                staff_text("send_suggestion", lang),
                f"{ACTION_PREFIX}send_suggestion",
                str(message_id),
                "primary",
            )
            again = self._button(handoff, "suggest")
            blocks.append(actions([send, again], block_id=f"suggestion-{message_id}"))
        return clip(f"{intro} {text}", 300), blocks

    def _button(self, handoff: Handoff, action: str, style: str | None = None) -> Block:
        title = staff_text(action, self.lang)
        return button(title, f"{ACTION_PREFIX}{action}", str(handoff.id), style)


def render_listing(
    renderer: OpeningRenderer,
    handoffs: Sequence[Handoff],
    *,
    base_url: str,
    only: str | None,
    now: datetime,
) -> str:
    """The ``/handoff`` answer: waiting and active handoffs (``only`` one group), each with a
    link to its thread (``base_url``: the workspace URL), customer, reason and age."""
    lang = renderer.lang
    waiting = [h for h in handoffs if h.status in ("waiting", "message")]
    active = [h for h in handoffs if h.status == "active"]
    sections = []
    for key, group in (("waiting", waiting), ("active", active)):
        if only is not None and only != key:
            continue
        lines = [f"*{staff_text(f'list.{key}', lang, n=len(group))}*"]
        lines += [_listing_line(renderer, h, base_url, now) for h in group]
        if not group:
            lines.append(staff_text("list.none", lang))
        sections.append("\n".join(lines))
    return f"*{staff_text('list.title', lang)}*\n" + "\n\n".join(sections)


def _listing_line(renderer: OpeningRenderer, h: Handoff, base_url: str, now: datetime) -> str:
    lang = renderer.lang
    label = f"#{h.id}"
    if h.slack_channel and h.thread_ts:
        label = f"<{thread_link(base_url, h.slack_channel, h.thread_ts)}|#{h.id}>"
    customer = h.snapshot.get("customer")
    who = (
        escape(str(customer.get("name")))
        if isinstance(customer, Mapping)
        else staff_text("guest", lang)
    )
    parts = [label, who, h.channel, escape(renderer.reason(h))]
    if h.status == "active":
        parts.append(renderer.status_line(h))
    elif h.status == "message":
        parts.append(staff_text("status.message", lang))
    risk = h.detail.get("complaint_risk")
    if h.status != "active" and isinstance(risk, int | float):
        parts.append(staff_text("list.risk", lang, risk=float(risk)))
    parts.append(age_text((now - h.created_at).total_seconds(), lang))
    return "• " + " · ".join(parts)
