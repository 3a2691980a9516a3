"""Handoffs in the metrics: a started handoff counts by trigger and status, and the waiting
gauge follows it until staff claim it (the handoff harness: real pipeline and service,
scripted Rasa, a recording staff desk)."""

from __future__ import annotations

from bot.observability import metrics
from bot.observability.scrape import read_backlog
from bot.storage.times import as_utc
from tests.handoff.harness import STAFF, MakeHarness, eventually
from tests.handoff.harness import make_harness as make_harness  # the fixture

STARTED = "shop_handoffs_started_total"


def started(reason: str, status: str) -> float:
    return metrics.HANDOFFS_STARTED.labels(reason=reason, status=status)._value.get()


async def test_a_requested_handoff_counts_and_waits_until_claimed(
    make_harness: MakeHarness,
) -> None:
    h = await make_harness()
    before = started("customer_request", "waiting")
    await h.say("I want a real person")
    handoff = await h.record()
    assert handoff.status == "waiting"
    assert started("customer_request", "waiting") - before == 1
    await read_backlog(h.engine, as_utc(handoff.created_at))
    assert metrics.HANDOFFS_WAITING._value.get() == 1
    exposition = metrics.exposition(metrics.GATEWAY).decode()
    assert f'{STARTED}{{reason="customer_request",status="waiting"}}' in exposition

    await eventually(lambda: bool(h.staff.opened))
    assert (await h.service.claim(handoff.id, STAFF)).result == "ok"
    await read_backlog(h.engine, as_utc(handoff.created_at))
    assert metrics.HANDOFFS_WAITING._value.get() == 0
    # Asking again while staff have it starts nothing new.
    await h.say("real person please")
    assert started("customer_request", "waiting") - before == 1
