"""Inbound WeChat pushes: from the webhook request to an :class:`IncomingMessage`.

Owns the request's authentication (query parameters, timestamp window, the plain
``signature`` or the safe-mode ``msg_signature`` and ``Encrypt`` envelope), the body read up to
its size limit, XML parsed by defusedxml with DTDs, entities and external references
forbidden, the fields validated into a :class:`WeChatMessage`, and its translation (texts,
numbered-option answers, pictures fetched and stored, subscribe and click events).
Every refusal is a :class:`RequestError`: 400 for bad XML or fields, 403 for authentication,
413 for a body over the limit.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError

import aiohttp
from aiohttp import web
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from adapters.wechat.client import WeChatApi
from adapters.wechat.crypto import (
    AppIdMismatch,
    WeChatCipher,
    WeChatCryptoError,
    signature_matches,
)
from adapters.wechat.media import DownloadError, download, picture_url, read_limited
from bot.core.http import RequestError
from bot.core.media import MediaError, MediaStore
from bot.core.message import EXTERNAL_ID_RE, Attachment, IncomingMessage
from bot.core.render import OptionsMemory
from bot.payloads import parse_payload

logger = logging.getLogger(__name__)

MAX_XML_BYTES = 64 * 1024  # WeChat's messages are a few hundred bytes
# Plain mode signs only the query, so a captured query could be replayed with another body;
# a timestamp window bounds that. WeChat's own retries come within 15 s.
MAX_CLOCK_SKEW_S = 300
MSG_ID_RE = re.compile(r"[0-9]{1,32}")
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")


# --- XML ------------------------------------------------------------------------------------
class XmlError(ValueError):
    """A body that is not a safe, well-formed WeChat XML message."""


def parse_xml(body: bytes) -> dict[str, str]:
    """The text of the root ``<xml>`` element's children, parsed without DTDs or entities.

    A DOCTYPE (and so every entity declaration, internal or external) is refused when the
    parser meets it, before anything in it is expanded or fetched.
    """
    if not body.strip():
        raise XmlError("the body is empty; expected a WeChat XML message <xml>...</xml>")
    try:
        root = SafeElementTree.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise XmlError(
            f"XML with a DTD, entities or external references is refused ({type(exc).__name__})"
        ) from None
    except ParseError as exc:
        raise XmlError(f"the body is not well-formed XML: {exc}") from None
    if root.tag != "xml":
        raise XmlError(f"the root element must be <xml>, got <{root.tag}>")
    return {child.tag: (child.text or "").strip() for child in root if isinstance(child.tag, str)}


@dataclass(frozen=True)
class WeChatMessage:
    """The fields of one WeChat push this adapter uses."""

    account: str  # ToUserName: the official account's id (gh_...)
    openid: str  # FromUserName: the customer
    create_time: int
    msg_type: str
    msg_id: str | None = None
    content: str | None = None
    pic_url: str | None = None
    media_id: str | None = None
    event: str | None = None  # lower case: subscribe, unsubscribe, click, view, ...
    event_key: str | None = None


def parse_message(fields: Mapping[str, str]) -> WeChatMessage:
    """Validate the fields of a decoded message; a :class:`RequestError` names the bad one."""
    for name in ("ToUserName", "FromUserName", "CreateTime", "MsgType"):
        if not fields.get(name):
            raise RequestError(400, f"<{name}> is missing from the WeChat message", name)
    openid = fields["FromUserName"]
    if not EXTERNAL_ID_RE.fullmatch(openid):
        raise RequestError(
            400,
            f"<FromUserName> must be an openid (1-128 letters, digits or ._:@-), got {openid!r}",
            "FromUserName",
        )
    if not TIMESTAMP_RE.fullmatch(fields["CreateTime"]):
        raise RequestError(
            400,
            f"<CreateTime> must be a Unix time in seconds, got {fields['CreateTime']!r}",
            "CreateTime",
        )
    msg_id = fields.get("MsgId") or None
    if msg_id is not None and not MSG_ID_RE.fullmatch(msg_id):
        raise RequestError(400, f"<MsgId> must be digits, got {msg_id!r}", "MsgId")
    event = fields.get("Event") or None
    if event is not None and len(event) > 40:
        raise RequestError(400, f"<Event> is {len(event)} characters; at most 40", "Event")
    return WeChatMessage(
        account=fields["ToUserName"],
        openid=openid,
        create_time=int(fields["CreateTime"]),
        msg_type=fields["MsgType"].lower(),
        msg_id=msg_id,
        content=fields.get("Content"),
        pic_url=fields.get("PicUrl") or None,
        media_id=fields.get("MediaId") or None,
        event=event.lower() if event else None,
        event_key=fields.get("EventKey") or None,
    )


# --- the request ----------------------------------------------------------------------------
def auth_params(query: Mapping[str, str], name: str) -> tuple[str, str, str]:
    """The signature called ``name``, ``timestamp`` and ``nonce`` from the query (403 if not)."""
    values = []
    for key in (name, "timestamp", "nonce"):
        value = query.get(key, "")
        if not value or len(value) > 128:
            raise RequestError(403, f"the `{key}` query parameter is missing or too long", key)
        values.append(value)
    return values[0], values[1], values[2]


def check_timestamp(timestamp: str, now: float) -> None:
    """403 unless ``timestamp`` is within :data:`MAX_CLOCK_SKEW_S` of ``now``."""
    if not TIMESTAMP_RE.fullmatch(timestamp):
        raise RequestError(403, f"`timestamp` must be digits, got {timestamp!r}", "timestamp")
    skew = abs(now - int(timestamp))
    if skew > MAX_CLOCK_SKEW_S:
        raise RequestError(
            403,
            f"`timestamp` is {skew:.0f} s away from the gateway's clock; at most "
            f"{MAX_CLOCK_SKEW_S} s are accepted (a replayed request, or a wrong clock)",
            "timestamp",
        )


async def read_body(request: web.Request, max_bytes: int = MAX_XML_BYTES) -> bytes:
    """The request body; 413 when it is over ``max_bytes``."""
    too_large = RequestError(
        413, f"the body is larger than the limit of {max_bytes} bytes for a WeChat message", "body"
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    return await read_limited(request.content, max_bytes, lambda: too_large)


async def read_message(
    request: web.Request, *, token: str, cipher: WeChatCipher | None, clock: Callable[[], float]
) -> WeChatMessage:
    """The authenticated, decrypted and validated message a ``POST`` carries."""
    query = request.query
    encrypt_type = query.get("encrypt_type", "raw") or "raw"
    if encrypt_type not in ("raw", "aes"):
        raise RequestError(
            400, f"`encrypt_type` must be raw or aes, got {encrypt_type!r}", "encrypt_type"
        )
    name = "msg_signature" if encrypt_type == "aes" else "signature"
    signature, timestamp, nonce = auth_params(query, name)
    check_timestamp(timestamp, clock())
    if encrypt_type == "raw":
        if cipher is not None:
            raise RequestError(
                403,
                "this gateway runs in safe mode (WECHAT_AES_KEY is set) and refuses plain "
                "messages; set the message encryption mode to safe mode on the WeChat "
                "admin page",
                "encrypt_type",
            )
        if not signature_matches(signature, token, timestamp, nonce):
            raise RequestError(
                403, "the signature does not match (check WECHAT_TOKEN)", "signature"
            )
    elif cipher is None:
        raise RequestError(
            400,
            "an encrypted (safe mode) message arrived but WECHAT_AES_KEY is not set; set "
            "WECHAT_AES_KEY and WECHAT_APP_ID or switch the account to plain mode",
            "encrypt_type",
        )
    body = await read_body(request)
    try:
        fields = parse_xml(body)
        if cipher is not None:
            fields = _open_envelope(fields, cipher, token, signature, timestamp, nonce)
    except XmlError as exc:
        raise RequestError(400, str(exc), "body") from None
    return parse_message(fields)


def _open_envelope(
    outer: Mapping[str, str],
    cipher: WeChatCipher,
    token: str,
    signature: str,
    timestamp: str,
    nonce: str,
) -> dict[str, str]:
    """The fields inside a safe-mode message, once ``msg_signature`` covers its ciphertext."""
    encrypted = outer.get("Encrypt", "")
    if not encrypted:
        raise RequestError(400, "<Encrypt> is missing from the safe-mode message", "Encrypt")
    if not signature_matches(signature, token, timestamp, nonce, encrypted):
        raise RequestError(
            403, "the msg_signature does not match (check WECHAT_TOKEN)", "msg_signature"
        )
    try:
        inner = cipher.decrypt(encrypted)
    except AppIdMismatch as exc:
        raise RequestError(403, str(exc), "Encrypt") from None
    except WeChatCryptoError as exc:
        raise RequestError(400, str(exc), "Encrypt") from None
    return parse_xml(inner)


# --- translation ----------------------------------------------------------------------------
async def to_incoming(
    message: WeChatMessage,
    *,
    channel: str,
    max_text_length: int,
    options: OptionsMemory,
    picture: Callable[[WeChatMessage], Awaitable[Attachment | None]],
) -> tuple[IncomingMessage, str] | None:
    """The internal message and its dedupe key; None for what is not answered.

    A text that is an option's number becomes that option's payload; ``picture`` fetches
    the picture of an image message.
    """

    def build(
        text: str | None = None,
        payload: str | None = None,
        attachments: tuple[Attachment, ...] = (),
    ) -> IncomingMessage:
        return IncomingMessage(
            channel=channel,
            external_id=message.openid,
            text=text,
            payload=payload,
            attachments=attachments,
            metadata={"msg_type": message.msg_type},
        )

    # WeChat repeats a message with the same MsgId; events have none.
    msg_key = f"msg:{message.msg_id or f'{message.openid}:{message.create_time}'}"
    if message.msg_type == "text":
        # WeChat caps texts at 2048 bytes; the cut only guards the gateway's own limit.
        text = (message.content or "").strip()[:max_text_length]
        if not text:
            return None
        payload = await options.resolve(f"{channel}:{message.openid}", text)
        if payload is not None:
            return build(payload=payload), msg_key
        return build(text=text), msg_key
    if message.msg_type == "image":
        # Without a picture (refused or not fetched) the message still goes on: the answer to
        # the bot's question, with no photo in the metadata.
        attachment = await picture(message)
        if attachment is None:
            return build(payload="/inform"), msg_key
        return build(attachments=(attachment,)), msg_key
    if message.msg_type != "event" or message.event is None:
        return None  # voice, video, location, link: not handled
    event_key = f"event:{message.openid}:{message.create_time}:{message.event}"
    if message.event == "subscribe":
        return build(payload="/greet"), event_key
    if message.event == "click":
        key = (message.event_key or "").strip()[:max_text_length]
        if not key:
            return None
        if parse_payload(key) is not None:  # a menu key that is a button payload
            return build(payload=key), event_key
        return build(text=key), event_key
    return None  # unsubscribe, VIEW, SCAN, LOCATION, ...


async def fetch_picture(
    message: WeChatMessage,
    *,
    session: aiohttp.ClientSession | None,
    api: WeChatApi | None,
    store: MediaStore | None,
    max_bytes: int,
) -> Attachment | None:
    """Fetch and store the customer's picture (PicUrl, else MediaId through ``api``); its
    WeChat URL if that fails. A PicUrl off WeChat's picture hosts is never fetched nor passed
    on (:func:`adapters.wechat.media.picture_url`); the MediaId is tried instead."""
    pic_url = picture_url(message.pic_url)
    if message.pic_url and pic_url is None:
        logger.warning(
            "WeChat picture from %s: PicUrl refused (not a WeChat picture host over https): %.200r",
            message.openid,
            message.pic_url,
        )
    data: bytes | None = None
    if pic_url is not None and session is not None:
        try:
            data, _ = await download(session, pic_url, max_bytes)
        except DownloadError as exc:
            logger.warning("WeChat picture from PicUrl not fetched: %s", exc)
    if data is None and message.media_id and api is not None:
        try:
            data = await api.download_media(message.media_id, max_bytes)
        except DownloadError as exc:
            logger.warning("WeChat picture %s not fetched: %s", message.media_id, exc)
    if data is not None and store is not None:
        try:
            url, mime = await asyncio.to_thread(store.save, data)
        except MediaError as exc:
            logger.warning("WeChat picture from %s not stored: %s", message.openid, exc)
        else:
            return Attachment(kind="image", url=url, mime_type=mime)
    if pic_url is not None:
        return Attachment(kind="image", url=pic_url)  # WeChat keeps it for a few days
    return None
