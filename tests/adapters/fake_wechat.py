"""A stand-in for WeChat: the platform's API on loopback, and a client that signs and encrypts
webhook requests the way WeChat does.

:class:`FakeWeChat` serves ``/cgi-bin/token``, ``/cgi-bin/message/custom/send``,
``/cgi-bin/media/get`` and picture URLs, records every call, and can be told to fail (HTTP 500
or errcode -1) a number of times or to expire its access tokens.

:class:`WeChatClient` builds real requests: the ``signature`` / ``msg_signature`` query and, in
safe mode, the AES-encrypted body. Its crypto is written here from the protocol description,
independently of ``adapters.wechat``, so a shared mistake cannot make both sides agree.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import struct
import time
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

APP_ID = "wx0123456789abcdef"
APP_SECRET = "test-app-secret-0123456789abcdef"
TOKEN = "testtoken123"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as on the admin page
ACCOUNT = "gh_0123456789ab"

# A tiny valid PNG (1x1 pixel) and JPEG header + data: pictures customers "send".
PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64)


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any = None


@dataclass
class FakeWeChat:
    """WeChat's API: tokens, customer-service messages, media, picture URLs."""

    app_id: str = APP_ID
    app_secret: str = APP_SECRET
    expires_in: int = 7200
    max_text_bytes: int = 2048  # errcode 45002 above this, like WeChat
    calls: list[Call] = field(default_factory=list)
    fail_status: int = 0  # answer this HTTP status ...
    fail_errcode: int = 0  # ... or this errcode ...
    fail_times: int = 0  # ... to this many customer-service calls
    fail_after: int = 0  # ... after letting this many through
    pictures: dict[str, bytes] = field(default_factory=dict)  # name -> bytes at /pics/<name>
    redirects: dict[str, str] = field(default_factory=dict)  # name -> Location of a 302
    media: dict[str, bytes] = field(default_factory=dict)  # media_id -> bytes
    server: TestServer | None = None
    _valid_tokens: set[str] = field(default_factory=set)
    _counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._custom_send)
        app.router.add_get("/cgi-bin/media/get", self._media_get)
        app.router.add_get("/pics/{name}", self._picture)
        app.router.add_route("*", "/{tail:.*}", self._other)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self.url

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("FakeWeChat is not started")
        return str(self.server.make_url("")).rstrip("/")

    def fail_next(self, times: int, *, status: int = 0, errcode: int = 0, after: int = 0) -> None:
        """Make ``times`` customer-service calls fail with ``status`` or ``errcode``, starting
        after the next ``after`` calls."""
        self.fail_times, self.fail_status, self.fail_errcode = times, status, errcode
        self.fail_after = after

    def expire_tokens(self) -> None:
        """Every access token handed out so far is now expired (errcode 42001)."""
        self._valid_tokens.clear()

    # --- what was recorded ---------------------------------------------------------------
    def paths(self) -> list[str]:
        return [c.path for c in self.calls]

    def token_calls(self) -> list[Call]:
        return [c for c in self.calls if c.path == "/cgi-bin/token"]

    def sent(self) -> list[tuple[str, str]]:
        """(touser, content) of every customer-service message WeChat accepted."""
        return [
            (c.body["touser"], c.body["text"]["content"])
            for c in self.calls
            if c.path == "/cgi-bin/message/custom/send" and c.body.get("accepted")
        ]

    # --- handlers --------------------------------------------------------------------------
    def _record(self, request: web.Request, body: Any = None) -> Call:
        call = Call(request.method, request.path, dict(request.query), body)
        self.calls.append(call)
        return call

    async def _token(self, request: web.Request) -> web.Response:
        self._record(request)
        q = request.query
        if q.get("grant_type") != "client_credential":
            return web.json_response({"errcode": 40002, "errmsg": "invalid grant_type"})
        if q.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if q.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"ACCESS_TOKEN_{next(self._counter)}"
        self._valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    def _token_error(self, request: web.Request) -> web.Response | None:
        token = request.query.get("access_token", "")
        if token in self._valid_tokens:
            return None
        if token.startswith("ACCESS_TOKEN_"):
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})

    async def _custom_send(self, request: web.Request) -> web.Response:
        raw = await request.read()
        body = json.loads(raw.decode("utf-8"))
        call = self._record(request, body)
        if self.fail_after > 0:
            self.fail_after -= 1
        elif self.fail_times > 0:
            self.fail_times -= 1
            if self.fail_status:
                return web.Response(status=self.fail_status, text="upstream error")
            return web.json_response({"errcode": self.fail_errcode, "errmsg": "system error"})
        if (error := self._token_error(request)) is not None:
            return error
        if body.get("msgtype") != "text" or not isinstance(body.get("text"), dict):
            return web.json_response({"errcode": 40008, "errmsg": "invalid message type"})
        content = body["text"].get("content")
        if not isinstance(content, str) or not content:
            return web.json_response({"errcode": 44003, "errmsg": "empty news data"})
        if len(content.encode("utf-8")) > self.max_text_bytes:
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        call.body["accepted"] = True
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def _media_get(self, request: web.Request) -> web.Response:
        self._record(request)
        if (error := self._token_error(request)) is not None:
            return error
        data = self.media.get(request.query.get("media_id", ""))
        if data is None:
            return web.json_response({"errcode": 40007, "errmsg": "invalid media_id"})
        return web.Response(body=data, content_type="image/jpeg")

    async def _picture(self, request: web.Request) -> web.Response:
        self._record(request)
        if (location := self.redirects.get(request.match_info["name"])) is not None:
            raise web.HTTPFound(location)
        data = self.pictures.get(request.match_info["name"])
        if data is None:
            return web.Response(status=404)
        return web.Response(body=data, content_type="image/jpeg")

    async def _other(self, request: web.Request) -> web.Response:
        # Anything else (an XXE's external entity, a DTD URL) is recorded: it must never come.
        self._record(request)
        return web.Response(text="<!ENTITY leaked 'LEAKED'>", content_type="text/plain")


