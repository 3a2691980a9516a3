"""Faults injected into the real stack (Rasa, action server, gateway): every message is still
answered, once.

The module starts its own stack, so killing and pausing its processes disturbs no other test:
a short Rasa timeout (5 s), quick retries, and Rasa calling the actions through a proxy the
tests control (it can hold an action call to make it slow). Each test counts, for its
conversations, the answers lost (a stored reply that reached the customer neither in an HTTP
response nor on the push stream) and duplicated (one that reached them twice); both must be 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml
from aiohttp import web

from bot.core.pipeline import HOLDING_TEXT
from bot.launcher import Stack, StackPorts, default_model_path
from tests.integration.helpers import (
    ADMIN_TOKEN,
    LINK_SECRET,
    WEB_SECRET,
    admin_tickets,
    db_rows,
    http_json,
    identity_hash,
    repo_path,
)

pytestmark = pytest.mark.integration

RASA_TIMEOUT_S = 5.0
COMPLAINT = "the delivery is {n} days later than promised, please have a look"
HOLDING = set(HOLDING_TEXT.values())


class ActionProxy:
    """Rasa's way to the action server, on its own event loop in a thread: passes every call
    on, except that it can hold the next call of one action for a while (a slow action)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.target = ""
        self.hold: dict[str, float] = {}  # action name -> seconds to hold its next call
        self.calls: list[str] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self, target: str) -> str:
        self.target = target
        self.thread.start()
        return asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(30)

    async def _start(self) -> str:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_post("/webhook", self._webhook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return f"http://127.0.0.1:{self.port}/webhook"

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await request.read()
        name = str(json.loads(body).get("next_action"))
        self.calls.append(name)
        delay = self.hold.pop(name, 0.0)
        if delay:
            await asyncio.sleep(delay)
        assert self._session is not None
        async with self._session.post(
            self.target + "/webhook", data=body, headers={"Content-Type": "application/json"}
        ) as resp:
            return web.Response(
                body=await resp.read(), status=resp.status, content_type="application/json"
            )

    def stop(self) -> None:
        async def close() -> None:
            if self._runner is not None:
                await self._runner.cleanup()
            if self._session is not None:
                await self._session.close()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@dataclass
class FaultStack:
    stack: Stack
    proxy: ActionProxy
    faults: list[str] = field(default_factory=list)


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultStack]:
    model = default_model_path()
    if not model.exists():
        pytest.fail(f"no trained model at {model}: run `make train` first")
    tmp = tmp_path_factory.mktemp("faults")
    config = yaml.safe_load(repo_path("config.yml").read_text(encoding="utf-8"))
    config.setdefault("rasa", {})["timeout_s"] = RASA_TIMEOUT_S
    # One test client talks for many senders: the web chat's rate limits are off here.
    config.setdefault("web", {}).update(
        messages_per_minute_per_sender=0, messages_per_minute_per_ip=0
    )
    config["delivery"] = {
        **(config.get("delivery") or {}),
        "poll_interval_s": 0.2,
        "retry_base_s": 0.5,
        "retry_max_s": 2.0,
    }
    (tmp / "config.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    db_url = f"sqlite+aiosqlite:///{tmp / 'shop.db'}"
    env = dict(os.environ, SHOP_DATABASE_URL=db_url)
    subprocess.run([sys.executable, "-m", "bot", "seed"], env=env, check=True)
    ports = StackPorts.free_loopback()
    proxy = ActionProxy()
    rasa_actions = proxy.start(f"http://127.0.0.1:{ports.actions}")
    running = Stack(
        ports=ports,
        database_url=db_url,
        log_dir=tmp / "logs",
        model_path=model,
        extra_env={
            "ADMIN_TOKEN": ADMIN_TOKEN,
            "WEB_IDENTITY_SECRET": WEB_SECRET,
            "LINK_SECRET": LINK_SECRET,
            "SHOP_CONFIG": str(tmp / "config.yml"),
            "SHOP_RECOMMEND_BANDIT_PATH": str(tmp / "bandit.json"),
            "ACTION_ENDPOINT_URL": rasa_actions,
        },
    )
    running.start()
    try:
        running.wait_ready()
        # Rasa's first answers after a start can take longer than the short timeout here.
        post(running, "fault-warm-up", "hi")
        wait_until(lambda: all_answered(running, "web:fault-warm-up", 1), 120, "warmed up")
        post(running, "fault-warm-up", COMPLAINT.format(n="zero"))
        wait_until(lambda: all_answered(running, "web:fault-warm-up", 2), 120, "warmed up")
        yield FaultStack(running, proxy)
    finally:
        running.stop()
        proxy.stop()


class PushStream:
    """The page's event stream (``GET /api/chat/events``), read in a thread."""

    def __init__(self, base_url: str, sender: str) -> None:
        url = urllib.parse.urlsplit(base_url)
        self.conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=300)
        query = urllib.parse.urlencode(
            {"sender_id": sender, "identity_hash": identity_hash(sender)}
        )
        self.conn.request("GET", f"/api/chat/events?{query}")
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        self.events: list[tuple[int, dict[str, Any]]] = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event_id = None
        try:
            while line := self.response.readline():
                text = line.decode().rstrip("\n")
                if text.startswith("id: "):
                    event_id = int(text[4:])
                elif text.startswith("data: ") and event_id is not None:
                    self.events.append((event_id, json.loads(text[6:])))
                    event_id = None
        except (OSError, ValueError, AttributeError, http.client.HTTPException):
            pass  # closed by the test (http.client trips over a socket shut down under it)

    def texts(self) -> list[str]:
        return [str(m.get("text") or "") for _, m in self.events]

    def close(self) -> None:
        if self.conn.sock is not None:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()
        self.thread.join(5)


