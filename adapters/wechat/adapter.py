"""WeChat official-account webhook (``GET``/``POST /webhooks/wechat``) and its outbox sender.

Two modes, as configured on the WeChat admin page:

- plain: ``signature`` in the query is sha1 over the sorted token, ``timestamp`` and ``nonce``;
- safe (``encrypt_type=aes``, needs ``WECHAT_AES_KEY`` and ``WECHAT_APP_ID``): the body carries
  ``Encrypt``, AES-256-CBC with the 32-byte key decoded from the 43-character EncodingAESKey
  (IV = the key's first 16 bytes, PKCS#7 padding to 32-byte blocks, plaintext = 16 random
  bytes + 4-byte big-endian length + XML + app id); ``msg_signature`` also covers the
  ciphertext. A gateway with an AES key refuses plain messages, which it could not
  authenticate (the plain ``signature`` does not cover the body).

XML is parsed by defusedxml with DTDs, entities and external references forbidden. An answer
ready within ``channels.wechat_passive_timeout_s`` goes back as one passive text reply
(encrypted in safe mode); a later answer, and whatever does not fit into
``channels.wechat_max_text_bytes``, goes through the customer-service message API.

WeChat repeats a message it got no answer to within 5 s (same ``MsgId``): it is processed
once; the repeat gets whatever of the answer is still unsent, else ``success``. Buttons become
numbered options remembered per conversation, so a later "2" sends the second one's payload.
Without ``WECHAT_APP_SECRET`` the channel runs passive-only (a warning at start-up): late
answers are marked failed in the outbox instead of being sent.

HTTP answers: 200 ``success`` or the passive XML; 400 (JSON error) for malformed or hostile XML
and bad fields; 403 (JSON error) for every authentication failure (missing or wrong signature,
stale timestamp, another app's message, a plain message in safe mode); 413 for a body over
the size limit.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import struct
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal
from xml.etree.ElementTree import ParseError

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from adapters.web.adapter import PAYLOAD_RE
from bot.config import Config, ConfigError
from bot.core.language import Lang
from bot.core.media import MediaError, MediaStore
from bot.core.message import EXTERNAL_ID_RE, Attachment, Button, IncomingMessage, OutgoingMessage
from bot.core.outbox import DeliveryError, NewMessage, OutboxItem
from bot.core.pipeline import Pipeline, Reply
from bot.core.render import OptionsMemory, as_plain_text, split_text, utf8_len
from bot.gateway.context import ENGINE_KEY, MEDIA_KEY, PIPELINE_KEY, SENDERS_KEY
from bot.gateway.http import RequestError

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/wechat"
DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
SUCCESS = "success"  # what WeChat expects when there is no passive reply
MAX_XML_BYTES = 64 * 1024  # WeChat's messages are a few hundred bytes
# Plain mode signs only the query, so a captured query could be replayed with another body;
# a timestamp window bounds that. WeChat's own retries come within 15 s.
MAX_CLOCK_SKEW_S = 300
MIN_WAIT_S = 0.2  # less time than this left for a passive reply: answer "success" at once
API_TIMEOUT_S = 10.0
DOWNLOAD_TIMEOUT_S = 2.5  # a picture is fetched inside WeChat's 5 s, before the answer
MAX_ECHOSTR_LENGTH = 256
AES_KEY_LENGTH = 43
AES_BLOCK_BITS = 256  # WeChat pads to 32-byte blocks, not AES's 16
RANDOM_PREFIX_BYTES = 16

# errcodes of the access token: refresh it and try once more.
TOKEN_ERRCODES = frozenset({40001, 40014, 42001})
# errcodes retrying cannot fix (until the customer writes again, which makes a new message).
PERMANENT_ERRCODES: dict[int, str] = {
    40003: "the openid is not a follower of this account",
    43004: "the customer does not follow the account",
    43019: "the customer is on the account's blacklist",
    45015: "the customer has not written within the last 48 hours",
    45047: "too many messages since the customer last wrote",
    48001: "the account has no permission for the customer-service message API",
}
RATE_LIMIT_ERRCODES: dict[int, float] = {45009: 3600.0, 45011: 60.0}  # errcode -> retry after
MSG_ID_RE = re.compile(r"[0-9]{1,32}")
TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
# Characters XML 1.0 cannot carry at all (even in CDATA); dropped from replies.
_XML_ILLEGAL_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Mode = Literal["plain", "aes"]


# --- signatures and AES ---------------------------------------------------------------------
def wechat_signature(*parts: str) -> str:
    """sha1 hex of the parts sorted and joined (``signature`` and ``msg_signature``)."""
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time comparison of a signature we computed with one a request carries."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def decode_aes_key(value: str) -> bytes:
    """The 32-byte AES key from WeChat's 43-character EncodingAESKey (base64 without '=')."""
    if len(value) != AES_KEY_LENGTH:
        raise ConfigError(
            f"`WECHAT_AES_KEY` must be the {AES_KEY_LENGTH}-character EncodingAESKey from the "
            f"WeChat admin page (Settings > Basic configuration), got {len(value)} characters"
        )
    try:
        key = base64.b64decode(value + "=", validate=True)
    except binascii.Error:
        raise ConfigError(
            "`WECHAT_AES_KEY` must hold only letters, digits, '+' and '/' (base64); "
            "copy the EncodingAESKey from the WeChat admin page again"
        ) from None
    if len(key) != 32:  # pragma: no cover - 43 base64 characters always give 32 bytes
        raise ConfigError(f"`WECHAT_AES_KEY` decodes to {len(key)} bytes, expected 32")
    return key


