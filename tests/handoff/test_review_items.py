"""Handoffs and handoff ratings of 1-2 go to the review queue, redacted; a good rating does not."""

from __future__ import annotations

import json

import pytest

from bot.handoff.rules import RATING_INTENT
from bot.services import review
from tests.handoff.harness import STAFF, Harness, MakeHarness, eventually

pytestmark = pytest.mark.timeout(60)


async def _resolved(make_harness: MakeHarness, text: str, user: str) -> tuple[Harness, int]:
    h = await make_harness()
    await h.say(text, user=user)
    record = await h.record(f"telegram:{user}")
    assert (await h.service.claim(record.id, STAFF)).result == "ok"
    assert (await h.service.resolve(record.id, STAFF)).result == "ok"
    await eventually(lambda: any("Anna" in (t or "") for t in h.sender.texts()))
    return h, record.id


def _rating(handoff_id: int, stars: int) -> str:
    return f"/{RATING_INTENT}" + json.dumps({"rating": stars, "handoff_id": handoff_id})


async def test_a_handoff_and_its_low_rating_are_collected(make_harness: MakeHarness) -> None:
    h, handoff_id = await _resolved(
        make_harness, "my number is 13812345678, get me a real person", "501"
    )
    [item] = (await review.items(h.engine, kind="handoff"))[0]
    assert item["text"] == "my number is <phone>, get me a real person"
    assert item["detail"] == {"reason": "customer_request", "handoff_id": handoff_id}
    assert item["conversation_id"] == "telegram:501" and item["status"] == "open"

    await h.say(payload=_rating(handoff_id, 2), user="501")
    [low] = (await review.items(h.engine, kind="low_rating"))[0]
    assert low["text"] == "my number is <phone>, get me a real person"
    assert low["detail"]["rating"] == 2 and low["detail"]["handoff_id"] == handoff_id
    # The same rating again (a second tap) is not a second row.
    await h.say(payload=_rating(handoff_id, 1), user="501")
    [again] = (await review.items(h.engine, kind="low_rating"))[0]
    assert again["count"] == 1


async def test_a_good_rating_is_not_collected(make_harness: MakeHarness) -> None:
    h, handoff_id = await _resolved(make_harness, "real person please", "502")
    await h.say(payload=_rating(handoff_id, 4), user="502")
    assert (await review.items(h.engine, kind="low_rating"))[1] == 0
