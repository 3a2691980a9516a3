"""Reading what customers send: a Bot API update (JSON) becomes an :class:`Inbound` (pure
parsing, no I/O), a customer's photo is fetched into the media store, and an ``Inbound`` becomes
the :class:`~bot.core.message.IncomingMessage` the pipeline stores.

Only private chats are read: the conversation is the customer's, and order details must not
be posted into a group.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from telegram import Bot, PhotoSize, Update
from telegram.error import BadRequest, TelegramError

from adapters.telegram.client import BotClient
from adapters.telegram.settings import CHANNEL
from bot.core.media import MediaError, MediaStore
from bot.core.message import Attachment, IncomingMessage
from bot.i18n import Lang

logger = logging.getLogger(__name__)

# Only these update kinds are asked for; anything else that still arrives is ignored.
ALLOWED_UPDATES = ("message", "callback_query")
# "/start", "/help@ShopBot", "/start ref42": a command is a leading /word, optionally @bot.
COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s|$)")


class MalformedUpdate(ValueError):
    """The body is not a Telegram update we can read; ``field`` names the part at fault."""

    def __init__(self, error: str, field: str) -> None:
        super().__init__(error)
        self.error = error
        self.field = field


class MediaUnavailable(Exception):
    """A photo could not be fetched from Telegram right now (try the update again later)."""


@dataclass(frozen=True)
class Inbound:
    """What a customer sent in one update, before any I/O (download, lookup)."""

    update_id: int
    user_id: int
    chat_id: int
    language_code: str | None = None
    message_id: int | None = None
    text: str | None = None
    command: str | None = None  # "start", "help", ... (lower case, without "/" and "@bot")
    callback_query_id: str | None = None
    callback_data: str | None = None
    photo: PhotoSize | None = None

    @property
    def external_id(self) -> str:
        return str(self.user_id)


def language_hint(language_code: str | None) -> Lang | None:
    """The customer's Telegram app language ("zh-hans", "en-GB") as zh/en, if it is one."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return None


def is_int(value: object) -> TypeGuard[int]:
    """An integer in JSON terms (``True`` is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def parse_update(data: Mapping[str, Any], bot: Bot | None = None) -> Update:
    """A JSON object as a :class:`telegram.Update`; :class:`MalformedUpdate` if it is not one."""
    update_id = data.get("update_id")
    if not is_int(update_id) or update_id < 0:
        raise MalformedUpdate(
            f"`update_id` must be a non-negative integer, got {update_id!r}", "update_id"
        )
    # Only the kinds the assistant reads are parsed: the library is strict about fields of
    # newer Bot API versions, and a poll or reaction it cannot read must still be ignored.
    kept = {k: data[k] for k in ("update_id", *ALLOWED_UPDATES) if k in data}
    try:
        return Update.de_json(kept, bot)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise MalformedUpdate(f"the body is not a Telegram update: {exc}", "body") from None


def read_update(update: Update) -> Inbound | None:
    """The customer's message or button press; None for what the assistant ignores (edited
    messages, channel posts, stickers, polls, group chats, other bots)."""
    if update.callback_query is not None:
        return _read_callback(update)
    message = update.message
    if message is None:
        return None
    chat, user = message.chat, message.from_user
    if chat is None or not is_int(chat.id):
        raise MalformedUpdate("`message.chat.id` must be an integer", "message.chat")
    if chat.type != "private" or user is None or user.is_bot:
        return None
    if not is_int(user.id):
        raise MalformedUpdate("`message.from.id` must be an integer", "message.from")
    text = message.text if message.text is not None else message.caption
    if text is not None and not isinstance(text, str):
        raise MalformedUpdate("`message.text` must be a string", "message.text")
    text = text.strip() if text else None
    command = None
    if message.text is not None and text and (match := COMMAND_RE.match(text)):
        command = match.group(1).lower()
    photo = _largest(message.photo) if message.photo else None
    if not text and photo is None:
        return None
    return Inbound(
        update_id=update.update_id,
        user_id=user.id,
        chat_id=chat.id,
        language_code=user.language_code,
        message_id=message.message_id,
        text=text or None,
        command=command,
        photo=photo,
    )


def _read_callback(update: Update) -> Inbound | None:
    query = update.callback_query
    if query is None:
        return None
    user = query.from_user
    if user is None or not is_int(user.id):
        raise MalformedUpdate("`callback_query.from.id` must be an integer", "callback_query")
    if query.data is None or user.is_bot:
        return None  # a game button, or not a customer
    if not isinstance(query.data, str):
        raise MalformedUpdate("`callback_query.data` must be a string", "callback_query.data")
    chat_id: int = user.id  # a private chat's id is the user's id
    if query.message is not None and query.message.chat is not None:
        if query.message.chat.type != "private":
            return None
        chat_id = query.message.chat.id
    return Inbound(
        update_id=update.update_id,
        user_id=user.id,
        chat_id=chat_id,
        language_code=user.language_code,
        callback_query_id=str(query.id),
        callback_data=query.data,
    )


def _largest(sizes: Sequence[PhotoSize]) -> PhotoSize:
    return max(sizes, key=lambda p: (p.width * p.height, p.file_size or 0))


def incoming(
    inbound: Inbound,
    *,
    text: str | None = None,
    payload: str | None = None,
    attachments: tuple[Attachment, ...] = (),
) -> IncomingMessage:
    """The pipeline's message for ``inbound``; the update's ids and language go in metadata."""
    metadata: dict[str, Any] = {"update_id": inbound.update_id}
    if inbound.message_id is not None:
        metadata["message_id"] = inbound.message_id
    if inbound.language_code:
        metadata["language_code"] = inbound.language_code
    hint = language_hint(inbound.language_code)
    if hint is not None:
        metadata["language_hint"] = hint
    return IncomingMessage(
        channel=CHANNEL,
        external_id=inbound.external_id,
        text=text,
        payload=payload,
        attachments=attachments,
        metadata=metadata,
    )


async def download_photo(
    client: BotClient, media: MediaStore, photo: PhotoSize
) -> Attachment | None:
    """Fetch the photo into the media store; None when it cannot be kept (too large, not
    an image), :class:`MediaUnavailable` when Telegram cannot be reached."""
    if photo.file_size is not None and photo.file_size > media.max_bytes:
        logger.warning("Telegram photo of %d bytes is over the limit", photo.file_size)
        return None
    try:
        bot = await client.get()
        file = await bot.get_file(photo.file_id)
        data = bytes(await file.download_as_bytearray())
    except BadRequest as exc:  # e.g. "file is too big": asking again will not help
        logger.warning("Telegram photo %s cannot be downloaded: %s", photo.file_id, exc)
        return None
    except TelegramError as exc:
        raise MediaUnavailable(
            f"could not download the photo from Telegram ({exc}); deliver the update again"
        ) from exc
    try:
        url, mime = await asyncio.to_thread(media.save, data)
    except MediaError as exc:
        logger.warning("Telegram photo %s not kept: %s", photo.file_id, exc)
        return None
    return Attachment(kind="image", url=url, mime_type=mime)
