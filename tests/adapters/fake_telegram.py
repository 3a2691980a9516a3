"""A stand-in for the Telegram Bot API on loopback, spoken to by the real python-telegram-bot.

It records every API call (method, decoded parameters, uploaded files, the status it answered),
serves ``getUpdates`` from a queue the test fills (long polling included), serves files for
``getFile`` downloads, and can be told to answer errors (500, 429 with ``retry_after``, 403)
a number of times before it recovers.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

TOKEN = "123456:TEST-token_for-the-fake"
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Demo Shop", "username": "demo_shop_bot"}
# Parameters python-telegram-bot sends JSON-encoded (the rest are plain strings).
JSON_PARAMS = {"reply_markup", "allowed_updates", "entities", "caption_entities"}
INT_PARAMS = {"chat_id", "offset", "timeout", "limit", "message_id"}


@dataclass(frozen=True)
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes]
    status: int
    at: float  # time.monotonic() when it was answered

    @property
    def callback_data(self) -> list[str]:
        """The callback_data of every inline button of the call's keyboard."""
        markup = self.params.get("reply_markup") or {}
        return [b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row]

    @property
    def button_titles(self) -> list[str]:
        markup = self.params.get("reply_markup") or {}
        return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


@dataclass(frozen=True)
class Failure:
    status: int
    description: str
    retry_after: int | None = None


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