class WeChatCryptoError(ValueError):
    """An ``Encrypt`` value that does not decrypt to a WeChat message."""


class AppIdMismatch(WeChatCryptoError):
    """A message encrypted for another official account."""


class WeChatCipher:
    """WeChat's message encryption (AES-256-CBC, IV = key[:16], PKCS#7 to 32 bytes)."""

    def __init__(self, key: bytes, app_id: str) -> None:
        if len(key) != 32:
            raise ValueError(f"the AES key must be 32 bytes, got {len(key)}")
        if not app_id:
            raise ValueError("app_id must not be empty")
        self._key = key
        self._app_id = app_id.encode("utf-8")

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, xml: bytes, *, random_prefix: bytes | None = None) -> str:
        """Base64 ciphertext of ``xml`` for this app (``random_prefix`` only for tests)."""
        prefix = random_prefix if random_prefix is not None else os.urandom(RANDOM_PREFIX_BYTES)
        if len(prefix) != RANDOM_PREFIX_BYTES:
            raise ValueError(f"random_prefix must be {RANDOM_PREFIX_BYTES} bytes")
        plain = prefix + struct.pack(">I", len(xml)) + xml + self._app_id
        padder = padding.PKCS7(AES_BLOCK_BITS).padder()
        padded = padder.update(plain) + padder.finalize()
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")

    def decrypt(self, encrypted: str) -> bytes:
        """The XML inside ``encrypted``; :class:`AppIdMismatch` if it is for another app."""
        try:
            data = base64.b64decode(encrypted, validate=True)
        except (binascii.Error, ValueError):
            raise WeChatCryptoError("`Encrypt` is not base64") from None
        if not data or len(data) % 16:
            raise WeChatCryptoError(
                f"`Encrypt` holds {len(data)} bytes; AES ciphertext is a non-empty multiple of 16"
            )
        decryptor = self._cipher().decryptor()
        padded = decryptor.update(data) + decryptor.finalize()
        unpadder = padding.PKCS7(AES_BLOCK_BITS).unpadder()
        try:
            plain = unpadder.update(padded) + unpadder.finalize()
        except ValueError:
            raise WeChatCryptoError(
                "`Encrypt` does not decrypt with this key (bad padding); check WECHAT_AES_KEY"
            ) from None
        body = plain[RANDOM_PREFIX_BYTES:]
        if len(body) < 4:
            raise WeChatCryptoError("the decrypted message is too short")
        (length,) = struct.unpack(">I", body[:4])
        if length > len(body) - 4:
            raise WeChatCryptoError(
                f"the decrypted message claims {length} bytes of XML but holds {len(body) - 4}"
            )
        xml, app_id = body[4 : 4 + length], body[4 + length :]
        if not hmac.compare_digest(app_id, self._app_id):
            raise AppIdMismatch("the message is encrypted for another app id; check WECHAT_APP_ID")
        return xml


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