# --- the client side: what WeChat sends to the gateway ---------------------------------------
def sign(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode("utf-8")).hexdigest()


def _aes_key(encoding_aes_key: str) -> bytes:
    return base64.b64decode(encoding_aes_key + "=")


def encrypt(xml: bytes, encoding_aes_key: str, app_id: str) -> str:
    key = _aes_key(encoding_aes_key)
    plain = os.urandom(16) + struct.pack(">I", len(xml)) + xml + app_id.encode()
    padder = padding.PKCS7(256).padder()
    data = padder.update(plain) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(key[:16])).encryptor()
    return base64.b64encode(enc.update(data) + enc.finalize()).decode()


def decrypt(encrypted: str, encoding_aes_key: str) -> tuple[bytes, str]:
    """(xml, app id) of a WeChat ciphertext."""
    key = _aes_key(encoding_aes_key)
    dec = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = dec.update(base64.b64decode(encrypted)) + dec.finalize()
    plain = padded[: -padded[-1]]
    (length,) = struct.unpack(">I", plain[16:20])
    return plain[20 : 20 + length], plain[20 + length :].decode()


def cdata(text: str) -> str:
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


_MSG_IDS = itertools.count(1)


@dataclass
class WeChatClient:
    """Builds the requests WeChat sends to ``/webhooks/wechat`` and reads its replies."""

    token: str = TOKEN
    aes_key: str | None = None  # safe mode when set
    app_id: str = APP_ID
    account: str = ACCOUNT
    clock_offset: int = 0  # seconds added to the timestamp (stale requests)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def verify_query(self, echostr: str, *, token: str | None = None) -> dict[str, str]:
        timestamp, nonce = self._timestamp(), str(next(self._ids) + 1000)
        signature = sign(token or self.token, timestamp, nonce)
        return {"signature": signature, "timestamp": timestamp, "nonce": nonce, "echostr": echostr}

    def _timestamp(self) -> str:
        return str(int(time.time()) + self.clock_offset)

    def new_msg_id(self) -> str:
        # Unique across clients: two gateways of one test share the database.
        return str(7_000_000_000_000_000_000 + next(_MSG_IDS))

    # --- message bodies --------------------------------------------------------------------
    def _xml(self, openid: str, msg_type: str, extra: str, create_time: int | None) -> str:
        created = create_time if create_time is not None else int(time.time())
        return (
            f"<xml><ToUserName>{cdata(self.account)}</ToUserName>"
            f"<FromUserName>{cdata(openid)}</FromUserName>"
            f"<CreateTime>{created}</CreateTime>"
            f"<MsgType>{cdata(msg_type)}</MsgType>{extra}</xml>"
        )

    def text_xml(
        self,
        openid: str,
        content: str,
        *,
        msg_id: str | None = None,
        create_time: int | None = None,
    ) -> str:
        msg_id = msg_id or self.new_msg_id()
        extra = f"<Content>{cdata(content)}</Content><MsgId>{msg_id}</MsgId>"
        return self._xml(openid, "text", extra, create_time)

    def image_xml(self, openid: str, *, pic_url: str, media_id: str) -> str:
        extra = (
            f"<PicUrl>{cdata(pic_url)}</PicUrl><MediaId>{cdata(media_id)}</MediaId>"
            f"<MsgId>{self.new_msg_id()}</MsgId>"
        )
        return self._xml(openid, "image", extra, None)

    def event_xml(
        self, openid: str, event: str, key: str | None = None, *, create_time: int | None = None
    ) -> str:
        extra = f"<Event>{cdata(event)}</Event>"
        if key is not None:
            extra += f"<EventKey>{cdata(key)}</EventKey>"
        return self._xml(openid, "event", extra, create_time)

    def other_xml(self, openid: str, msg_type: str) -> str:
        return self._xml(openid, msg_type, f"<MsgId>{self.new_msg_id()}</MsgId>", None)

    # --- signed requests -------------------------------------------------------------------
    def request(
        self, xml: str | bytes, *, encrypted: bool | None = None, token: str | None = None
    ) -> tuple[dict[str, str], bytes]:
        """(query, body) of a webhook POST carrying ``xml``, signed with ``token``."""
        token = token or self.token
        body = xml.encode("utf-8") if isinstance(xml, str) else xml
        timestamp, nonce = self._timestamp(), str(next(self._ids) + 5000)
        query = {
            "signature": sign(token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": "ignored-by-the-gateway",
        }
        if encrypted if encrypted is not None else self.aes_key is not None:
            if self.aes_key is None:
                raise ValueError("encrypted requests need aes_key")
            secret = encrypt(body, self.aes_key, self.app_id)
            query["encrypt_type"] = "aes"
            query["msg_signature"] = sign(token, timestamp, nonce, secret)
            body = (
                f"<xml><ToUserName>{cdata(self.account)}</ToUserName>"
                f"<Encrypt>{cdata(secret)}</Encrypt></xml>"
            ).encode()
        return query, body

    def read_reply(self, body: str) -> dict[str, str] | None:
        """The fields of a passive reply (decrypted and its signature checked in safe mode);
        None for ``success``."""
        if body == "success":
            return None
        fields = {c.tag: c.text or "" for c in ElementTree.fromstring(body)}
        if "Encrypt" in fields:
            if self.aes_key is None:
                raise AssertionError("an encrypted reply in plain mode")
            expected = sign(self.token, fields["TimeStamp"], fields["Nonce"], fields["Encrypt"])
            if fields["MsgSignature"] != expected:
                raise AssertionError("the reply's MsgSignature does not match")
            xml, app_id = decrypt(fields["Encrypt"], self.aes_key)
            if app_id != self.app_id:
                raise AssertionError(f"the reply is encrypted for {app_id!r}")
            fields = {c.tag: c.text or "" for c in ElementTree.fromstring(xml)}
        elif self.aes_key is not None:
            raise AssertionError("a plain reply in safe mode")
        return fields