@pytest.fixture
def streams() -> Iterator[Callable[[str, str], PushStream]]:
    opened: list[PushStream] = []

    def open_stream(base_url: str, sender: str) -> PushStream:
        stream = PushStream(base_url, sender)
        opened.append(stream)
        return stream

    yield open_stream
    for stream in opened:
        stream.close()


def post(stack: Stack, sender: str, text: str, message_id: str | None = None) -> Any:
    body: dict[str, Any] = {
        "sender_id": sender,
        "identity_hash": identity_hash(sender),
        "text": text,
    }
    if message_id is not None:
        body["message_id"] = message_id
    return http_json("POST", f"{stack.gateway_url}/api/chat", body, timeout=120)


def answer_texts(messages: list[dict[str, Any]]) -> list[str]:
    return [str(m.get("text") or "") for m in messages if m.get("text") not in HOLDING]


def wait_until(check: Callable[[], bool], within_s: float, what: str) -> None:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within_s:.0f}s: {what}")
        time.sleep(0.25)


def wait_actions(stack: Stack) -> None:
    def up() -> bool:
        try:
            return http_json("GET", f"{stack.actions_url}/health", timeout=2).status == 200
        except OSError:
            return False

    wait_until(up, 120, "the action server is back")


def inbox_rows(stack: Stack, conversation_id: str) -> list[tuple[Any, ...]]:
    return db_rows(
        stack,
        "SELECT id, status, text FROM inbox WHERE conversation_id = ? ORDER BY id",
        (conversation_id,),
    )


def all_answered(stack: Stack, conversation_id: str, count: int) -> bool:
    rows = inbox_rows(stack, conversation_id)
    return len(rows) == count and all(r[1] == "done" for r in rows)


@dataclass(frozen=True)
class Tally:
    stored: int  # outbox rows of the conversation
    lost: int
    duplicated: int
    empty_answers: int  # messages answered with nothing


