"""Two gateway replicas on one PostgreSQL database behave like one (README "Running more than
one gateway"): push wake-ups, rate limits, the WeChat token, photos and the handoff worker.

Each test builds two of everything in this process, each replica with its own engine, on a
scratch database created for the test and dropped after it. Runs when SHOP_TEST_POSTGRES_URL
names a server the tests may create databases on (as in ``make test``); skipped otherwise.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.web.adapter import WebAdapter
from adapters.web.limits import SharedBuckets
from adapters.wechat.client import WeChatApi
from bot.core.message import IncomingMessage
from bot.core.shared import (
    OUTBOX_CHANNEL,
    PgListener,
    SharedToken,
    cluster_lock,
    notify,
    run_alone,
)
from bot.gateway.__main__ import build_app
from bot.gateway.context import MEDIA_KEY
from bot.handoff.store import Handoff
from bot.storage.db import create_engine
from bot.storage.shared_schema import api_tokens, rate_buckets
from tests.adapters.fake_wechat import (
    APP_ID,
    APP_SECRET,
    JPEG_BYTES,
    PNG_1PX,
    FakeWeChat,
    WeChatClient,
)
from tests.adapters.test_wechat import Gateway, wechat_config
from tests.gateway.conftest import actions_url as actions_url  # a fixture
from tests.gateway.conftest import fake_rasa as fake_rasa  # a fixture
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import SigningClient, make_config
from tests.gateway.test_push import read_events
from tests.handoff.harness import Harness, MakeHarness, eventually
from tests.handoff.harness import make_harness as make_harness  # a fixture
from tests.postgres import SERVER_URL, scratch_database

pytestmark = pytest.mark.skipif(
    not SERVER_URL, reason="set SHOP_TEST_POSTGRES_URL to run the PostgreSQL checks"
)

FAST = {"poll_interval_s": 0.05, "retry_base_s": 0.05, "retry_max_s": 0.2}
IDLE = {"poll_interval_s": 60.0}  # a replica whose workers only run when woken


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """The URL of a scratch PostgreSQL database with the gateway tests' shop rows."""
    from tests.gateway.seed import seed_shop

    async with scratch_database("shop_share") as url:
        seeder = create_engine(url)
        await seed_shop(seeder)
        await seeder.dispose()
        yield url


@pytest.fixture
async def engines(database: str) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """One engine per replica."""
    a, b = create_engine(database), create_engine(database)
    yield a, b
    await a.dispose()
    await b.dispose()


@pytest.fixture
async def engine(engines: tuple[AsyncEngine, AsyncEngine]) -> AsyncEngine:
    """The database for the handoff harness (tests/handoff/harness.py)."""
    return engines[0]


Replicas = tuple[SigningClient, SigningClient]


@pytest.fixture
async def replicas(
    tmp_path: Path,
    engines: tuple[AsyncEngine, AsyncEngine],
    fake_rasa: FakeRasa,
    actions_url: str,
    request: pytest.FixtureRequest,
) -> AsyncIterator[Replicas]:
    """Gateways A and B on one database and one media folder; A's workers poll fast, B's only
    run when woken (so what A's request caused is sent by A)."""
    extra: dict[str, dict[str, Any]] = getattr(request, "param", {})
    clients: list[SigningClient] = []
    for engine, delivery in zip(engines, (FAST, IDLE), strict=True):
        cfg = make_config(
            tmp_path,
            rasa_url=fake_rasa.url,
            actions_url=actions_url,
            delivery=delivery,
            channels={"media_dir": str(tmp_path / "media")},
            **extra,
        )
        client = SigningClient(TestServer(build_app(cfg, engine=engine)))
        await client.start_server()
        clients.append(client)
    yield clients[0], clients[1]
    for client in clients:
        await client.close()


def web_adapter(client: SigningClient) -> WebAdapter:
    for route in client.server.app.router.routes():
        owner = getattr(route.handler, "__self__", None)
        if isinstance(owner, WebAdapter):
            return owner
    raise AssertionError("the app has no web chat")


async def test_an_answer_sent_by_gateway_a_wakes_a_stream_on_b_at_once(
    replicas: Replicas, fake_rasa: FakeRasa
) -> None:
    a, b = replicas
    on_b = web_adapter(b)
    on_b.poll_s = 30.0  # B's stream would look again only after 30 s: the wake-up is NOTIFY's
    listener = on_b.listener
    assert listener is not None
    await asyncio.wait_for(listener.listening.wait(), 5)
    stream = await b.get("/api/chat/events?sender_id=u2")
    assert stream.status == 200
    fake_rasa.status = 503  # the answer comes later, through A's outbox worker
    resp = await a.post("/api/chat", json={"sender_id": "u2", "text": "where is my order"})
    assert resp.status == 503
    fake_rasa.status = 200
    # Within 5 s while B's own poll would take 30: only A's NOTIFY can have woken the stream.
    events = await asyncio.wait_for(read_events(stream, 1), 5)
    assert events[0][1]["text"]
    stream.close()


