"""The action server's metrics and log ids: the instrumented executor in process, and the real
server process (`python -m bot.actions.server`) answering GET /metrics."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.actions import server
from bot.actions.server import InstrumentedExecutor, call_ids
from bot.config import REPO_ROOT, load_config
from bot.observability import logs, metrics
from tests.observability.conftest import parse, value

DURATION = "shop_action_duration_seconds"


class Greets(Action):
    def name(self) -> str:
        return "test_action_obs_greets"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        logging.getLogger("bot.actions.test").info("greeting %s", tracker.sender_id)
        dispatcher.utter_message(text="hi")
        return []


class Breaks(Action):
    def name(self) -> str:
        return "test_action_obs_breaks"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        raise RuntimeError("the database is gone")


def action_call(action: str, sender: str = "telegram:77", inbox_id: Any = 12) -> dict[str, Any]:
    return {
        "next_action": action,
        "sender_id": sender,
        "version": "3.6.21",
        "domain": {"slots": {}, "responses": {}, "actions": [action]},
        "tracker": {
            "sender_id": sender,
            "slots": {},
            "latest_message": {"text": "hello", "metadata": {"inbox_id": inbox_id}},
            "events": [],
            "paused": False,
            "followup_action": None,
            "active_loop": {},
            "latest_action_name": "action_listen",
        },
    }


def samples() -> dict[Any, float]:
    return parse(metrics.exposition(metrics.ACTIONS).decode())


@pytest.mark.usefixtures("root_logging")
async def test_each_action_is_timed_and_its_log_lines_carry_the_ids(tmp_path: Path) -> None:
    stream = io.StringIO()
    cfg = load_config(path=tmp_path / "none.yml", env={"SHOP_LOG_FORMAT": "json"})
    logs.configure_logging(cfg, stream=stream)
    executor = InstrumentedExecutor()
    executor.register_action(Greets)
    executor.register_action(Breaks)
    before = samples()

    result = await executor.run(action_call("test_action_obs_greets"))
    assert result is not None and result.responses[0]["text"] == "hi"
    with pytest.raises(RuntimeError, match="the database is gone"):
        await executor.run(action_call("test_action_obs_breaks", sender="web:u9", inbox_id="13"))
    with pytest.raises(Exception, match="action_made_up"):
        await executor.run(action_call("action_made_up"))

    after = samples()

    def grew(action: str, outcome: str) -> float:
        labels = {"action": action, "outcome": outcome}
        count = f"{DURATION}_count"
        return value(after, count, **labels) - value(before, count, **labels)

    assert grew("test_action_obs_greets", "ok") == 1
    assert grew("test_action_obs_greets", "error") == 0
    assert grew("test_action_obs_breaks", "error") == 1
    assert grew("unknown", "error") == 1  # a made-up name does not become a label
    assert value(after, f"{DURATION}_count", action="action_made_up", outcome="error") == 0
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    greeting = next(line for line in lines if line["message"] == "greeting telegram:77")
    assert (greeting["conversation_id"], greeting["inbox_id"]) == ("telegram:77", 12)
    # After the call the ids are gone again.
    assert logs.conversation_var.get() is None and logs.inbox_var.get() is None


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (action_call("a", "slack:U1", 5), ("slack:U1", 5)),
        (action_call("a", "slack:U1", "6"), ("slack:U1", 6)),
        (action_call("a", "web:x", None), ("web:x", None)),
        (action_call("a", "web:x", True), ("web:x", None)),
        (action_call("a", "web:x", "six"), ("web:x", None)),
        ({"next_action": "a", "tracker": "not a tracker"}, (None, None)),
        (
            {"next_action": "a", "tracker": {"sender_id": "t:1", "latest_message": None}},
            ("t:1", None),
        ),
    ],
)
def test_call_ids(call: dict[str, Any], expected: tuple[str | None, int | None]) -> None:
    assert call_ids(call) == expected


@pytest.mark.parametrize(
    ("variable", "value", "named"),
    [
        ("SHOP_LOG_FORMAT", "xml", "`logging.format`"),
        ("SHOP_ACTIONS_LOG_LEVEL", "chatty", "SHOP_ACTIONS_LOG_LEVEL"),
    ],
)
def test_the_action_server_refuses_a_wrong_log_setting(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    variable: str,
    value: str,
    named: str,
) -> None:
    monkeypatch.setenv(variable, value)
    assert server.main(["-p", str(_free_port())]) == 2  # before anything starts
    err = capsys.readouterr().err
    assert "action server: configuration error" in err and named in err and repr(value) in err


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str, str]:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return resp.status, resp.headers.get("Content-Type", ""), resp.read().decode()


@pytest.mark.integration
def test_the_action_server_process_serves_its_metrics(tmp_path: Path) -> None:
    """The real server (rasa-sdk, Sanic worker process): an action call, then GET /metrics on
    its own port; its log is JSON with the call's ids (set up again in the worker)."""
    port = _free_port()
    env = dict(
        os.environ,
        SANIC_HOST="127.0.0.1",
        SHOP_LOG_FORMAT="json",
        SHOP_ACTIONS_LOG_LEVEL="DEBUG",
        SHOP_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
    )
    log = (tmp_path / "actions.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.actions.server", "-p", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if _get(base + "/health")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass  # the port is bound before the worker process has imported the actions
            assert proc.poll() is None, (tmp_path / "actions.log").read_text()
            assert time.monotonic() < deadline, "the action server did not start"
            time.sleep(0.2)
        body = json.dumps(action_call("action_request_human", "telegram:4242", 31)).encode()
        request = urllib.request.Request(
            base + "/webhook", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as resp:
            assert resp.status == 200
            assert json.loads(resp.read())["responses"][0]["custom"]["type"] == "handoff"
        status, content_type, text = _get(base + "/metrics")
        assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
        found = parse(text)
        labels = {"action": "action_request_human", "outcome": "ok"}
        assert value(found, f"{DURATION}_count", **labels) == 1
        assert value(found, f"{DURATION}_bucket", le="+Inf", **labels) == 1
        assert ("shop_messages_received_total", (("channel", "web"),)) not in found
    finally:
        # The whole session: Sanic's worker process outlives a signal to its parent alone.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()
    lines = [
        json.loads(line)
        for line in (tmp_path / "actions.log").read_text().splitlines()
        if line.startswith("{")
    ]
    named = [line for line in lines if "'action_request_human'" in line["message"]]
    run = [line for line in named if line["level"] == "DEBUG"]  # rasa-sdk's "run" lines
    assert [r["message"] for r in run] == [
        "Received request to run 'action_request_human'",
        "Finished running 'action_request_human'",
    ]
    assert all((r["conversation_id"], r["inbox_id"]) == ("telegram:4242", 31) for r in run)
    registered = next(line for line in named if line["message"].startswith("Registered"))
    assert (registered["conversation_id"], registered["inbox_id"]) == (None, None)
