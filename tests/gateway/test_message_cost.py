"""The database work of one web chat message, counted on the real path (README "Every message
answered exactly once"): a ceiling that fails when a change adds round trips per message."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schema import outbox
from bot.storage.statement_count import StatementCounter
from tests.gateway.helpers import MakeClient

# Per /api/chat message of a known customer, answered by Rasa, with the handoff router and the
# emotion-aware replies on (the defaults): accept (inbox row and conversation record), claim,
# the customer, the language with the message's log entry and the record, the handoff state,
# the recent texts' sentiment, the answer (outbox rows, inbox done, log), the drain's look for
# a next message, the inline claim and its confirmation. Two replies: two outbox rows.
STATEMENTS = 16
COMMITS = 7  # accept, claim, language and record, answer, next look, inline claim, confirm
# Before (same count, same fake Rasa): 19 statements and 8 commits, plus two rounds of the
# pipeline's worker (4 statements) woken by every inline answer.


async def _delivered(engine: AsyncEngine, within_s: float = 10.0) -> None:
    """Wait until no reply is held for an HTTP response any more: the web chat confirms the
    delivery after the response is written, the last statement of the request."""
    for _ in range(int(within_s / 0.01)):
        async with engine.connect() as conn:
            held = (await conn.execute(select(outbox.c.id).where(outbox.c.status != "sent"))).all()
        if not held:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"replies still held after {within_s} s")


async def test_statements_per_message_stay_under_the_ceiling(
    make_client: MakeClient, engine: AsyncEngine
) -> None:
    client = await make_client(
        web={"messages_per_minute_per_sender": 0, "messages_per_minute_per_ip": 0},
        delivery={"poll_interval_s": 3600.0},  # only wake-ups: every round is the message's
    )
    sender = "demo-emma"  # a known customer

    async def send(text: str) -> dict[str, Any]:
        response = await client.post("/api/chat", json={"sender_id": sender, "text": text})
        assert response.status == 200
        body: dict[str, Any] = await response.json()
        await _delivered(engine)
        return body

    await send("hello")  # first uses: the sentiment model, caches
    counts = []
    with StatementCounter(engine) as counter:
        counter.ignore_current_task()
        for text in ("where is my order 260315004217", "我的订单到哪了", "thanks"):
            counter.reset()
            body = await send(text)
            assert len(body["messages"]) == 2  # the stand-in Rasa's question and image
            got = counter.reset()
            woken = [sql for task, sql in got.background if task == "pipeline-worker"]
            counts.append((len(got.statements), len(got.commits), len(woken)))
            # The statements are real: the answer was stored, then delivered inline.
            kinds = {sql.split()[0] for _task, sql in got.statements}
            assert {"INSERT", "UPDATE", "SELECT"} <= kinds
    for statements, commits, background in counts:
        assert statements <= STATEMENTS, counts
        assert commits <= COMMITS, counts
        assert background == 0, counts  # an inline answer wakes no pipeline worker round
