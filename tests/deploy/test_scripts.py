"""deploy/probe.py (container health checks) and deploy/rasa_run.py (the Rasa entry)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from deploy.probe import check
from deploy.rasa_run import rasa_argv


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        token = parse_qs(parts.query).get("token", [""])[0]
        if parts.path == "/status":
            if token != "s3cret-token":
                self.send_response(401)
                self.end_headers()
                return
            body = json.dumps({"model_id": "abc"}).encode()
        elif parts.path == "/loading":
            body = json.dumps({"model_id": None}).encode()
        elif parts.path == "/down":
            self.send_response(503)
            self.end_headers()
            return
        else:
            body = b"ok"
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_probe_healthy_and_unhealthy(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert check(f"{server}/health", None, None, 2.0) is None
    assert check(f"{server}/down", None, None, 2.0) == "HTTP 503"
    assert check(f"{server}/loading", None, "model_id", 2.0) == "model_id is not set yet"
    assert check(f"{server}/health", None, "model_id", 2.0) == "the answer is not a JSON object"
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    assert check(f"{server}/status", "RASA_AUTH_TOKEN", "model_id", 2.0) == "HTTP 401"
    monkeypatch.setenv("RASA_AUTH_TOKEN", "s3cret-token")
    assert check(f"{server}/status", "RASA_AUTH_TOKEN", "model_id", 2.0) is None


def test_probe_unreachable() -> None:
    problem = check("http://127.0.0.1:9/health", None, None, 1.0)
    assert problem is not None and problem.startswith("unreachable")


def test_rasa_argv_adds_the_token_only_when_set() -> None:
    assert rasa_argv(["run", "-p", "5005"], "tok") == [
        "rasa",
        "run",
        "-p",
        "5005",
        "--auth-token",
        "tok",
    ]
    assert rasa_argv(["run"], "") == ["rasa", "run"]
