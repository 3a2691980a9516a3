"""Monitoring on the real stack (`-m integration`): after a conversation through the web chat,
the gateway's GET /metrics shows it, names the model the real Rasa loaded, and the action
server's own GET /metrics times the custom actions; the gateway's log names the message."""

from __future__ import annotations

import re
import time
import urllib.request

import pytest

from bot.launcher import Stack
from tests.observability.conftest import Samples, parse, value

pytestmark = pytest.mark.integration


def scrape(url: str) -> Samples:
    with urllib.request.urlopen(url + "/metrics", timeout=30) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return parse(resp.read().decode())


def total(samples: Samples, name: str) -> float:
    return sum(v for (n, _labels), v in samples.items() if n == name)


def test_a_conversation_shows_in_both_processes_metrics_and_the_log(stack: Stack, new_chat) -> None:
    gateway_before = scrape(stack.gateway_url)
    actions_before = scrape(stack.actions_url)
    chat = new_chat("demo-emma")  # sends /restart first
    reply = chat.say("Did my order 260411555501 arrive?")
    assert "260411555501" in reply

    # The answer counts as sent once the gateway has written the response: poll a moment.
    deadline = time.monotonic() + 10
    while True:
        gateway = scrape(stack.gateway_url)
        sent = "shop_messages_sent_total"
        grown = value(gateway, sent, channel="web") - value(gateway_before, sent, channel="web")
        if grown >= 1 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert grown >= 1  # the answer (the /restart may have none)
    for name, labels in (
        ("shop_messages_received_total", {"channel": "web"}),
        ("shop_rasa_request_duration_seconds_count", {"outcome": "ok"}),
    ):
        grew = value(gateway, name, **labels) - value(gateway_before, name, **labels)
        assert grew >= 2, (name, grew)  # the /restart and the question
    model = [dict(labels) for (n, labels) in gateway if n == "shop_model_info"]
    assert len(model) == 1 and model[0]["model_file"].endswith(".tar.gz")
    assert model[0]["model_id"]
    assert value(gateway, "shop_inbox_pending") == 0

    actions = scrape(stack.actions_url)
    count = "shop_action_duration_seconds_count"
    assert total(actions, count) > total(actions_before, count)
    order_status = [
        dict(labels)
        for (n, labels), v in actions.items()
        if n == count and v > 0 and dict(labels)["outcome"] == "ok"
    ]
    assert order_status, actions

    # The pipeline's answer line names the conversation and its inbox row.
    pattern = re.compile(r" INFO bot\.core\.pipeline \[web:demo-emma #\d+\]: web:demo-emma lang=en")
    log = stack.log_dir / "gateway.log"
    deadline = time.monotonic() + 10
    while not pattern.search(log.read_text(encoding="utf-8")):
        assert time.monotonic() < deadline, "no pipeline line with the message's ids"
        time.sleep(0.2)
