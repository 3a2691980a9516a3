"""Rendering replies the Telegram way: an outgoing message becomes text and photo messages
(texts split at the limit, product cards as captioned photos), buttons an inline keyboard, and
image URLs what ``sendPhoto`` can take (our product pictures and stored media as uploads)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile

from adapters.telegram.callbacks import CallbackCodec
from bot.core.channels import ProductImages
from bot.core.media import MediaStore
from bot.core.message import Button, OutgoingMessage, ProductCard
from bot.core.render import card_details, split_text
from bot.i18n import Lang, variants
from bot.shop.images import product_id_from_image_path

MAX_CAPTION_CHARS = 1024  # Telegram's limit for a photo caption
MEDIA_PREFIX = "/media/"

CHOOSE_TEXT = variants("telegram.choose")
DETAILS_TEXT = variants("card.details")


@dataclass(frozen=True)
class TextPart:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class PhotoPart:
    image: str
    caption: str | None = None
    buttons: tuple[Button, ...] = ()


Part = TextPart | PhotoPart


def plan_parts(message: OutgoingMessage, lang: Lang, max_text_chars: int) -> list[Part]:
    """The Telegram messages one outgoing message becomes, in order: its text (split at the
    limit, the buttons under the last piece), its image, then one photo per product card."""
    parts: list[Part] = []
    chunks = split_text(message.text, max_text_chars) if message.text else []
    if message.buttons and not chunks:
        chunks = [CHOOSE_TEXT[lang]]
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        parts.append(TextPart(chunk, message.buttons if last else ()))
    if message.image:
        parts.append(PhotoPart(message.image))
    for card in message.product_cards:
        parts.append(_card_part(card, lang))
    return parts


def _card_part(card: ProductCard, lang: Lang) -> Part:
    caption = card_caption(card, lang)
    buttons = card.buttons or ((Button(DETAILS_TEXT[lang], card.payload),) if card.payload else ())
    if card.image:
        return PhotoPart(card.image, caption, buttons)
    return TextPart(caption, buttons)


def card_caption(card: ProductCard, lang: Lang) -> str:
    """Name, then price and rating (and a stock warning), within Telegram's caption limit."""
    details = card_details(card, lang, spacious=True)
    caption = card.name if not details else f"{card.name}\n{' · '.join(details)}"
    if card.reason:
        caption += f"\n{card.reason}"
    if len(caption) > MAX_CAPTION_CHARS:
        caption = caption[: MAX_CAPTION_CHARS - 1] + "…"
    return caption


async def keyboard(buttons: Sequence[Button], codec: CallbackCodec) -> InlineKeyboardMarkup | None:
    """One inline button per row; None without buttons."""
    if not buttons:
        return None
    rows = [
        [InlineKeyboardButton(b.title, callback_data=await codec.encode(b.payload))]
        for b in buttons
    ]
    return InlineKeyboardMarkup(rows)


async def photo_input(
    image: str, public_url: str, images: ProductImages, media: MediaStore
) -> str | InputFile | None:
    """What send_photo gets for an image URL: our product pictures as uploaded PNGs
    (Telegram takes no SVG), stored media as uploads, absolute URLs as they are."""
    path = image[len(public_url) :] if public_url and image.startswith(public_url + "/") else image
    if path.startswith("/"):
        if product_id := product_id_from_image_path(path, png=True):
            data = await images.png(product_id)
            if data is None:
                return None
            return InputFile(data, filename=f"{product_id}.png")
        if path.startswith(MEDIA_PREFIX):
            file = media.path_of(path[len(MEDIA_PREFIX) :])
            if file is not None:
                content = await asyncio.to_thread(file.read_bytes)
                return InputFile(content, filename=file.name)
        return public_url + path if public_url else None
    if image.startswith(("http://", "https://")):
        return image
    return None
