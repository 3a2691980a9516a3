"""The review queue's rows: redacted text only, one row per message and kind, identical texts
counted, listing and closing."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import review
from bot.storage.studio_schema import review_items


async def _collect(engine: AsyncEngine, text: str, key: str, **values: object) -> int | None:
    defaults: dict[str, object] = {
        "kind": "low_confidence",
        "language": "en",
        "conversation_id": "web:u1",
        "intent": "order_status",
        "confidence": 0.41,
    }
    return await review.collect(
        engine,
        text=text,
        message_key=key,
        **{**defaults, **values},  # type: ignore[arg-type]
    )


async def test_only_the_redacted_text_is_stored(engine: AsyncEngine) -> None:
    item_id = await _collect(engine, "call 13812345678 about 260315004217", "web:u1:m1")
    assert item_id is not None
    async with engine.connect() as conn:
        stored = [tuple(r) for r in await conn.execute(select(review_items))]
    assert "13812345678" not in repr(stored)
    item = await review.get(engine, item_id)
    assert item is not None
    assert item["text"] == "call <phone> about 260315004217"
    assert (item["kind"], item["intent"], item["confidence"]) == (
        "low_confidence",
        "order_status",
        0.41,
    )


async def test_one_message_is_collected_once_per_kind(engine: AsyncEngine) -> None:
    first = await _collect(engine, "hmm the thing", "web:u1:m1")
    assert await _collect(engine, "hmm the thing", "web:u1:m1") is None  # the action ran again
    other = await _collect(engine, "hmm the thing", "web:u1:m1", kind="fallback")
    assert first is not None and other is not None and other != first
    found, total = await review.items(engine)
    assert total == 2 and all(item["count"] == 1 for item in found)


async def test_identical_redacted_texts_are_counted(engine: AsyncEngine) -> None:
    # Two customers, two phone numbers: the same text once redacted.
    a = await _collect(engine, "my phone 13812345678 no sms", "web:u1:m1")
    b = await _collect(engine, "My phone  13987654321 no SMS", "web:u2:m9", conversation_id="x")
    assert a == b
    [item], total = await review.items(engine)
    assert total == 1 and item["count"] == 2
    assert item["conversation_id"] == "web:u1"  # the first one


async def test_payloads_and_empty_texts_are_not_collected(engine: AsyncEngine) -> None:
    assert await _collect(engine, '/order_status{"order_id": "1"}', "web:u1:m1") is None
    assert await _collect(engine, "   ", "web:u1:m2") is None
    assert (await review.items(engine))[1] == 0


async def test_list_filters_pages_and_orders_by_count(engine: AsyncEngine) -> None:
    for i, text in enumerate(["alpha one", "beta two", "beta two", "gamma three"]):
        await _collect(engine, text, f"web:u1:m{i}")
    await _collect(engine, "delta four", "web:u1:m9", kind="handoff")
    found, total = await review.items(engine, status="open", limit=2)
    assert total == 4 and found[0]["text"] == "beta two"  # 3 texts and a handoff
    assert len(found) == 2
    page, _ = await review.items(engine, limit=2, offset=3)
    assert len(page) == 1
    handoffs, count = await review.items(engine, kind="handoff")
    assert count == 1 and handoffs[0]["text"] == "delta four"


async def test_closing_closes_the_same_text_of_other_kinds_once(engine: AsyncEngine) -> None:
    a = await _collect(engine, "where is the parcel", "web:u1:m1")
    b = await _collect(engine, "where is the parcel", "web:u1:m1", kind="fallback")
    c = await _collect(engine, "something else", "web:u1:m2")
    assert a and b and c
    closed = await review.close(engine, a, status="labelled", label="order_status", reviewer="wang")
    assert closed == sorted([a, b])
    assert await review.close(engine, b, status="dismissed", label=None, reviewer="wang") == []
    item = await review.get(engine, b)
    assert item is not None and (item["status"], item["label"], item["reviewer"]) == (
        "labelled",
        "order_status",
        "wang",
    )
    # A later occurrence counts on the labelled item and does not reopen it.
    await _collect(engine, "where is the parcel", "web:u3:m1")
    again = await review.get(engine, a)
    assert again is not None and again["status"] == "labelled" and again["count"] == 2


async def test_unknown_kinds_are_refused(engine: AsyncEngine) -> None:
    with pytest.raises(ValueError, match="unknown review kind"):
        await _collect(engine, "x y z", "k", kind="whatever")
