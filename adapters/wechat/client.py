"""The WeChat API and the outbox Sender that uses it.

Owns :class:`WeChatApi` (the cached access token, customer-service text messages, temporary
media downloads, and how errcodes map to permanent, rate-limited or retried failures) and
:class:`WeChatSender`, which delivers outbox messages through the customer-service API, part
by part, resuming after the last part sent when a retry follows a partial failure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from sqlalchemy.exc import SQLAlchemyError

from adapters.wechat.media import DownloadError, download, redact_secrets
from adapters.wechat.render import Composer, text_message_body
from bot.core.outbox import DeliveryError, Outbox, OutboxItem
from bot.core.queue import utcnow
from bot.core.render import OptionsMemory
from bot.core.shared import SharedToken

logger = logging.getLogger(__name__)

API_TIMEOUT_S = 10.0
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

T = TypeVar("T")


@dataclass(frozen=True)
class _Refused:
    """WeChat's errcode answer to a call."""

    code: object
    errmsg: object = None


class WeChatApi:
    """Access token, customer-service messages and media downloads on ``base_url``.

    The token is cached until shortly before ``expires_in`` and fetched again when WeChat
    says it expired or is invalid (40001/40014/42001), after which the call is tried once more.
    With ``shared`` (gateway replicas on PostgreSQL) the token lives in the database: one
    replica fetches it under the row's lock and the others use it, since every fetch makes
    WeChat invalidate the token before.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        app_id: str,
        app_secret: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedToken | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self.clock = clock
        self._token: str | None = None
        self._token_until = 0.0
        self._token_lock = asyncio.Lock()
        self.shared = shared
        self._refused: str | None = None  # the last token WeChat refused (not to be reused)
        self.fetches = 0  # tokens this client fetched from WeChat

    async def access_token(self) -> str:
        """A valid access token, from the cache or fetched (one fetch at a time)."""
        async with self._token_lock:
            if self._token is None or self.clock() >= self._token_until:
                if self.shared is None:
                    self._token, lifetime = await self._fetch_token()
                else:
                    try:
                        self._token, expires_at = await self.shared.get(
                            self._fetch_token, stale=self._refused
                        )
                    except SQLAlchemyError as exc:
                        raise DeliveryError(f"cannot read the shared WeChat token: {exc}") from None
                    lifetime = (expires_at - utcnow()).total_seconds()
                self._token_until = self.clock() + lifetime
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (WeChat refused it); a newer one fetched meanwhile is kept."""
        self._refused = token
        if self._token == token:
            self._token = None

    async def _fetch_token(self) -> tuple[str, float]:
        """A new token from WeChat and how long to use it."""
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
        self.fetches += 1
        return token, lifetime - min(300.0, lifetime * 0.1)

    async def _with_token(self, call: Callable[[str], Awaitable[T | _Refused]]) -> T | _Refused:
        """``call`` with the access token; once more with a new one when WeChat refuses it."""
        token = await self.access_token()
        result = await call(token)
        if isinstance(result, _Refused) and result.code in TOKEN_ERRCODES:
            logger.info("WeChat access token refused (errcode %s); fetching a new one", result.code)
            self.invalidate(token)
            result = await call(await self.access_token())
        return result

    async def send_text(self, openid: str, content: str) -> None:
        """One customer-service text message; :class:`DeliveryError` when WeChat refuses."""
        body = text_message_body(openid, content)

        async def post(token: str) -> _Refused | None:
            data = await self._json(
                "POST", "/cgi-bin/message/custom/send", params={"access_token": token}, body=body
            )
            code = data.get("errcode", 0)
            return None if code == 0 else _Refused(code, data.get("errmsg"))

        refused = await self._with_token(post)
        if refused is not None:
            raise _send_error(refused.code, refused.errmsg)

    async def download_media(self, media_id: str, max_bytes: int) -> bytes:
        """A temporary media file by its MediaId (``/cgi-bin/media/get``)."""

        async def get(token: str) -> bytes | _Refused:
            data, content_type = await download(
                self.session,
                f"{self.base_url}/cgi-bin/media/get",
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
            return _Refused(error.get("errcode") if isinstance(error, dict) else None)

        try:
            result = await self._with_token(get)
        except DeliveryError as exc:  # no access token
            raise DownloadError(str(exc)) from None
        if isinstance(result, _Refused):
            raise DownloadError(f"the media API refused media {media_id!r} (errcode {result.code})")
        return result

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
            detail = redact_secrets(f"{type(exc).__name__}: {exc}", self._secret, self._token)
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


@dataclass(frozen=True)
class _Started:
    """What a started sender delivers with (``api`` is None without an app secret)."""

    api: WeChatApi | None
    outbox: Outbox
    options: OptionsMemory


class WeChatSender:
    """The outbox Sender of the WeChat channel (the customer-service message API)."""

    channel = "wechat"

    def __init__(self, composer: Composer) -> None:
        self.composer = composer
        self._started: _Started | None = None
        # Outbox id -> parts already sent, so a retry after a partial failure sends the rest.
        self._progress: dict[int, int] = {}

    def start(self, api: WeChatApi | None, outbox: Outbox, options: OptionsMemory) -> None:
        self._started = _Started(api, outbox, options)

    def stop(self) -> None:
        self._started = None

    async def send(self, item: OutboxItem) -> None:
        """Deliver one outbox message through the customer-service message API."""
        started = self._started
        if started is None:
            raise DeliveryError("the WeChat channel is not started yet", retry_after=1.0)
        api = started.api
        if api is None:
            raise DeliveryError(
                "WeChat can only answer passively: set WECHAT_APP_ID and WECHAT_APP_SECRET to "
                "send answers through the customer-service message API",
                permanent=True,
            )
        openid = str(item.address.get("openid") or item.external_id)
        parts = await self.composer.compose(
            started.options,
            item.conversation_id,
            [item.message],
            item.lang,
            await self.composer.numbering(started.outbox, item),
            remember=item.kind != "holding",
        )
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
