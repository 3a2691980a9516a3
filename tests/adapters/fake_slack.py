"""A stand-in for Slack on loopback: the Web API methods the adapter uses, private file
downloads, and Socket Mode (``apps.connections.open`` and a WebSocket that pushes envelopes).

Every API call is recorded; a method can be told to fail (HTTP 500, 429 with ``Retry-After``,
or an answer lost after the message was posted) a number of times before it recovers. Helpers
build signed Events API requests the way Slack does (``v0`` HMAC of the body).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from aiohttp import WSMsgType, web
from aiohttp.test_utils import TestServer

BOT_TOKEN = "xoxb-test-bot-token"
APP_TOKEN = "xapp-test-app-token"
SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_USER_ID = "UBOT00001"
BOT_ID = "BBOT00001"
TEAM_ID = "T0000TEAM"
API_APP_ID = "A0000APP1"


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: dict[str, Any]
    token: str | None
    at: float


@dataclass
class Failure:
    """A planned failure of one API call: an HTTP status, Slack's error, ``Retry-After``;
    ``after_effect``: the call takes effect, then the answer is an HTTP 500 (a lost answer)."""

    status: int = 500
    error: str = "internal_error"
    retry_after: int | None = None
    after_effect: bool = False
    match: Callable[[dict[str, Any]], bool] | None = None  # fail only calls with such params


@dataclass
class FakeSlack:
    calls: list[ApiCall] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    file_requests: list[tuple[str, str | None]] = field(default_factory=list)
    failures: dict[str, list[Failure]] = field(default_factory=dict)
    acks: list[dict[str, Any]] = field(default_factory=list)
    sockets: list[web.WebSocketResponse] = field(default_factory=list)
    connections_opened: int = 0
    # The staff side (handoff): channel members, user profiles, what the bot changed.
    members: dict[str, list[str]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    updates: list[dict[str, Any]] = field(default_factory=list)  # chat.update calls that applied
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id -> name, data
    server: TestServer | None = None
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    # --- life cycle ---------------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_get("/files-pri/{path:.+}", self._file)
        app.router.add_get("/socket-mode/ws", self._socket)
        app.router.add_post("/upload/{file_id}", self._upload)
        self.server = TestServer(app, host="127.0.0.1")
        await self.server.start_server()
        return self.api_url

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        if self.server is not None:
            await self.server.close()
            self.server = None

    @property
    def base_url(self) -> str:
        if self.server is None:
            raise RuntimeError("FakeSlack is not started")
        return str(self.server.make_url("")).rstrip("/")

    @property
    def api_url(self) -> str:
        return self.base_url + "/api/"

    # --- test controls ------------------------------------------------------------------------
    def fail(self, method: str, times: int = 1, **failure: Any) -> None:
        self.failures.setdefault(method, []).extend(Failure(**failure) for _ in range(times))

    def add_file(self, name: str, data: bytes, mimetype: str) -> dict[str, Any]:
        """A file object as Slack puts it in a message event (``url_private`` on this fake)."""
        file_id = f"F{len(self.files) + 1:08d}"
        path = f"{TEAM_ID}-{file_id}/{name}"
        self.files[path] = (data, mimetype)
        return {
            "id": file_id,
            "name": name,
            "mimetype": mimetype,
            "filetype": name.rsplit(".", 1)[-1],
            "size": len(data),
            "url_private": f"{self.base_url}/files-pri/{path}",
            "url_private_download": f"{self.base_url}/files-pri/{path}?download=1",
        }

    def called(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def posted(self) -> list[dict[str, Any]]:
        """Messages the bot posted, in order."""
        return list(self.messages)

    async def wait_for(self, predicate: Callable[[], object], limit_s: float = 5.0) -> None:
        """Wait until ``predicate()`` is true (re-checked after each call and ack)."""
        deadline = time.monotonic() + limit_s
        while not predicate():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"FakeSlack: condition not met in {limit_s}s: {self.calls}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    async def wait_for_posts(self, count: int, limit_s: float = 5.0) -> list[dict[str, Any]]:
        await self.wait_for(lambda: len(self.messages) >= count, limit_s)
        return self.posted()

    async def push(self, envelope: Mapping[str, Any]) -> None:
        """Send a Socket Mode envelope over the open connection."""
        await self.wait_for(lambda: any(not ws.closed for ws in self.sockets))
        ws = next(ws for ws in reversed(self.sockets) if not ws.closed)
        await ws.send_str(json.dumps(envelope))

    def acked(self, envelope_id: str) -> bool:
        return any(a.get("envelope_id") == envelope_id for a in self.acks)

    # --- Web API ------------------------------------------------------------------------------
    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                params.update(dict(await request.post()))
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
        self.calls.append(ApiCall(method, params, token, time.monotonic()))
        self._changed.set()
        failure = self._planned_failure(method, params)
        if failure is not None and not failure.after_effect:
            return self._failure(failure)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "conversations.replies": self._replies,
            "conversations.history": self._history,
            "apps.connections.open": self._connections_open,
            "chat.update": self._update,
            "chat.postEphemeral": self._ephemeral,
            "conversations.members": self._members,
            "users.info": self._user_info,
            "files.getUploadURLExternal": self._upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"})
        answer = handler(params)
        if failure is not None:
            return self._failure(failure)
        return web.json_response(answer)

    def _planned_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        planned = self.failures.get(method, [])
        for i, failure in enumerate(planned):
            if failure.match is None or failure.match(params):
                return planned.pop(i)
        return None

    @staticmethod
    def _failure(failure: Failure) -> web.Response:
        headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after else None
        if failure.status == 500 and failure.error == "html":
            return web.Response(status=500, text="<html>oops</html>", content_type="text/html")
        return web.json_response(
            {"ok": False, "error": failure.error}, status=failure.status, headers=headers
        )

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake Shop",
            "user": "shopbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
        }

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        blocks = params.get("blocks")
        if isinstance(blocks, str):
            blocks = json.loads(blocks)
        metadata = params.get("metadata")
        if isinstance(metadata, str):
            metadata = json.loads(metadata)
        message = {
            "type": "message",
            "channel": channel,
            "ts": f"{1_700_000_000 + next(self._ts)}.000100",
            "thread_ts": params.get("thread_ts"),
            "text": params.get("text"),
            "blocks": blocks,
            "metadata": metadata,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "posted_at": time.time(),
        }
        self.messages.append(message)
        return {"ok": True, "channel": channel, "ts": message["ts"], "message": message}

    def _visible(self, message: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
        shown = {k: v for k, v in message.items() if k != "posted_at"}
        if str(params.get("include_all_metadata")).lower() not in ("1", "true"):
            shown.pop("metadata", None)
        return shown

    def _replies(self, params: dict[str, Any]) -> dict[str, Any]:
        oldest = float(params.get("oldest") or 0)
        found = [
            self._visible(m, params)
            for m in self.messages
            if m["channel"] == params.get("channel")
            and m["thread_ts"] == params.get("ts")
            and m["posted_at"] > oldest
        ]
        return {"ok": True, "messages": found, "has_more": False}

    def _history(self, params: dict[str, Any]) -> dict[str, Any]:
        oldest = float(params.get("oldest") or 0)
        found = [
            self._visible(m, params)
            for m in reversed(self.messages)
            if m["channel"] == params.get("channel") and m["posted_at"] > oldest
        ]
        return {"ok": True, "messages": found, "has_more": False}

    def add_user(self, user_id: str, name: str, *, channels: tuple[str, ...] = ()) -> None:
        """A workspace member (``users.info``), in ``channels`` (``conversations.members``)."""
        self.users[user_id] = {
            "id": user_id,
            "name": name.lower().replace(" ", "."),
            "real_name": name,
            "profile": {"display_name": name, "real_name": name},
        }
        for channel in channels:
            self.members.setdefault(channel, []).append(user_id)

    def thread(self, channel: str, thread_ts: str) -> list[dict[str, Any]]:
        """The bot's messages in a thread (the parent excluded), in order."""
        return [m for m in self.messages if m["channel"] == channel and m["thread_ts"] == thread_ts]

    def _update(self, params: dict[str, Any]) -> dict[str, Any]:
        for message in self.messages:
            if message["channel"] == params.get("channel") and message["ts"] == params.get("ts"):
                blocks = params.get("blocks")
                message["text"] = params.get("text")
                message["blocks"] = json.loads(blocks) if isinstance(blocks, str) else blocks
                self.updates.append(dict(message))
                return {"ok": True, "channel": message["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        self.ephemerals.append({k: params.get(k) for k in ("channel", "user", "text", "thread_ts")})
        return {"ok": True, "message_ts": f"{time.time():.6f}"}

    def _members(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel"))
        if channel not in self.members:
            return {"ok": False, "error": "channel_not_found"}
        everyone = self.members[channel]
        start = int(params.get("cursor") or 0)
        size = max(1, min(int(params.get("limit") or 100), 2))  # small pages: paging is used
        end = start + size
        cursor = str(end) if end < len(everyone) else ""
        return {
            "ok": True,
            "members": everyone[start:end],
            "response_metadata": {"next_cursor": cursor},
        }

    def _user_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": user}

    def _upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = f"FUP{len(self.uploads) + 1:06d}"
        self.uploads[file_id] = {"name": params.get("filename"), "data": None}
        return {"ok": True, "upload_url": f"{self.base_url}/upload/{file_id}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        file_id = request.match_info["file_id"]
        if file_id not in self.uploads:
            return web.Response(status=404)
        self.uploads[file_id]["data"] = await request.read()
        self._changed.set()
        return web.Response(text=f"OK - {len(self.uploads[file_id]['data'])}")

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        files = params.get("files")
        listed = json.loads(files) if isinstance(files, str) else files or []
        shared = []
        for item in listed:
            upload = self.uploads.get(item.get("id"))
            if upload is None or upload["data"] is None:
                return {"ok": False, "error": "file_not_found"}
            shared.append({"id": item["id"], "title": item.get("title"), "name": upload["name"]})
        message = {
            "type": "message",
            "channel": params.get("channel_id"),
            "ts": f"{1_700_000_000 + next(self._ts)}.000100",
            "thread_ts": params.get("thread_ts"),
            "text": params.get("initial_comment") or "",
            "blocks": None,
            "metadata": None,
            "files": shared,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "posted_at": time.time(),
        }
        self.messages.append(message)
        return {"ok": True, "files": shared}

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        self.connections_opened += 1
        ws_url = self.base_url.replace("http://", "ws://") + "/socket-mode/ws"
        return {"ok": True, "url": f"{ws_url}?ticket={uuid.uuid4().hex}"}

    # --- files and Socket Mode ----------------------------------------------------------------
    async def _file(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        auth = request.headers.get("Authorization")
        self.file_requests.append((path, auth))
        self._changed.set()
        if auth != f"Bearer {BOT_TOKEN}":
            # Slack answers an HTML login page, not the file, without the token.
            return web.Response(text="<html>sign in</html>", content_type="text/html")
        if path not in self.files:
            return web.Response(status=404)
        data, mimetype = self.files[path]
        return web.Response(body=data, content_type=mimetype)

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.sockets.append(ws)
        self._changed.set()
        await ws.send_str(
            json.dumps(
                {"type": "hello", "num_connections": 1, "connection_info": {"app_id": API_APP_ID}}
            )
        )
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
                self._changed.set()
        return ws


# --- Slack's requests to the app ----------------------------------------------------------------


def sign(body: bytes, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """The headers Slack sends with a request: ``v0=`` HMAC-SHA256 of ``v0:<ts>:<body>``."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = b"v0:" + ts.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


_event_ids = itertools.count(1)


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """An Events API body around ``event``."""
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{next(_event_ids):010d}",
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True, "enterprise_id": None}
        ],
    }


def dm_event(
    text: str,
    *,
    user: str | None = "U0CUSTOMER",
    ts: str = "1712000000.000100",
    channel: str = "D0CUSTOMER",
    **extra: Any,
) -> dict[str, Any]:
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "im",
        "client_msg_id": str(uuid.uuid4()),
    }
    event.update(extra)
    return event


def mention_event(
    text: str,
    *,
    user: str = "U0CUSTOMER",
    ts: str = "1712000000.000200",
    channel: str = "C0GENERAL",
    **extra: Any,
) -> dict[str, Any]:
    event = {
        "type": "app_mention",
        "channel": channel,
        "user": user,
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": ts,
        "event_ts": ts,
    }
    event.update(extra)
    return event


def block_actions(
    value: str,
    *,
    user: str = "U0CUSTOMER",
    channel: str = "D0CUSTOMER",
    message_ts: str = "1700000001.000100",
    thread_ts: str | None = "1712000000.000100",
    action_id: str = "cs:1",
    action_ts: str | None = None,
) -> dict[str, Any]:
    """An interactivity payload for a click on a button of a bot message."""
    message: dict[str, Any] = {"type": "message", "ts": message_ts, "bot_id": BOT_ID}
    if thread_ts is not None:
        message["thread_ts"] = thread_ts
    return {
        "type": "block_actions",
        "user": {"id": user, "username": "customer", "team_id": TEAM_ID},
        "api_app_id": API_APP_ID,
        "token": "legacy-verification-token",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": False,
            **({"thread_ts": thread_ts} if thread_ts else {}),
        },
        "trigger_id": f"{uuid.uuid4().int % 10**12}.{TEAM_ID}",
        "team": {"id": TEAM_ID, "domain": "fakeshop"},
        "channel": {"id": channel, "name": "directmessage"},
        "message": message,
        "response_url": "https://hooks.slack.test/actions/x",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "choice"},
                "value": value,
                "type": "button",
                "action_ts": action_ts or f"{time.time():.6f}",
            }
        ],
    }


def staff_message(
    text: str,
    *,
    user: str,
    channel: str,
    thread_ts: str,
    ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A message event of a colleague replying in a thread of a (public) channel."""
    ts = ts or f"{time.time():.6f}"
    event = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "thread_ts": thread_ts,
        "parent_user_id": BOT_USER_ID,
        "channel_type": "channel",
        "client_msg_id": str(uuid.uuid4()),
    }
    event.update(extra)
    return event


def command_body(command: str, text: str = "", *, user: str, channel: str = "C0SUPPORT") -> bytes:
    """A slash command request body, form-encoded as Slack sends it."""
    return urlencode(
        {
            "token": "legacy-verification-token",
            "team_id": TEAM_ID,
            "team_domain": "fakeshop",
            "channel_id": channel,
            "channel_name": "support",
            "user_id": user,
            "user_name": user.lower(),
            "command": command,
            "text": text,
            "api_app_id": API_APP_ID,
            "response_url": "https://hooks.slack.test/commands/x",
            "trigger_id": f"{uuid.uuid4().int % 10**12}.{TEAM_ID}",
        }
    ).encode()


def form_body(payload: Mapping[str, Any]) -> bytes:
    """An interactivity request body: ``payload=<json>``, form-encoded."""
    return urlencode({"payload": json.dumps(payload)}).encode()


def envelope(
    payload: Mapping[str, Any], kind: str = "events_api", *, retry_attempt: int = 0
) -> dict[str, Any]:
    """A Socket Mode envelope around an Events API or interactivity payload."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": kind,
        "payload": dict(payload),
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": retry_attempt,
        "retry_reason": "timeout" if retry_attempt else "",
    }
