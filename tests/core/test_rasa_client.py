"""RasaClient against a fake Rasa over real HTTP: replies, failures, health."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.core.message import Button, OutgoingMessage
from bot.core.rasa_client import (
    ActionServerUnavailable,
    RasaBadResponse,
    RasaClient,
    RasaMetadata,
    RasaUnavailable,
)
from tests.gateway.fake_rasa import ORDER_BUTTON, FakeActionServer, FakeRasa
from tests.gateway.helpers import closed_url

META: RasaMetadata = {
    "channel": "web",
    "external_id": "demo-emma",
    "customer_id": "C0002",
    "language": "en",
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeRasa]:
    rasa = FakeRasa()
    await rasa.start()
    yield rasa
    await rasa.stop()


@pytest.fixture
async def actions() -> AsyncIterator[str]:
    server = FakeActionServer()
    url = await server.start()
    yield url
    await server.stop()


async def test_send_posts_the_rest_channel_body(fake: FakeRasa, actions: str) -> None:
    async with RasaClient(fake.url + "/", actions, timeout_s=5) as client:
        replies = await client.send("web:demo-emma", "where is my order", META)
    assert replies == [
        OutgoingMessage(
            text="Which order? (where is my order)",
            buttons=(Button(ORDER_BUTTON["title"], ORDER_BUTTON["payload"]),),
        ),
        OutgoingMessage(image="/products/P0001.svg"),
    ]
    (request,) = fake.requests
    assert {k: request[k] for k in ("sender", "message", "metadata")} == {
        "sender": "web:demo-emma",
        "message": "where is my order",
        "metadata": dict(META),
    }


@pytest.mark.parametrize(
    ("setup", "error", "match"),
    [
        ({"delay_s": 1.0}, RasaUnavailable, "did not answer within 0.3s"),
        ({"status": 502, "raw_body": b"bad gateway"}, RasaUnavailable, "answered 502"),
        ({"status": 403, "raw_body": b"forbidden"}, RasaBadResponse, "answered 403"),
        ({"raw_body": b"not json"}, RasaBadResponse, "not the REST channel's JSON list"),
        ({"raw_body": b'{"a": 1}'}, RasaBadResponse, "JSON list"),
        ({"raw_body": b"\xff\xfe"}, RasaBadResponse, "JSON list"),
    ],
    ids=["timeout", "5xx", "4xx", "not-json", "object", "bad-utf8"],
)
async def test_failures_raise_clear_errors(
    fake: FakeRasa, actions: str, setup: dict[str, object], error: type[Exception], match: str
) -> None:
    for key, value in setup.items():
        setattr(fake, key, value)
    async with RasaClient(fake.url, actions, timeout_s=0.3) as client:
        with pytest.raises(error, match=match):
            await client.send("web:u", "hi", META)


async def test_unreachable_rasa(actions: str) -> None:
    url = closed_url()
    async with RasaClient(url, actions) as client:
        with pytest.raises(RasaUnavailable, match=f"cannot reach Rasa at {url}"):
            await client.send("web:u", "hi", META)


async def test_health(fake: FakeRasa, actions: str) -> None:
    async with RasaClient(fake.url, actions) as client:
        rasa, acts = await client.health()
        assert (rasa.ok, acts.ok) == (True, True)
    async with RasaClient(closed_url(), closed_url(), health_timeout_s=1) as client:
        rasa, acts = await client.health()
        assert (rasa.ok, acts.ok) == (False, False)
        assert "cannot reach" in rasa.detail and acts.name == "actions"


async def test_injected_session_is_not_closed(fake: FakeRasa, actions: str) -> None:
    async with aiohttp.ClientSession() as session:
        client = RasaClient(fake.url, actions, session=session)
        await client.start()
        await client.close()
        assert not session.closed
        assert (await client.check_rasa()).ok


async def test_must_be_started(fake: FakeRasa, actions: str) -> None:
    client = RasaClient(fake.url, actions)
    with pytest.raises(RuntimeError, match="start"):
        await client.send("web:u", "hi", META)


@pytest.mark.parametrize(
    ("rasa_url", "timeout_s", "match"),
    [("127.0.0.1:5005", 1.0, "rasa_url"), ("http://x", 0.0, "timeouts must be positive")],
)
def test_bad_arguments(rasa_url: str, timeout_s: float, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        RasaClient(rasa_url, "http://127.0.0.1:5055", timeout_s=timeout_s)


async def test_an_unreachable_rasa_fails_over_to_the_next_and_stays_there(
    fake: FakeRasa, actions: str
) -> None:
    down = closed_url()
    async with RasaClient(down, closed_url(), fallbacks=[(fake.url, actions)]) as client:
        assert await client.send("web:u", "hi", META)
        assert client.rasa_url == fake.url and client.actions_url == actions
        await client.send("web:u", "again", META)
    assert [r["message"] for r in fake.requests] == ["hi", "again"]


async def test_a_rasa_that_fails_otherwise_is_not_retried_but_left_for_the_next_call(
    fake: FakeRasa, actions: str
) -> None:
    second = FakeRasa()
    await second.start()
    try:
        fake.status, fake.raw_body = 502, b"bad gateway"
        async with RasaClient(fake.url, actions, fallbacks=[(second.url, actions)]) as client:
            # The first Rasa may have handled the message: it is not sent to another one now
            # (the pipeline retries and looks the answer up in the shared tracker first).
            with pytest.raises(RasaUnavailable, match="answered 502"):
                await client.send("web:u", "hi", META)
            assert second.requests == [] and client.rasa_url == second.url
            assert await client.send("web:u", "hi", META)
    finally:
        await second.stop()


async def test_every_rasa_unreachable_raises(actions: str) -> None:
    first, second = closed_url(), closed_url()
    async with RasaClient(first, actions, fallbacks=[(second, actions)]) as client:
        with pytest.raises(RasaUnavailable, match="cannot reach Rasa"):
            await client.send("web:u", "hi", META)


async def test_a_pair_whose_action_server_is_down_is_passed_over(
    fake: FakeRasa, actions: str
) -> None:
    async with RasaClient(
        fake.url, closed_url(), health_timeout_s=1, fallbacks=[(fake.url + "/", actions)]
    ) as client:
        await client.require_actions()
        assert client.actions_url == actions
    async with RasaClient(fake.url, closed_url(), health_timeout_s=1) as client:
        with pytest.raises(ActionServerUnavailable):
            await client.require_actions()


async def test_an_empty_answer_of_a_rasa_whose_action_server_died_is_not_used(
    fake: FakeRasa, actions: str
) -> None:
    """Rasa answers 200 with nothing when its action server is gone; another pair's healthy
    action server must not make that answer look good."""
    fake.raw_body = b"[]"
    async with RasaClient(
        fake.url, closed_url(), health_timeout_s=1, fallbacks=[(closed_url(), actions)]
    ) as client:
        with pytest.raises(ActionServerUnavailable, match="without its custom actions"):
            await client.send("web:u", "hi", META)
    async with RasaClient(fake.url, actions) as client:
        assert await client.send("web:u", "hi", META) == []  # its actions are up: a real answer


async def test_the_intent_comes_from_the_answers_header_without_a_tracker_read(
    fake: FakeRasa, actions: str
) -> None:
    fake.intent_header = True
    fake.intents = {"this is the third time I ask": "complaint"}
    async with RasaClient(fake.url, actions, timeout_s=5) as client:
        await client.send("web:demo-emma", "this is the third time I ask", META)
        assert await client.latest_intent("web:demo-emma") == "complaint"
        assert fake.tracker_reads == 0
        # Taken once: asked again, the tracker answers (it holds the same message).
        assert await client.latest_intent("web:demo-emma") == "complaint"
        assert fake.tracker_reads == 1


async def test_without_the_header_the_intent_is_read_from_the_tracker(
    fake: FakeRasa, actions: str
) -> None:
    fake.intents = {"hello": "greet"}
    async with RasaClient(fake.url, actions, timeout_s=5) as client:
        await client.send("web:demo-emma", "hello", META)
        assert await client.latest_intent("web:demo-emma") == "greet"
    assert fake.tracker_reads == 1


async def test_the_run_of_unclear_messages_comes_from_the_tracker(
    fake: FakeRasa, actions: str
) -> None:
    fake.intents = {"hello": "greet", "blorp": "nlu_fallback", "zxq?": "nlu_fallback"}
    async with RasaClient(fake.url, actions, timeout_s=5) as client:
        for text in ("blorp", "hello", "blorp", "zxq?", "blorp"):
            await client.send("web:demo-emma", text, META)
        # Three unclear messages since "hello"; counted up to at_most.
        assert await client.unclear_run("web:demo-emma", "nlu_fallback", at_most=5) == 3
        assert await client.unclear_run("web:demo-emma", "nlu_fallback", at_most=2) == 2
        # Events other than user messages (the bot's answers) do not end a run.
        assert fake.trackers["web:demo-emma"][-1]["event"] == "bot"
        fake.status = 502
        # Rasa cannot tell: the message asked about is the one unclear message known.
        assert await client.unclear_run("web:demo-emma", "nlu_fallback", at_most=5) == 1


async def test_a_failed_send_leaves_no_earlier_messages_intent(
    fake: FakeRasa, actions: str
) -> None:
    fake.intent_header = True
    fake.intents = {"this is useless": "complaint"}
    async with RasaClient(fake.url, actions, timeout_s=0.3) as client:
        await client.send("web:demo-emma", "this is useless", META)
        fake.status = 502
        with pytest.raises(RasaUnavailable):
            await client.send("web:demo-emma", "hello?", META)
        fake.status = 200
        # The header of the message before is not used: the tracker is asked (Rasa's tracker
        # is what knows whether the failed message was logged).
        assert fake.tracker_reads == 0
        await client.latest_intent("web:demo-emma")
    assert fake.tracker_reads == 1