async def test_the_listener_reconnects_after_its_connection_is_killed(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    import asyncpg

    woken: list[str] = []
    reconnects: list[int] = []
    a, b = engines
    listener = PgListener(
        b, OUTBOX_CHANNEL, woken.append, on_reconnect=lambda: reconnects.append(1), ping_s=0.5
    )
    listener.start()
    try:
        await asyncio.wait_for(listener.listening.wait(), 5)
        first_pid = listener.pid
        dsn = a.url.set(drivername="postgresql").render_as_string(hide_password=False)
        killer = await asyncpg.connect(dsn)
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", first_pid)
        finally:
            await killer.close()
        await eventually(lambda: listener.pid != first_pid and listener.listening.is_set(), 10)
        assert reconnects == [1]
        await notify(a, OUTBOX_CHANNEL, "web:after-reconnect")
        await eventually(lambda: woken == ["web:after-reconnect"], 5)
    finally:
        await listener.close()


@pytest.mark.parametrize("replicas", [{"web": {"guests_per_minute_per_ip": 3}}], indirect=True)
async def test_the_rate_limit_counts_requests_to_both_gateways(replicas: Replicas) -> None:
    a, b = replicas
    statuses = []
    for client in (a, b, a, b):
        resp = await client.post("/api/chat/guest")
        statuses.append(resp.status)
        if resp.status == 429:
            body = await resp.json()
            assert "guests_per_minute_per_ip" in body["error"]
            assert int(resp.headers["Retry-After"]) >= 1
    assert statuses == [200, 200, 200, 429]


@pytest.mark.parametrize("replicas", [{"web": {"shared_limits": "off"}}], indirect=True)
async def test_with_shared_limits_off_each_gateway_counts_for_itself(replicas: Replicas) -> None:
    a, b = replicas
    assert type(web_adapter(a).guest_buckets).__name__ == "TokenBuckets"
    statuses = [(await c.post("/api/chat/guest")).status for c in (a, b)]
    assert statuses == [200, 200]


async def test_a_photo_saved_by_gateway_a_is_served_by_b(replicas: Replicas) -> None:
    a, b = replicas
    url, mime = a.server.app[MEDIA_KEY].save(PNG_1PX)
    assert mime == "image/png"
    resp = await b.get(url)
    assert resp.status == 200
    assert await resp.read() == PNG_1PX
    missing = await b.get("/media/" + "0" * 64 + ".png")
    assert missing.status == 404
    assert (await missing.json())["field"] == "name"


async def test_two_replicas_saving_one_photo_at_once_both_succeed(replicas: Replicas) -> None:
    a, b = replicas
    saved = await asyncio.gather(
        *(asyncio.to_thread(client.server.app[MEDIA_KEY].save, PNG_1PX) for client in (a, b, a, b))
    )
    assert len({url for url, _ in saved}) == 1


@pytest.fixture
async def fake_wechat() -> AsyncIterator[FakeWeChat]:
    fake = FakeWeChat()
    await fake.start()
    yield fake
    await fake.stop()


async def test_two_replicas_fetch_the_wechat_token_once(
    engines: tuple[AsyncEngine, AsyncEngine], fake_wechat: FakeWeChat
) -> None:
    async with aiohttp.ClientSession() as session:
        apis = [
            WeChatApi(
                session,
                fake_wechat.url,
                APP_ID,
                APP_SECRET,
                shared=SharedToken(engine, f"wechat:{APP_ID}"),
            )
            for engine in engines
        ]
        tokens = await asyncio.gather(*(api.access_token() for api in apis * 3))
        assert len(set(tokens)) == 1
        assert len(fake_wechat.token_calls()) == 1
        # WeChat refuses it on A: A fetches a new one, and B takes A's instead of fetching.
        apis[0].invalidate(tokens[0])
        newer = await apis[0].access_token()
        assert newer != tokens[0]
        apis[1].invalidate(tokens[0])
        assert await apis[1].access_token() == newer
        assert len(fake_wechat.token_calls()) == 2
    async with engines[0].connect() as conn:
        row = (await conn.execute(select(api_tokens))).one()
    assert row.name == f"wechat:{APP_ID}" and row.token == newer


async def test_the_cluster_lock_is_held_by_one_replica(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    a, b = engines
    async with cluster_lock(a, "x") as first:
        async with cluster_lock(b, "x") as second:
            assert (first, second) == (True, False)
        async with cluster_lock(b, "y") as other:
            assert other
    async with cluster_lock(b, "x") as again:
        assert again


async def test_two_handoff_workers_open_one_slack_thread_and_relay_once(
    make_harness: MakeHarness,
) -> None:
    await race_two_workers(await make_harness(), await make_harness())


async def race_two_workers(a: Harness, b: Harness) -> None:
    """Two gateways' handoff workers with a slow Slack: one thread, each message posted once."""
    for harness in (a, b):
        desk = harness.staff
        plain_open, plain_post = desk.open_thread, desk.post_message

        async def slow_open(handoff: Handoff, plain: Any = plain_open) -> tuple[str, str]:
            await asyncio.sleep(0.2)  # Slack's latency: long enough for the other to race
            result: tuple[str, str] = await plain(handoff)
            return result

        async def slow_post(handoff: Handoff, message: Any, plain: Any = plain_post) -> None:
            await asyncio.sleep(0.05)
            await plain(handoff, message)

        desk.open_thread = slow_open  # type: ignore[method-assign]
        desk.post_message = slow_post  # type: ignore[method-assign]
    await a.say("real person")
    record = await a.record()
    await eventually(lambda: len(a.staff.opened) + len(b.staff.opened) >= 1)
    # The customer's next messages reach the other gateway; they go to the thread.
    for text in ("still there?", "hello?"):
        message = IncomingMessage(channel="telegram", external_id="501", text=text)
        await b.pipeline.submit(message, address={"chat_id": 501}, wait_s=5)
    await eventually(lambda: len(a.staff.posted) + len(b.staff.posted) >= 2)
    await asyncio.gather(*(h.service.worker.tick() for h in (a, b, a, b)))
    await asyncio.sleep(0.5)  # both workers keep running their rounds meanwhile
    assert len(a.staff.opened) + len(b.staff.opened) == 1
    posted = [m.id for _, m in a.staff.posted + b.staff.posted]
    assert len(posted) == len(set(posted))
    texts = [m.text for _, m in a.staff.posted + b.staff.posted]
    assert texts.count("still there?") == texts.count("hello?") == 1
    stored = await a.service.store.get(record.id)
    assert stored is not None and stored.thread_ts is not None


async def test_shared_buckets_count_both_replicas_and_forget_idle_keys(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    a, b = engines
    on_a, on_b = SharedBuckets(a, "test", 60), SharedBuckets(b, "test", 60)  # one a second
    waits = await asyncio.gather(*(limiter.take("k") for limiter in (on_a, on_b) * 30))
    assert waits == [0.0] * 60  # a burst of up to a minute's worth, counted once
    wait = await on_b.take("k")
    assert 0.0 < wait <= 1.0  # the next token comes within a second
    assert await on_a.take("other key") == 0.0
    async with a.begin() as conn:
        await conn.execute(
            update(rate_buckets)
            .where(rate_buckets.c.bucket == "test:k")
            .values(at=func.now() - timedelta(minutes=10))
        )
    assert await on_a.prune() == 1  # idle for 10 minutes: full again, so forgotten
    assert await on_b.take("k") == 0.0


async def test_work_run_alone_moves_to_the_other_replica_when_its_holder_stops(
    engines: tuple[AsyncEngine, AsyncEngine],
) -> None:
    a, b = engines
    running: list[str] = []
    stop_a = asyncio.Event()

    async def work(name: str, stop: asyncio.Event) -> None:
        running.append(name)
        await stop.wait()

    first = asyncio.create_task(run_alone(a, "poll", lambda: work("a", stop_a), retry_s=0.05))
    await eventually(lambda: running == ["a"])
    second = asyncio.create_task(
        run_alone(b, "poll", lambda: work("b", asyncio.Event()), retry_s=0.05)
    )
    await asyncio.sleep(0.3)
    assert running == ["a"]  # b waits while a holds the lock
    first.cancel()  # replica A stops (a crash frees the lock with its connection)
    await asyncio.gather(first, return_exceptions=True)
    await eventually(lambda: running == ["a", "b"])
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)


async def test_a_wechat_photo_received_by_a_is_served_by_b_on_one_token(
    tmp_path: Path,
    engines: tuple[AsyncEngine, AsyncEngine],
    fake_rasa: FakeRasa,
    actions_url: str,
    fake_wechat: FakeWeChat,
) -> None:
    fake_wechat.media.update({"MEDIA_A": PNG_1PX, "MEDIA_B": JPEG_BYTES})
    gateways: list[Gateway] = []
    try:
        for engine in engines:
            cfg = wechat_config(
                tmp_path, rasa_url=fake_rasa.url, actions_url=actions_url, api_url=fake_wechat.url
            )
            http: Any = TestClient(TestServer(build_app(cfg, engine=engine)))
            await http.start_server()
            gateways.append(Gateway(http, WeChatClient()))
        a, b = gateways
        status, _ = await a.post(a.wechat.image_xml("oA", pic_url="", media_id="MEDIA_A"))
        assert status == 200
        [attachment] = fake_rasa.requests[-1]["metadata"]["attachments"]
        resp = await b.http.get(attachment["url"])  # stored by A, served by B
        assert resp.status == 200 and await resp.read() == PNG_1PX
        status, _ = await b.post(b.wechat.image_xml("oB", pic_url="", media_id="MEDIA_B"))
        assert status == 200
        [attachment] = fake_rasa.requests[-1]["metadata"]["attachments"]
        resp = await a.http.get(attachment["url"])
        assert resp.status == 200 and await resp.read() == JPEG_BYTES
        # B downloaded its photo with the token A fetched: one token for both gateways.
        assert len(fake_wechat.token_calls()) == 1
        assert fake_wechat.paths().count("/cgi-bin/media/get") == 2
    finally:
        for gateway in gateways:
            await gateway.close()
