"""Rendering helpers shared by the channel adapters.

Platforms differ in what they show: Telegram and Slack have buttons and photos, a WeChat text
reply has neither. These helpers give every adapter the same fallbacks: long texts split on
sentence boundaries at the platform's limit, buttons as numbered options the customer answers
with a digit (remembered per conversation, so "2" works after a restart), product cards as
one line each.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.message import Button, OutgoingMessage, ProductCard
from bot.i18n import Lang, t, variants
from bot.storage.schema import channel_options

# Split points, best first: paragraph, line, sentence end (zh and en), clause, space.
_BREAKS = (
    re.compile(r"\n\s*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[。！？!?])|(?<=\.)\s"),
    re.compile(r"(?<=[，；,;：:])"),
    re.compile(r"\s"),
)

OPTIONS_HEADER = variants("render.options_header")


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8"))


def split_text(text: str, limit: int, measure: Callable[[str], int] = len) -> list[str]:
    """Split ``text`` into parts of at most ``limit`` (by ``measure``: characters, or
    :func:`utf8_len` for byte limits), breaking at the best boundary that fits."""
    if limit < 8:
        raise ValueError(f"limit must be at least 8, got {limit}")
    parts: list[str] = []
    rest = text.strip()
    while rest and measure(rest) > limit:
        cut = _longest_prefix(rest, limit, measure)
        best = 0
        for pattern in _BREAKS:
            ends = [m.end() for m in pattern.finditer(rest[:cut]) if m.end() > 0]
            if ends and ends[-1] >= cut // 3:
                best = ends[-1]
                break
        if best == 0:
            best = cut  # no boundary in reach: cut inside the word
        parts.append(rest[:best].rstrip())
        rest = rest[best:].lstrip()
    if rest:
        parts.append(rest)
    return [p for p in parts if p]


def _longest_prefix(text: str, limit: int, measure: Callable[[str], int]) -> int:
    """The largest n with measure(text[:n]) <= limit (binary search; measure is monotone)."""
    lo, hi = 1, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) <= limit:
            lo = mid
        else:
            hi = mid - 1
    return lo


def numbered_options(buttons: Sequence[Button], lang: Lang, *, start: int = 1) -> str:
    """Buttons as text for a platform without them: a header and "1. title" lines
    (numbered from ``start`` when an earlier message of the same answer had options)."""
    lines = [OPTIONS_HEADER[lang]]
    lines += [f"{i}. {b.title}" for i, b in enumerate(buttons, start=start)]
    return "\n".join(lines)


def card_details(card: ProductCard, lang: Lang, *, spacious: bool = False) -> list[str]:
    """A product card's price, rating and stock warning (when sold out), each as it is shown.

    ``spacious`` (a photo caption) groups the price's thousands and spaces the rating's star.
    """
    details = []
    if card.price_text:
        details.append(card.price_text)
    elif card.price is not None:
        amount = f"{card.price:,.2f}" if spacious else f"{card.price:.2f}"
        details.append(f"¥{amount}" if card.currency == "CNY" else f"{amount} {card.currency}")
    if card.rating is not None:
        details.append(f"★ {card.rating:.1f}" if spacious else f"★{card.rating:.1f}")
    if card.stock is not None and card.stock <= 0:
        details.append(t("card.out_of_stock", lang))
    return details


def card_line(card: ProductCard, lang: Lang) -> str:
    """One product card as a line of text: name, price, rating, stock."""
    line = " · ".join([card.name, *card_details(card, lang)])
    return f"{line} ({card.reason})" if card.reason else line


def as_plain_text(
    message: OutgoingMessage, lang: Lang, *, start: int = 1
) -> tuple[str, list[Button]]:
    """A message as text plus the options the customer can answer with a number.

    Product cards become numbered lines (choosing one sends its payload), then the message's
    own buttons continue the numbering. An image becomes its URL when it is absolute.
    """
    lines: list[str] = []
    options: list[Button] = []
    if message.text:
        lines.append(message.text)
    cards = message.product_cards
    for card in cards:
        options.append(Button(title=card_line(card, lang), payload=card.payload or ""))
    options = [o for o in options if o.payload]
    if message.image and message.image.startswith(("http://", "https://")):
        lines.append(message.image)
    for card in cards:
        if not card.payload:
            lines.append("- " + card_line(card, lang))
    options += list(message.buttons)
    if options:
        lines.append(numbered_options(options, lang, start=start))
    return "\n".join(lines), options


# Full-width digits and "第2个"/"option 2"/"#2" are answers too.
_CHOICE_RE = re.compile(r"^\s*(?:第|no\.?|option|#)?\s*(\d{1,2})\s*(?:个|项|号|\.)?\s*$", re.I)


def parse_choice(text: str) -> int | None:
    """The option number a customer typed ("2", "２", "第2个", "#2"), else None."""
    match = _CHOICE_RE.match(unicodedata.normalize("NFKC", text))
    return int(match.group(1)) if match else None


class OptionsMemory:
    """The numbered options last shown in each conversation, in the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def remember(self, conversation_id: str, options: Sequence[Button]) -> None:
        """Replace the conversation's options (an empty list forgets them)."""
        async with self.engine.begin() as conn:
            await conn.execute(
                delete(channel_options).where(channel_options.c.conversation_id == conversation_id)
            )
            if options:
                await conn.execute(
                    insert(channel_options).values(
                        conversation_id=conversation_id,
                        options=[{"title": b.title, "payload": b.payload} for b in options],
                        updated_at=datetime.now(UTC),
                    )
                )

    async def resolve(self, conversation_id: str, text: str) -> str | None:
        """The payload of the option ``text`` chooses, if it is a number in range."""
        number = parse_choice(text)
        if number is None:
            return None
        async with self.engine.connect() as conn:
            options = (
                await conn.execute(
                    select(channel_options.c.options).where(
                        channel_options.c.conversation_id == conversation_id
                    )
                )
            ).scalar_one_or_none()
        if not options or not 1 <= number <= len(options):
            return None
        payload = options[number - 1].get("payload")
        return payload if isinstance(payload, str) and payload.startswith("/") else None