def tally(stack: Stack, conversation_id: str, stream: PushStream, settle_s: float = 2.0) -> Tally:
    """Each stored bot message must have reached the customer once: in the HTTP response that
    claimed it (``delivered_inline``) or on the push stream, not both, not twice."""

    def outbox_rows() -> list[tuple[Any, ...]]:
        return db_rows(
            stack,
            "SELECT id, inbox_id, status, delivered_inline, message FROM outbox "
            "WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )

    def pushed_all() -> bool:
        # Read afresh each time: a row still being sent is not lost yet.
        pushed = {i for i, _ in stream.events}
        return all(r[2] == "sent" and (r[3] or r[0] in pushed) for r in outbox_rows())

    with contextlib.suppress(AssertionError):  # what is missing is counted as lost below
        wait_until(pushed_all, 30, "every message is sent, and pushed unless handed back inline")
    time.sleep(settle_s)  # anything pushed twice would show up by now
    rows = outbox_rows()
    pushed = [i for i, _ in stream.events]
    lost = duplicated = 0
    for row_id, _inbox_id, status, inline, _message in rows:
        times = pushed.count(row_id) + (1 if inline else 0)
        lost += status != "sent" or times == 0
        duplicated += max(times - 1, 0)
    replies: dict[int, int] = {}
    for _row_id, inbox_id, _status, _inline, message in rows:
        content = json.loads(message) if isinstance(message, str) else message
        if inbox_id is not None and any(v for v in content.values()):
            replies[inbox_id] = replies.get(inbox_id, 0) + 1
    empty = sum(1 for r in inbox_rows(stack, conversation_id) if not replies.get(r[0]))
    return Tally(len(rows), lost, duplicated, empty)


def test_the_action_server_killed_mid_conversation_loses_and_repeats_nothing(
    faulty: FaultStack, streams: Callable[[str, str], PushStream]
) -> None:
    stack = faulty.stack
    sender = "fault-kill-1"
    stream = streams(stack.gateway_url, sender)
    first = post(stack, sender, "hi")
    assert first.status == 200 and answer_texts(first.body["messages"])
    stack.kill("actions")
    faulty.faults.append("action server killed")
    try:
        complaint = COMPLAINT.format(n="three")
        held = post(stack, sender, complaint)
        assert held.status == 503, held.body  # the holding reply, not an empty answer
        assert [m.get("text") for m in held.body["messages"]] == [HOLDING_TEXT["en"]]
        waiting = post(stack, sender, "what is your return policy?")
        assert waiting.status == 503 and answer_texts(waiting.body["messages"]) == []
        time.sleep(3)  # retries while it is down
        statuses = [r[1] for r in inbox_rows(stack, f"web:{sender}")]
        assert statuses[0] == "done" and set(statuses[1:]) <= {"pending", "processing"}, statuses
    finally:  # the next tests need it whatever happened here
        stack.start_actions()
        wait_actions(stack)
    wait_until(lambda: all_answered(stack, f"web:{sender}", 3), 90, "answered once it is back")
    result = tally(stack, f"web:{sender}", stream)
    assert (result.lost, result.duplicated, result.empty_answers) == (0, 0, 0), result
    # The complaint became one ticket, answered after the outage, in order.
    tickets = [
        t
        for t in admin_tickets(stack, kind="complaint")
        if "three days later" in str(t["payload"].get("text"))
    ]
    assert len(tickets) == 1
    assert sum(tickets[0]["id"] in t for t in stream.texts()) == 1
    holding = [t for t in stream.texts() if t in HOLDING] + [
        m.get("text") for m in held.body["messages"] if m.get("text") in HOLDING
    ]
    assert len(holding) == 1  # one holding reply for the outage


def test_a_rasa_timeout_during_a_ticket_makes_one_ticket(
    faulty: FaultStack, streams: Callable[[str, str], PushStream]
) -> None:
    stack = faulty.stack
    sender = "fault-timeout-1"
    stream = streams(stack.gateway_url, sender)
    # The complaint action takes longer than the gateway waits for Rasa: the gateway times
    # out, retries, and Rasa handles the message a second time (a new message id each time).
    faulty.proxy.hold["action_complaint"] = RASA_TIMEOUT_S + 3
    faulty.faults.append("Rasa timeout (slow action)")
    complaint = COMPLAINT.format(n="four")
    reply = post(stack, sender, complaint)
    assert reply.status in (200, 503)
    wait_until(lambda: all_answered(stack, f"web:{sender}", 1), 90, "the complaint is answered")
    assert len(inbox_rows(stack, f"web:{sender}")) == 1
    # The fault happened: the action ran for each of Rasa's deliveries of the message.
    assert faulty.proxy.calls.count("action_complaint") >= 2, faulty.proxy.calls
    tickets = [
        t
        for t in admin_tickets(stack, kind="complaint")
        if "four days later" in str(t["payload"].get("text"))
    ]
    assert len(tickets) == 1, tickets
    result = tally(stack, f"web:{sender}", stream)
    assert (result.lost, result.duplicated, result.empty_answers) == (0, 0, 0), result
    answers = answer_texts(reply.body["messages"]) + [t for t in stream.texts() if t]
    assert sum(tickets[0]["id"] in t for t in answers) == 1  # told once


def test_a_dropped_connection_gets_the_answer_on_the_push_stream(
    faulty: FaultStack, streams: Callable[[str, str], PushStream]
) -> None:
    stack = faulty.stack
    sender = "fault-drop-1"
    stream = streams(stack.gateway_url, sender)
    complaint = COMPLAINT.format(n="six")
    body = json.dumps(
        {
            "sender_id": sender,
            "identity_hash": identity_hash(sender),
            "text": complaint,
            "message_id": "drop-1",
        }
    ).encode()
    faulty.proxy.hold["action_complaint"] = 3.0  # the answer takes 3 s (within Rasa's timeout)
    with socket.create_connection(("127.0.0.1", stack.ports.gateway), timeout=10) as sock:
        sock.sendall(
            b"POST /api/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        # The message is stored and being answered when the page goes away.
        wait_until(lambda: bool(inbox_rows(stack, f"web:{sender}")), 30, "the message is taken")
    faulty.faults.append("client dropped the connection")
    wait_until(lambda: bool(stream.events), 60, "the answer reaches the push stream")
    wait_until(lambda: all_answered(stack, f"web:{sender}", 1), 30, "answered")
    result = tally(stack, f"web:{sender}", stream)
    assert (result.lost, result.duplicated, result.empty_answers) == (0, 0, 0), result
    [ticket] = [
        t
        for t in admin_tickets(stack, kind="complaint")
        if "six days later" in str(t["payload"].get("text"))
    ]
    assert sum(ticket["id"] in t for t in stream.texts()) == 1
    # The page posts again with the same message_id: not processed again, and the answer it
    # already got on the stream is not handed back a second time.
    again = post(stack, sender, complaint, message_id="drop-1")
    assert again.status == 200 and again.body["messages"] == []
    assert len(inbox_rows(stack, f"web:{sender}")) == 1
    assert tally(stack, f"web:{sender}", stream, settle_s=0.5).duplicated == 0


def test_two_senders_with_the_same_message_id_get_their_own_answers(
    faulty: FaultStack, streams: Callable[[str, str], PushStream]
) -> None:
    stack = faulty.stack
    alice, bob = "fault-alice-1", "fault-bob-1"
    alice_stream = streams(stack.gateway_url, alice)
    bob_stream = streams(stack.gateway_url, bob)
    faulty.faults.append("foreign message_id")
    a = post(stack, alice, "what is your return policy?", message_id="same-id-1")
    b = post(stack, bob, COMPLAINT.format(n="five"), message_id="same-id-1")
    assert a.status == 200 and b.status == 200
    a_text, b_text = (
        " ".join(answer_texts(a.body["messages"])),
        " ".join(answer_texts(b.body["messages"])),
    )
    assert a_text and b_text and a_text != b_text
    [ticket] = [
        t
        for t in admin_tickets(stack, kind="complaint")
        if "five days later" in str(t["payload"].get("text"))
    ]
    assert ticket["id"] in b_text and ticket["id"] not in a_text  # bob's own answer
    # Alice posting again gets her stored answer; nothing is processed again.
    again = post(stack, alice, "what is your return policy?", message_id="same-id-1")
    assert again.status == 200 and " ".join(answer_texts(again.body["messages"])) == a_text
    assert len(inbox_rows(stack, f"web:{alice}")) == 1
    assert len(inbox_rows(stack, f"web:{bob}")) == 1
    for sender, stream in ((alice, alice_stream), (bob, bob_stream)):
        result = tally(stack, f"web:{sender}", stream, settle_s=0.5)
        # Alice's answer was handed back twice on purpose (she asked twice); count it once.
        assert (result.lost, result.empty_answers) == (0, 0), result


def test_report(faulty: FaultStack) -> None:
    """Runs last in the module: what was injected (for the report)."""
    Path(faulty.stack.log_dir, "faults.txt").write_text("\n".join(faulty.faults))
    print(f"faults injected: {len(faulty.faults)}: {faulty.faults}")
