"""Internal -> Slack for customers: :class:`Renderer` turns an outgoing message into a
``chat.postMessage`` body of Block Kit (text sections, answer buttons, product cards, images)."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from adapters.slack.blocks import (
    MAX_ACTIONS_PER_BLOCK,
    MAX_ALT_TEXT,
    MAX_BLOCKS,
    MAX_BUTTON_VALUE,
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    Block,
    actions,
    button,
    clip,
    escape,
    escaped_len,
    section,
)
from bot.core.message import Button, OutgoingMessage, ProductCard
from bot.core.render import card_line, split_text
from bot.i18n import Lang, t
from bot.shop.images import product_id_from_image_path, product_png_path

logger = logging.getLogger(__name__)

CUSTOMER_ACTION_PREFIX = "cs:"  # action_id of the answer buttons; others belong to staff tools


@dataclass(frozen=True)
class Rendered:
    """A ``chat.postMessage`` body: ``text`` (notifications, fallback) and Block Kit blocks."""

    text: str
    blocks: tuple[Block, ...] = ()
    has_images: bool = False


class Renderer:
    """Turns an :class:`OutgoingMessage` into Block Kit.

    Text becomes section blocks of at most ``max_text_chars``; buttons an actions block whose
    button values are the payloads; product cards a section each (with the card's picture when
    it has a public URL Slack can show) and a button per card; an image an image block when
    Slack can fetch it, else a link.
    """

    def __init__(
        self, *, max_text_chars: int, public_url: str = "", png_products: bool = False
    ) -> None:
        self.max_text_chars = max_text_chars
        self.public_url = public_url.rstrip("/")
        self.png_products = png_products  # the gateway serves /products/<id>.png

    def image_url(self, url: str) -> tuple[str | None, bool]:
        """(absolute URL, whether Slack can show it inline) for an image the bot sends."""
        product_id = product_id_from_image_path(url)
        if product_id and self.png_products:
            url = product_png_path(product_id)  # Slack shows no SVG
        if url.startswith("/") and not url.startswith("//"):
            if not self.public_url:
                return None, False
            url = self.public_url + url
        if not url.startswith(("https://", "http://")):
            return None, False
        return url, not urlsplit(url).path.lower().endswith(".svg")

    def card_image(self, card: ProductCard) -> str | None:
        """The card's own picture when Slack can show it, else the gateway's PNG of it."""
        if card.image:
            url, inline = self.image_url(card.image)
            if url is not None and inline:
                return url
        if self.png_products:
            url, inline = self.image_url(product_png_path(card.id))
            return url if inline else None
        return None

    def render(self, message: OutgoingMessage, lang: Lang, *, images: bool = True) -> Rendered:
        """The message as Block Kit; ``images=False`` turns pictures into links."""
        draft = _Draft()
        if message.text:
            for part in split_text(message.text, self.max_text_chars, escaped_len):
                draft.blocks.append(section(escape(part)))
            draft.fallback.append(message.text)
        for card in message.product_cards:
            self._add_card(draft, card, lang, images=images)
        if message.image:
            self._add_image(draft, message.image, lang, images=images)
        draft.add_buttons(message.buttons)
        draft.fallback += [b.title for b in message.buttons if not message.text]
        return draft.finish()

    def _add_card(self, draft: _Draft, card: ProductCard, lang: Lang, *, images: bool) -> None:
        """A product card: its section (with its picture) and its buttons."""
        block = section(self._card_text(card, lang))
        picture = self.card_image(card) if images else None
        if picture is not None:
            block["accessory"] = {
                "type": "image",
                "image_url": picture,
                "alt_text": clip(card.name, MAX_ALT_TEXT),
            }
            draft.has_images = True
        draft.blocks.append(block)
        card_buttons = list(card.buttons)
        if card.payload:
            card_buttons.insert(0, Button(t("card.details", lang), card.payload))
        draft.add_buttons(card_buttons)
        draft.fallback.append(card_line(card, lang))

    def _add_image(self, draft: _Draft, image: str, lang: Lang, *, images: bool) -> None:
        """The message's image: an image block when Slack can show it, else a link."""
        url, inline = self.image_url(image)
        if url is None:
            logger.info("image %r has no public URL (channels.public_url)", image)
            return
        if inline and images:
            draft.blocks.append(
                {"type": "image", "image_url": url, "alt_text": t("slack.image", lang)}
            )
            draft.has_images = True
        else:
            draft.blocks.append(section(f"<{url}|{t('slack.image', lang)}>"))
        draft.fallback.append(t("slack.image", lang))

    @staticmethod
    def _card_text(card: ProductCard, lang: Lang) -> str:
        details = card_line(card, lang).removeprefix(card.name).removeprefix(" · ")
        text = f"*{escape(card.name)}*" + (f"\n{escape(details)}" if details else "")
        return clip(text, MAX_SECTION_TEXT)


@dataclass
class _Draft:
    """A message being rendered: its blocks, its fallback text lines, whether it shows images."""

    blocks: list[Block] = field(default_factory=list)
    fallback: list[str] = field(default_factory=list)
    has_images: bool = False
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def add_buttons(self, buttons: Sequence[Button]) -> None:
        """Answer buttons, in actions blocks of at most :data:`MAX_ACTIONS_PER_BLOCK`."""
        elements = [e for b in buttons if (e := self._button(b)) is not None]
        for start in range(0, len(elements), MAX_ACTIONS_PER_BLOCK):
            self.blocks.append(actions(elements[start : start + MAX_ACTIONS_PER_BLOCK]))

    def _button(self, answer: Button) -> Block | None:
        """A button whose value is the payload; None when the payload is too long for Slack."""
        if len(answer.payload) > MAX_BUTTON_VALUE:
            logger.warning("a button payload over %d characters is left out", MAX_BUTTON_VALUE)
            return None
        action_id = f"{CUSTOMER_ACTION_PREFIX}{next(self._numbers)}"
        return button(answer.title, action_id, answer.payload)

    def finish(self) -> Rendered:
        """The rendered message, cut to Slack's :data:`MAX_BLOCKS`."""
        blocks = self.blocks
        if len(blocks) > MAX_BLOCKS:
            logger.warning("a message of %d blocks is cut to Slack's %d", len(blocks), MAX_BLOCKS)
            blocks = blocks[:MAX_BLOCKS]
        text = escape(clip("\n".join(self.fallback), MAX_FALLBACK_TEXT)) if self.fallback else ""
        return Rendered(text=text, blocks=tuple(blocks), has_images=self.has_images)
