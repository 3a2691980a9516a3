"""Photos from the web chat (``POST /api/chat/photo``, multipart): read within the media store's
size limit, checked by their first bytes (JPEG, PNG or WebP, whatever the file is called) and
kept in the media store like Telegram's and WeChat's photos.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import HttpProcessingError

from bot.core.http import RequestError
from bot.core.media import MediaStore, sniff_image_type
from bot.core.message import Attachment

# What the web chat takes: the photo formats every phone camera and browser produce.
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_FIELD_BYTES = 256  # sender_id, identity_hash, message_id
MAX_PARTS = 8
FIELDS = ("sender_id", "identity_hash", "message_id")


@dataclass(frozen=True)
class PhotoForm:
    fields: dict[str, str]
    data: bytes


def _multipart_error(what: str) -> RequestError:
    return RequestError(
        400,
        f"{what}; send multipart/form-data with `sender_id`, `identity_hash` and the photo "
        "as `file`",
        "file",
    )


async def _read_limited(part: BodyPartReader, limit: int, error: RequestError) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := await part.read_chunk(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise error
        chunks.append(chunk)
    return b"".join(chunks)


async def read_photo_form(request: web.Request, *, max_bytes: int) -> PhotoForm:
    """The form's text fields and the file (413 over ``max_bytes``, 400 when missing)."""
    if request.content_type != "multipart/form-data":
        got = request.headers.get("Content-Type", "none")
        raise RequestError(
            400, f"Content-Type must be multipart/form-data, got {got!r}", "Content-Type"
        )
    too_large = RequestError(413, f"`file` is larger than the limit of {max_bytes} bytes", "file")
    # The other fields and the multipart framing take a few hundred bytes.
    if request.content_length is not None and request.content_length > max_bytes + 16 * 1024:
        raise too_large
    fields: dict[str, str] = {}
    data: bytes | None = None
    try:
        reader = await request.multipart()
        parts = 0
        while (part := await reader.next()) is not None:
            parts += 1
            if parts > MAX_PARTS or not isinstance(part, BodyPartReader):
                raise _multipart_error("unexpected parts in the form")
            if part.name == "file":
                if data is not None:
                    raise RequestError(400, "send one `file` per request", "file")
                data = await _read_limited(part, max_bytes, too_large)
            elif part.name in FIELDS:
                raw = await _read_limited(
                    part,
                    MAX_FIELD_BYTES,
                    RequestError(400, f"`{part.name}` is too long", str(part.name)),
                )
                try:
                    fields[str(part.name)] = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise RequestError(
                        400, f"`{part.name}` must be UTF-8 text", str(part.name)
                    ) from None
            else:
                await part.release()
    except (ValueError, AssertionError, HttpProcessingError, asyncio.IncompleteReadError) as exc:
        raise _multipart_error(f"the form could not be read ({exc})") from None
    if data is None or not data:
        raise RequestError(400, "`file` is required: the photo (JPEG, PNG or WebP)", "file")
    return PhotoForm(fields, data)


def check_photo(data: bytes) -> str:
    """The photo's MIME type from its first bytes, or a 415 naming ``file``."""
    mime = sniff_image_type(data)
    if mime not in PHOTO_TYPES:
        raise RequestError(
            415, "`file` must be a JPEG, PNG or WebP image (checked by its content)", "file"
        )
    return mime


async def store_photo(media: MediaStore, data: bytes) -> Attachment:
    """Keep the photo in the media store; the attachment the pipeline passes on to Rasa."""
    check_photo(data)
    url, mime = await asyncio.to_thread(media.save, data)
    return Attachment(kind="image", url=url, mime_type=mime)