@dataclass
class FakeTelegram:
    token: str = TOKEN
    long_poll_cap_s: float = 0.5  # getUpdates waits at most this long for an update
    calls: list[Call] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # file_id -> (path, data)
    webhook: dict[str, Any] | None = None
    received: list[str] = field(default_factory=list)  # methods, as requests arrive
    slow: dict[str, float] = field(default_factory=dict)  # method -> seconds before answering
    server: TestServer | None = None
    # method -> what its next calls answer: None = normal, a Failure = that error.
    _plan: defaultdict[str, list[Failure | None]] = field(default_factory=lambda: defaultdict(list))
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))
    _closing: bool = False
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    # --- control ----------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self.url

    async def stop(self) -> None:
        self._closing = True  # ends waiting long polls at once
        self._arrived.set()
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def url(self) -> str:
        if self.server is None:
            raise RuntimeError("FakeTelegram is not started")
        return str(self.server.make_url("")).rstrip("/")

    def fail(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        *,
        after: int = 0,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (after ``after`` normal ones) answer an
        error; a 429 carries ``parameters.retry_after`` like Telegram's flood control."""
        text = description or {
            400: "Bad Request: chat not found",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
        }.get(status, "Internal Server Error")
        self._plan[method] += [None] * after + [Failure(status, text, retry_after)] * times

    def push_update(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._arrived.set()

    def add_file(self, file_id: str, data: bytes) -> None:
        self.files[file_id] = (f"photos/{file_id}.jpg", data)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def ok(self, method: str) -> list[Call]:
        """Calls of ``method`` that succeeded."""
        return [c for c in self.calls_to(method) if c.status == 200]

    def sent_texts(self) -> list[str]:
        return [str(c.params["text"]) for c in self.ok("sendMessage")]

    # --- HTTP -------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.received.append(method)
        params, files = await self._params(request)
        if method in self.slow:
            await asyncio.sleep(self.slow[method])
        if request.match_info["token"] != self.token:
            return self._answer(method, params, files, 401, {"description": "Unauthorized"})
        plan = self._plan.get(method)
        failure = plan.pop(0) if plan else None
        if failure is not None:
            body: dict[str, Any] = {"description": failure.description}
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return self._answer(method, params, files, failure.status, body)
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            return self._answer(method, params, files, 404, {"description": "Not Found"})
        try:
            result = await handler(params, files)
        except ApiError as exc:
            return self._answer(method, params, files, exc.status, {"description": exc.description})
        return self._answer(method, params, files, 200, {"result": result})

    def _answer(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, bytes],
        status: int,
        body: dict[str, Any],
    ) -> web.Response:
        self.calls.append(Call(method, params, files, status, time.monotonic()))
        payload = {"ok": status == 200, **body}
        if status != 200:
            payload["error_code"] = status
        return web.json_response(payload, status=status)

    async def _params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
        params: dict[str, Any] = {}
        files: dict[str, bytes] = {}
        if request.method != "POST":
            return dict(request.query), files
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = value.file.read()
                params[name] = f"<upload {value.filename}>"
            elif name in JSON_PARAMS:
                params[name] = json.loads(value)
            elif name in INT_PARAMS:
                params[name] = int(value)
            else:
                params[name] = value
        return params, files

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        for file_path, data in self.files.values():
            if file_path == path:
                return web.Response(body=data, content_type="image/jpeg")
        return web.Response(status=404)

    # --- Bot API methods --------------------------------------------------------------------
    def _message(self, chat_id: int, **extra: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            **extra,
        }

    async def _m_getMe(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return BOT_USER

    async def _m_sendMessage(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if not params.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        return self._message(params["chat_id"], text=params["text"])

    async def _m_sendPhoto(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        photo = {"file_id": f"sent-{next(self._ids)}", "file_unique_id": "u", "width": 400,
                 "height": 400}  # fmt: skip
        extra: dict[str, Any] = {"photo": [photo]}
        if params.get("caption"):
            extra["caption"] = params["caption"]
        return self._message(params["chat_id"], **extra)

    async def _m_answerCallbackQuery(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        return True

    async def _m_getFile(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        path, data = self.files[file_id]
        return {
            "file_id": file_id,
            "file_unique_id": f"u-{file_id}",
            "file_size": len(data),
            "file_path": path,
        }

    async def _m_setWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = params
        return True

    async def _m_deleteWebhook(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        self.webhook = None
        return True

    async def _m_getUpdates(self, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        offset = params.get("offset")
        if offset is not None:  # confirms every update before it, like Telegram
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        wait_s = min(float(params.get("timeout", 0)), self.long_poll_cap_s)
        if not self.updates and not self._closing and wait_s > 0:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), wait_s)
        return list(self.updates)


# --- updates as Telegram sends them ---------------------------------------------------------
def user(user_id: int, language_code: str | None = "en") -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": "Customer"}
    if language_code:
        data["language_code"] = language_code
    return data


def private_chat(user_id: int) -> dict[str, Any]:
    return {"id": user_id, "type": "private", "first_name": "Customer"}


def message_update(
    update_id: int, user_id: int, *, language_code: str | None = "en", **content: Any
) -> dict[str, Any]:
    message = {
        "message_id": update_id * 10,
        "date": int(time.time()),
        "chat": private_chat(user_id),
        "from": user(user_id, language_code),
        **content,
    }
    if isinstance(message.get("text"), str) and message["text"].startswith("/"):
        length = len(message["text"].split()[0])
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"update_id": update_id, "message": message}


def text_update(
    update_id: int, user_id: int, text: str, *, language_code: str | None = "en"
) -> dict[str, Any]:
    return message_update(update_id, user_id, language_code=language_code, text=text)


def callback_update(
    update_id: int, user_id: int, data: str, *, language_code: str | None = "en"
) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cq-{update_id}",
            "from": user(user_id, language_code),
            "chat_instance": "ci-1",
            "data": data,
            "message": {
                "message_id": 77,
                "date": int(time.time()),
                "chat": private_chat(user_id),
                "from": BOT_USER,
                "text": "Which order?",
            },
        },
    }


def photo_update(
    update_id: int, user_id: int, sizes: list[tuple[str, int, int]], caption: str | None = None
) -> dict[str, Any]:
    """A photo message; ``sizes`` are (file_id, width, height) as Telegram lists them."""
    photo = [
        {"file_id": fid, "file_unique_id": f"u-{fid}", "width": w, "height": h}
        for fid, w, h in sizes
    ]
    content: dict[str, Any] = {"photo": photo}
    if caption is not None:
        content["caption"] = caption
    return message_update(update_id, user_id, **content)