def _cdata(text: str) -> str:
    clean = _XML_ILLEGAL_RE.sub("", text)
    # "]]>" would end the section early: split it across two sections.
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_text_xml(*, to_user: str, from_user: str, content: str, create_time: int) -> str:
    """A passive text reply (``to_user`` is the customer's openid, ``from_user`` the account)."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def encrypted_reply_xml(*, encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
    return (
        f"<xml><Encrypt>{_cdata(encrypt)}</Encrypt>"
        f"<MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp>"
        f"<Nonce>{_cdata(nonce)}</Nonce></xml>"
    )


# --- inbound messages -----------------------------------------------------------------------
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


# --- the platform's API ---------------------------------------------------------------------
class DownloadError(Exception):
    """A picture could not be fetched."""


def _redact(text: str, *secrets_: str | None) -> str:
    for value in secrets_:
        if value:
            text = text.replace(value, "***")
    return text


async def download(
    session: aiohttp.ClientSession,
    url: str,
    max_bytes: int,
    *,
    params: Mapping[str, str] | None = None,
    redact: Sequence[str | None] = (),
) -> tuple[bytes, str]:
    """A file's bytes and Content-Type, at most ``max_bytes`` (a picture a customer sent)."""
    try:
        async with session.get(
            url,
            params=params,
            timeout=aiohttp.ClientTimeout(total=DOWNLOAD_TIMEOUT_S),
            max_redirects=3,
        ) as resp:
            if resp.status != 200:
                raise DownloadError(f"HTTP {resp.status} for the picture")
            if resp.content_length is not None and resp.content_length > max_bytes:
                raise DownloadError(
                    f"the picture is {resp.content_length} bytes; the limit is {max_bytes}"
                )
            chunks, size = [], 0
            async for chunk in resp.content.iter_chunked(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise DownloadError(f"the picture is over the limit of {max_bytes} bytes")
                chunks.append(chunk)
            return b"".join(chunks), resp.content_type
    except (aiohttp.ClientError, TimeoutError) as exc:
        detail = _redact(f"{type(exc).__name__}: {exc}", *redact)
        raise DownloadError(f"cannot fetch the picture: {detail}") from None


class WeChatApi:
    """Access token, customer-service messages and media downloads on ``base_url``.

    The token is cached until shortly before ``expires_in`` and fetched again when WeChat
    says it expired or is invalid (40001/40014/42001), after which the call is tried once more.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        app_id: str,
        app_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self.clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()

    async def access_token(self) -> str:
        """A valid access token, from the cache or fetched (one fetch at a time)."""
        async with self._token_lock:
            if self._token is None or self.clock() >= self._token_until:
                await self._fetch_token()
            if self._token is None:  # pragma: no cover - _fetch_token sets it or raises
                raise DeliveryError("WeChat returned no access token")
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (WeChat refused it); a newer one fetched meanwhile is kept."""
        if self._token == token:
            self._token = None

    async def _fetch_token(self) -> None:
        data = await self._json(
            "GET",
            "/cgi-bin/token",
            params={
                "grant_type": "client_credential",
                "appid": self.app_id,
                "secret": self._secret,
            },
        )
        token, expires_in = data.get("access_token"), data.get("expires_in")
        if not isinstance(token, str) or not token:
            code = data.get("errcode")
            raise DeliveryError(
                f"WeChat refused the access token request (errcode {code}: "
                f"{data.get('errmsg', '')}); check WECHAT_APP_ID, WECHAT_APP_SECRET and the "
                "account's IP whitelist",
                retry_after=60.0 if code not in (-1, None) else None,
            )
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 7200.0
        # Refresh a little early (5 minutes of a 2-hour token) so no call uses a dying one.
        self._token = token
        self._token_until = self.clock() + lifetime - min(300.0, lifetime * 0.1)

    async def send_text(self, openid: str, content: str) -> None:
        """One customer-service text message; :class:`DeliveryError` when WeChat refuses."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": content}}
        for attempt in (1, 2):
            token = await self.access_token()
            data = await self._json(
                "POST",
                "/cgi-bin/message/custom/send",
                params={"access_token": token},
                body=body,
            )
            code = data.get("errcode", 0)
            if code == 0:
                return
            if code in TOKEN_ERRCODES and attempt == 1:
                logger.info("WeChat access token refused (errcode %s); fetching a new one", code)
                self.invalidate(token)
                continue
            raise _send_error(code, data.get("errmsg"))

    async def download_media(self, media_id: str, max_bytes: int) -> bytes:
        """A temporary media file by its MediaId (``/cgi-bin/media/get``)."""
        for attempt in (1, 2):
            try:
                token = await self.access_token()
            except DeliveryError as exc:
                raise DownloadError(str(exc)) from None
            url = f"{self.base_url}/cgi-bin/media/get"
            data, content_type = await download(
                self.session,
                url,
                max_bytes,
                params={"access_token": token, "media_id": media_id},
                redact=(self._secret, token),
            )
            if not content_type.startswith(("application/json", "text/")):
                return data
            try:
                error = json.loads(data)
            except ValueError:
                raise DownloadError(f"the media API answered {content_type}, not a file") from None
            code = error.get("errcode") if isinstance(error, dict) else None
            if code in TOKEN_ERRCODES and attempt == 1:
                self.invalidate(token)
                continue
            raise DownloadError(f"the media API refused media {media_id!r} (errcode {code})")
        raise DownloadError("the media API kept refusing the access token")  # pragma: no cover

    async def _json(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str],
        body: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        # WeChat counts the UTF-8 bytes of the content; \u escapes would inflate them.
        data = json.dumps(body, ensure_ascii=False).encode("utf-8") if body is not None else None
        headers = {"Content-Type": "application/json; charset=utf-8"} if data else None
        try:
            async with self.session.request(
                method, url, params=params, data=data, headers=headers
            ) as resp:
                raw = await resp.read()
                if resp.status == 429:
                    raise DeliveryError(
                        f"WeChat rate-limited {path} (HTTP 429)",
                        retry_after=_retry_after(resp.headers.get("Retry-After")),
                    )
                if resp.status != 200:
                    raise DeliveryError(f"WeChat answered HTTP {resp.status} on {path}")
        except (aiohttp.ClientError, TimeoutError) as exc:
            detail = _redact(f"{type(exc).__name__}: {exc}", self._secret, self._token)
            raise DeliveryError(f"cannot reach the WeChat API at {url}: {detail}") from None
        try:
            answer = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise DeliveryError(f"WeChat answered {path} with something that is not JSON") from None
        if not isinstance(answer, dict):
            raise DeliveryError(f"WeChat answered {path} with JSON that is not an object")
        return answer


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _send_error(code: object, errmsg: object) -> DeliveryError:
    """The DeliveryError for a customer-service errcode: permanent, rate-limited or retried."""
    reason = f"WeChat refused the message (errcode {code}: {errmsg or ''})"
    if isinstance(code, int) and code in PERMANENT_ERRCODES:
        return DeliveryError(f"{reason}: {PERMANENT_ERRCODES[code]}", permanent=True)
    if isinstance(code, int) and code in RATE_LIMIT_ERRCODES:
        return DeliveryError(f"{reason}: API quota", retry_after=RATE_LIMIT_ERRCODES[code])
    return DeliveryError(reason)  # -1 (system busy) and anything unknown: try again later


# --- rendering ------------------------------------------------------------------------------
def ready_messages(reply: Reply) -> tuple[OutgoingMessage, ...]:
    """The replies to answer passively with.

    On a timeout the pipeline hands back a holding text for the web chat when nothing was
    ready; WeChat answers ``success`` instead and the answer follows through the sender.
    """
    return () if reply.stand_in else reply.messages


@dataclass(frozen=True)
class Numbering:
    """Where a message's numbered options start within its answer (one inbox message's
    replies share one numbering, so "3" is the third option shown in the whole answer)."""

    start: int = 1
    before: tuple[Button, ...] = ()  # the options of the answer's earlier messages
    first: bool = True  # the answer's first message


# --- the adapter ----------------------------------------------------------------------------
class WeChatAdapter:
    """WeChat official-account channel: webhook, passive replies and the outbox sender."""

    channel = "wechat"

    def __init__(self, cfg: Config, *, clock: Callable[[], float] = time.time) -> None:
        secrets_, channels = cfg.secrets, cfg.channels
        if not secrets_.wechat_token:
            raise ConfigError(
                "the WeChat channel needs the environment variable `WECHAT_TOKEN` (the Token "
                "from the WeChat admin page, Settings > Basic configuration); set it or turn "
                "`channels.wechat` off"
            )
        self.token = secrets_.wechat_token
        self.cipher: WeChatCipher | None = None
        if secrets_.wechat_aes_key:
            if not secrets_.wechat_app_id:
                raise ConfigError(
                    "`WECHAT_AES_KEY` is set (safe mode) but `WECHAT_APP_ID` is not: encrypted "
                    "messages carry the app id, so set WECHAT_APP_ID to the account's AppID"
                )
            self.cipher = WeChatCipher(
                decode_aes_key(secrets_.wechat_aes_key), secrets_.wechat_app_id
            )
        if secrets_.wechat_app_secret and not secrets_.wechat_app_id:
            raise ConfigError(
                "`WECHAT_APP_SECRET` is set but `WECHAT_APP_ID` is not; the customer-service "
                "API needs both (the AppID and AppSecret from the WeChat admin page)"
            )
        self.credentials: tuple[str, str] | None = None
        if secrets_.wechat_app_id and secrets_.wechat_app_secret:
            self.credentials = (secrets_.wechat_app_id, secrets_.wechat_app_secret)
        base = channels.wechat_api_base_url.strip() or DEFAULT_API_BASE_URL
        if not base.startswith(("http://", "https://")):
            raise ConfigError(
                "`channels.wechat_api_base_url` (env WECHAT_API_BASE_URL) must be an http(s) "
                f"URL such as {DEFAULT_API_BASE_URL}, got {base!r}"
            )
        self.api_base_url = base.rstrip("/")
        if not 0 <= channels.wechat_passive_timeout_s < 5:
            raise ConfigError(
                "`channels.wechat_passive_timeout_s` must be at least 0 and below 5 (WeChat "
                f"waits 5 s for a reply), got {channels.wechat_passive_timeout_s}"
            )
        self.passive_timeout_s = channels.wechat_passive_timeout_s
        if channels.wechat_max_text_bytes < 64:
            raise ConfigError(
                "`channels.wechat_max_text_bytes` must be at least 64 (WeChat allows 2048), "
                f"got {channels.wechat_max_text_bytes}"
            )
        self.max_text_bytes = channels.wechat_max_text_bytes
        self.public_url = channels.public_url.rstrip("/")
        self.max_text_length = cfg.gateway.max_text_length
        self.max_media_bytes = channels.max_media_bytes
        self.clock = clock
        # Set by the start-up hook.
        self._session: aiohttp.ClientSession | None = None
        self._api: WeChatApi | None = None
        self._pipeline: Pipeline | None = None
        self._options: OptionsMemory | None = None
        self._media: MediaStore | None = None
        # Outbox id -> parts already sent, so a retry after a partial failure sends the rest.
        self._progress: dict[int, int] = {}

    @property
    def mode(self) -> Mode:
        return "aes" if self.cipher is not None else "plain"

    def setup(self, app: web.Application) -> None:
        app.router.add_get(WEBHOOK_PATH, self.verify)
        app.router.add_post(WEBHOOK_PATH, self.receive)
        app[SENDERS_KEY][self.channel] = self
        app.cleanup_ctx.append(self._lifecycle)

    async def _lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        self._pipeline = app[PIPELINE_KEY]
        self._options = OptionsMemory(app[ENGINE_KEY])
        self._media = app[MEDIA_KEY]
        session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=API_TIMEOUT_S))
        self._session = session
        if self.credentials is not None:
            app_id, app_secret = self.credentials
            self._api = WeChatApi(session, self.api_base_url, app_id, app_secret)
        else:
            logger.warning(
                "WeChat: WECHAT_APP_ID and WECHAT_APP_SECRET are not both set, so only passive "
                "replies work: answers later than %.1f s, parts beyond %d bytes and staff "
                "messages cannot be delivered (they are marked failed in the outbox)",
                self.passive_timeout_s,
                self.max_text_bytes,
            )
        logger.info("WeChat channel on %s (%s mode)", WEBHOOK_PATH, self.mode)
        try:
            yield
        finally:
            self._api = None
            self._session = None
            await session.close()

    # --- webhook ----------------------------------------------------------------------------
    def _auth_params(self, query: Mapping[str, str], name: str) -> tuple[str, str, str]:
        values = []
        for key in (name, "timestamp", "nonce"):
            value = query.get(key, "")
            if not value or len(value) > 128:
                raise RequestError(403, f"the `{key}` query parameter is missing or too long", key)
            values.append(value)
        return values[0], values[1], values[2]

    async def verify(self, request: web.Request) -> web.Response:
        """``GET``: WeChat's URL check; echo ``echostr`` when the signature is right."""
        signature, timestamp, nonce = self._auth_params(request.query, "signature")
        if not _same(wechat_signature(self.token, timestamp, nonce), signature):
            logger.warning("WeChat URL check with a wrong signature (check WECHAT_TOKEN)")
            raise RequestError(
                403,
                "the signature does not match; check that WECHAT_TOKEN equals the "
                "Token on the WeChat admin page",
                "signature",
            )
        echostr = request.query.get("echostr", "")
        if not echostr or len(echostr) > MAX_ECHOSTR_LENGTH or not echostr.isprintable():
            raise RequestError(
                400, f"`echostr` must be 1-{MAX_ECHOSTR_LENGTH} printable characters", "echostr"
            )
        return web.Response(
            text=echostr, content_type="text/plain", headers={"X-Content-Type-Options": "nosniff"}
        )

    async def receive(self, request: web.Request) -> web.Response:
        """``POST``: one message or event; answers ``success`` or a passive reply."""
        started = time.monotonic()
        query = request.query
        encrypt_type = query.get("encrypt_type", "raw") or "raw"
        if encrypt_type not in ("raw", "aes"):
            raise RequestError(
                400, f"`encrypt_type` must be raw or aes, got {encrypt_type!r}", "encrypt_type"
            )
        if encrypt_type == "aes":
            signature, timestamp, nonce = self._auth_params(query, "msg_signature")
        else:
            signature, timestamp, nonce = self._auth_params(query, "signature")
        self._check_timestamp(timestamp)
        if encrypt_type == "raw":
            if self.cipher is not None:
                raise RequestError(
                    403,
                    "this gateway runs in safe mode (WECHAT_AES_KEY is set) and refuses plain "
                    "messages; set the message encryption mode to safe mode on the WeChat "
                    "admin page",
                    "encrypt_type",
                )
            if not _same(wechat_signature(self.token, timestamp, nonce), signature):
                raise RequestError(
                    403, "the signature does not match (check WECHAT_TOKEN)", "signature"
                )
        elif self.cipher is None:
            raise RequestError(
                400,
                "an encrypted (safe mode) message arrived but WECHAT_AES_KEY is not set; set "
                "WECHAT_AES_KEY and WECHAT_APP_ID or switch the account to plain mode",
                "encrypt_type",
            )
        body = await _read_body(request)
        try:
            fields = parse_xml(body)
            if self.cipher is not None:
                fields = self._decrypt(fields, signature, timestamp, nonce)
        except XmlError as exc:
            raise RequestError(400, str(exc), "body") from None
        message = parse_message(fields)
        content = await self._answer(message, started)
        return self._respond(message, content)

    def _check_timestamp(self, timestamp: str) -> None:
        if not TIMESTAMP_RE.fullmatch(timestamp):
            raise RequestError(403, f"`timestamp` must be digits, got {timestamp!r}", "timestamp")
        skew = abs(self.clock() - int(timestamp))
        if skew > MAX_CLOCK_SKEW_S:
            raise RequestError(
                403,
                f"`timestamp` is {skew:.0f} s away from the gateway's clock; at most "
                f"{MAX_CLOCK_SKEW_S} s are accepted (a replayed request, or a wrong clock)",
                "timestamp",
            )

    def _decrypt(
        self, outer: Mapping[str, str], signature: str, timestamp: str, nonce: str
    ) -> dict[str, str]:
        if self.cipher is None:  # pragma: no cover - checked by the caller
            raise RuntimeError("not in safe mode")
        encrypted = outer.get("Encrypt", "")
        if not encrypted:
            raise RequestError(400, "<Encrypt> is missing from the safe-mode message", "Encrypt")
        if not _same(wechat_signature(self.token, timestamp, nonce, encrypted), signature):
            raise RequestError(
                403, "the msg_signature does not match (check WECHAT_TOKEN)", "msg_signature"
            )
        try:
            inner = self.cipher.decrypt(encrypted)
        except AppIdMismatch as exc:
            raise RequestError(403, str(exc), "Encrypt") from None
        except WeChatCryptoError as exc:
            raise RequestError(400, str(exc), "Encrypt") from None
        return parse_xml(inner)

    def _respond(self, message: WeChatMessage, content: str | None) -> web.Response:
        if content is None:
            return web.Response(text=SUCCESS, content_type="text/plain")
        xml = passive_text_xml(
            to_user=message.openid,
            from_user=message.account,
            content=content,
            create_time=int(self.clock()),
        )
        if self.cipher is not None:
            encrypt = self.cipher.encrypt(xml.encode("utf-8"))
            timestamp, nonce = str(int(self.clock())), str(secrets.randbelow(10**10))
            xml = encrypted_reply_xml(
                encrypt=encrypt,
                signature=wechat_signature(self.token, timestamp, nonce, encrypt),
                timestamp=timestamp,
                nonce=nonce,
            )
        return web.Response(text=xml, content_type="application/xml", charset="utf-8")

    # --- translation ------------------------------------------------------------------------
    async def _incoming(self, message: WeChatMessage) -> tuple[IncomingMessage, str] | None:
        """The internal message and its dedupe key; None for what is not answered."""
        conversation_id = f"{self.channel}:{message.openid}"
        metadata = {"msg_type": message.msg_type}

        def build(
            text: str | None = None,
            payload: str | None = None,
            attachments: tuple[Attachment, ...] = (),
        ) -> IncomingMessage:
            return IncomingMessage(
                channel=self.channel,
                external_id=message.openid,
                text=text,
                payload=payload,
                attachments=attachments,
                metadata=metadata,
            )

        # WeChat repeats a message with the same MsgId; events have none.
        msg_key = f"msg:{message.msg_id or f'{message.openid}:{message.create_time}'}"
        if message.msg_type == "text":
            # WeChat caps texts at 2048 bytes; the cut only guards the gateway's own limit.
            text = (message.content or "").strip()[: self.max_text_length]
            if not text:
                return None
            payload = await self._require_options().resolve(conversation_id, text)
            if payload is not None:
                return build(payload=payload), msg_key
            return build(text=text), msg_key
        if message.msg_type == "image":
            picture = await self._picture(message)
            return (build(attachments=(picture,)), msg_key) if picture is not None else None
        if message.msg_type != "event" or message.event is None:
            return None  # voice, video, location, link: not handled
        event_key = f"event:{message.openid}:{message.create_time}:{message.event}"
        if message.event == "subscribe":
            return build(payload="/greet"), event_key
        if message.event == "click":
            key = (message.event_key or "").strip()[: self.max_text_length]
            if not key:
                return None
            if PAYLOAD_RE.fullmatch(key):
                return build(payload=key), event_key
            return build(text=key), event_key
        return None  # unsubscribe, VIEW, SCAN, LOCATION, ...

    async def _picture(self, message: WeChatMessage) -> Attachment | None:
        """Fetch and store the customer's picture; its WeChat URL if that fails."""
        pic_url = (
            message.pic_url if (message.pic_url or "").startswith(("http://", "https://")) else None
        )
        data: bytes | None = None
        session = self._session
        if pic_url is not None and session is not None:
            try:
                data, _ = await download(session, pic_url, self.max_media_bytes)
            except DownloadError as exc:
                logger.warning("WeChat picture from PicUrl not fetched: %s", exc)
        if data is None and message.media_id and self._api is not None:
            try:
                data = await self._api.download_media(message.media_id, self.max_media_bytes)
            except DownloadError as exc:
                logger.warning("WeChat picture %s not fetched: %s", message.media_id, exc)
        if data is not None and self._media is not None:
            try:
                url, mime = await asyncio.to_thread(self._media.save, data)
            except MediaError as exc:
                logger.warning("WeChat picture from %s not stored: %s", message.openid, exc)
            else:
                return Attachment(kind="image", url=url, mime_type=mime)
        if pic_url is not None:
            return Attachment(kind="image", url=pic_url)  # WeChat keeps it for a few days
        return None

    async def _answer(self, message: WeChatMessage, started: float) -> str | None:
        """Submit the message and return the passive reply's text, or None for ``success``."""
        translated = await self._incoming(message)
        if translated is None:
            return None
        incoming, dedupe_key = translated
        pipeline = self._require_pipeline()
        remaining = self.passive_timeout_s - (time.monotonic() - started)
        address = {"openid": message.openid}
        reply = await pipeline.submit(
            incoming,
            address=address,
            dedupe_key=dedupe_key,
            wait_s=remaining if remaining >= MIN_WAIT_S else None,
        )
        numbering = Numbering()
        update_options = reply.outcome != "held"  # a holding text replaces no options
        if reply.outcome == "duplicate":
            # WeChat retries only when it did not get the first answer in time: hand out
            # what is still unsent (now, not again later); what went out already is not
            # repeated.
            items = await pipeline.outbox.claim_inline(reply.inbox_id)
            if not items:
                return None
            messages: Sequence[OutgoingMessage] = [i.message for i in items]
            lang: Lang = items[0].lang
            numbering = await self._numbering(items[0])
            update_options = any(i.kind == "reply" for i in items)
        else:
            messages = ready_messages(reply)
            lang = reply.language or "zh"  # only unset when nothing was processed
        if not messages:
            return None
        text, options = self._render(messages, lang, numbering.start)
        if update_options:
            await self._remember(incoming.conversation_id, numbering, options)
        parts = split_text(text, self.max_text_bytes, utf8_len) if text.strip() else []
        if not parts:
            return None
        if len(parts) > 1:
            # The rest goes out after the passive reply, through the customer-service API.
            await pipeline.outbox.add(
                [
                    NewMessage(
                        incoming.conversation_id,
                        self.channel,
                        message.openid,
                        OutgoingMessage(text=part),
                        "reply",
                        {**address, "lang": lang},
                        inbox_id=reply.inbox_id,
                    )
                    for part in parts[1:]
                ]
            )
            pipeline.wake()
        return parts[0]

    # --- rendering and options --------------------------------------------------------------
    def _absolute(self, message: OutgoingMessage) -> OutgoingMessage:
        image = message.image
        if image and not image.startswith(("http://", "https://")) and self.public_url:
            return replace(message, image=f"{self.public_url}/{image.lstrip('/')}")
        return message

    def _render(
        self, messages: Sequence[OutgoingMessage], lang: Lang, start: int = 1
    ) -> tuple[str, list[Button]]:
        """Messages as one text; their options numbered on from ``start``."""
        blocks: list[str] = []
        options: list[Button] = []
        for message in messages:
            text, opts = as_plain_text(self._absolute(message), lang, start=start + len(options))
            if text.strip():
                blocks.append(text)
            options += opts
        return "\n\n".join(blocks), options

    async def _numbering(self, item: OutboxItem) -> Numbering:
        """Where ``item``'s options start: after those of its answer's earlier messages."""
        if item.inbox_id is None:
            return Numbering()
        earlier = [
            i
            for i in await self._require_pipeline().outbox.for_inbox(item.inbox_id)
            if i.id < item.id and i.kind == "reply"
        ]
        before: list[Button] = []
        for previous in earlier:
            before += self._render([previous.message], previous.lang, len(before) + 1)[1]
        return Numbering(start=len(before) + 1, before=tuple(before), first=not earlier)

    async def _remember(
        self, conversation_id: str, numbering: Numbering, options: Sequence[Button]
    ) -> None:
        """Keep the options shown so far in this answer; a new answer without any forgets
        the previous ones (a "2" then is just text, not a stale choice)."""
        memory = self._require_options()
        if options:
            await memory.remember(conversation_id, [*numbering.before, *options])
        elif numbering.first:
            await memory.remember(conversation_id, [])

    # --- outbox sender ----------------------------------------------------------------------
    async def send(self, item: OutboxItem) -> None:
        """Deliver one outbox message through the customer-service message API."""
        if self._session is None:
            raise DeliveryError("the WeChat channel is not started yet", retry_after=1.0)
        api = self._api
        if api is None:
            raise DeliveryError(
                "WeChat can only answer passively: set WECHAT_APP_ID and WECHAT_APP_SECRET to "
                "send answers through the customer-service message API",
                permanent=True,
            )
        openid = str(item.address.get("openid") or item.external_id)
        numbering = await self._numbering(item)
        text, options = self._render([item.message], item.lang, numbering.start)
        if item.kind != "holding":
            await self._remember(item.conversation_id, numbering, options)
        parts = split_text(text, self.max_text_bytes, utf8_len) if text.strip() else []
        if not parts:
            logger.info("outbox #%d has nothing WeChat can show; skipped", item.id)
            return
        for index in range(self._progress.get(item.id, 0), len(parts)):
            try:
                await api.send_text(openid, parts[index])
            except DeliveryError as exc:
                if exc.permanent:
                    self._progress.pop(item.id, None)
                raise
            self._progress[item.id] = index + 1
        self._progress.pop(item.id, None)

    # --- helpers ----------------------------------------------------------------------------
    def _require_pipeline(self) -> Pipeline:
        if self._pipeline is None:
            raise RuntimeError("the WeChat adapter is not started (no pipeline)")
        return self._pipeline

    def _require_options(self) -> OptionsMemory:
        if self._options is None:
            raise RuntimeError("the WeChat adapter is not started (no options memory)")
        return self._options


async def _read_body(request: web.Request, max_bytes: int = MAX_XML_BYTES) -> bytes:
    too_large = RequestError(
        413, f"the body is larger than the limit of {max_bytes} bytes for a WeChat message", "body"
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)
