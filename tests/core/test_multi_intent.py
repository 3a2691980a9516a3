"""Two requests in one message (bot.core.multi_intent): where a message is cut, when a cut is
kept, and how the parts reach Rasa, also on a retry."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.message import OutgoingMessage
from bot.core.multi_intent import MultiIntentSplitter, answer, candidate_splits
from bot.core.rasa_client import EarlyCheck, RasaMetadata, RasaUnavailable, replies_after


class FakeParser:
    """``/model/parse`` from a table of (text -> intent, confidence); others: fallback."""

    def __init__(self, table: dict[str, tuple[str, float]], down: bool = False) -> None:
        self.table = table
        self.down = down
        self.asked: list[str] = []

    async def parse(self, text: str) -> dict[str, Any]:
        self.asked.append(text)
        if self.down:
            raise RasaUnavailable("Rasa is down")
        name, confidence = self.table.get(text, ("nlu_fallback", 0.2))
        return {"intent": {"name": name, "confidence": confidence}}


@pytest.mark.parametrize(
    ("text", "first"),
    [
        (
            "cancel 260420000009 and where is 260315004217",
            ["cancel 260420000009", "where is 260315004217"],
        ),
        (
            "帮我取消订单260420000009，另外260315004217到哪了",
            ["帮我取消订单260420000009", "260315004217到哪了"],
        ),
        ("I want a refund. Also, where is my parcel", ["I want a refund", "where is my parcel"]),
        ("退货怎么弄；还有发票能开吗", ["退货怎么弄", "发票能开吗"]),
        ("cancel it then track the other one", ["cancel it", "track the other one"]),
    ],
)
def test_candidate_splits_cut_at_conjunctions_and_sentence_breaks(
    text: str, first: list[str]
) -> None:
    assert candidate_splits(text)[0] == first


@pytest.mark.parametrize(
    "text", ["where is my order?", "hi, where is my order", "a plus size dress", "and", "然后呢"]
)
def test_no_cut_without_a_conjunction_between_two_parts(text: str) -> None:
    assert candidate_splits(text) == []


def test_three_parts_are_tried_before_single_cuts() -> None:
    ways = candidate_splits("cancel A and track B and refund C")
    assert ways[0] == ["cancel A", "track B", "refund C"]
    assert ["cancel A", "track B and refund C"] in ways


TABLE = {
    "cancel 260420000009": ("cancel_order", 0.91),
    "where is 260315004217": ("order_status", 0.88),
    "where is my order and when will it come": ("order_status", 0.9),
    "where is my order": ("order_status", 0.9),
    "when will it come": ("order_status", 0.7),
    "yes": ("affirm", 0.95),
    "thanks": ("thank", 0.95),
    "帮我取消订单260420000009": ("cancel_order", 0.8),
    "取消订单260420000009": ("cancel_order", 0.8),
    "260315004217到哪了": ("order_status", 0.85),
    "cancel it": ("cancel_order", 0.45),
}


async def test_two_confident_different_requests_are_split() -> None:
    splitter = MultiIntentSplitter(FakeParser(TABLE))
    assert await splitter.split("cancel 260420000009 and where is 260315004217") == [
        "cancel 260420000009",
        "where is 260315004217",
    ]
    assert await splitter.split("帮我取消订单260420000009，另外260315004217到哪了") == [
        "帮我取消订单260420000009",
        "260315004217到哪了",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "where is my order and when will it come",  # the same request twice
        "yes and thanks",  # not requests
        "cancel it and where is 260315004217",  # the first part is not confident
    ],
)
async def test_a_message_that_is_one_request_stays_whole(text: str) -> None:
    assert await MultiIntentSplitter(FakeParser(TABLE)).split(text) == [text]


async def test_switched_off_button_payloads_and_rasa_down_keep_the_message_whole() -> None:
    text = "cancel 260420000009 and where is 260315004217"
    parser = FakeParser(TABLE)
    assert await MultiIntentSplitter(parser, enabled=False).split(text) == [text]
    assert await MultiIntentSplitter(parser).split('/inform{"a":"b and c"}') == [
        '/inform{"a":"b and c"}'
    ]
    assert parser.asked == []
    assert await MultiIntentSplitter(FakeParser(TABLE, down=True)).split(text) == [text]


async def test_the_confidence_floor_is_configurable() -> None:
    splitter = MultiIntentSplitter(FakeParser(TABLE), min_confidence=0.9)
    text = "cancel 260420000009 and where is 260315004217"
    assert await splitter.split(text) == [text]


class FakeRasa:
    """Rasa's REST channel and tracker: remembers the user turns it answered."""

    def __init__(self, answered: list[dict[str, Any]] | None = None) -> None:
        self.events: list[dict[str, Any]] = list(answered or [])
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def require_actions(self, early: EarlyCheck | None = None) -> None:
        return None

    async def send(
        self, sender: str, message: str, metadata: RasaMetadata
    ) -> list[OutgoingMessage]:
        self.sent.append((message, dict(metadata)))
        self.events += [
            {"event": "user", "text": message, "metadata": dict(metadata)},
            {"event": "bot", "text": f"answer to {message}"},
        ]
        return [OutgoingMessage(text=f"answer to {message}")]

    async def replies_for(
        self, sender: str, inbox_id: int, part: int | None = None
    ) -> list[OutgoingMessage] | None:
        return replies_after(self.events, inbox_id, part)


META: RasaMetadata = {
    "channel": "web",
    "external_id": "u1",
    "customer_id": None,
    "language": "en",
    "inbox_id": 7,
}


async def test_parts_go_to_rasa_in_order_with_their_part_numbers() -> None:
    rasa = FakeRasa()
    replies = await answer(rasa, "web:u1", ["cancel A", "where is B"], META, look_up=False)
    assert [r.text for r in replies] == ["answer to cancel A", "answer to where is B"]
    assert [(m, meta["part"], meta["parts"], meta["inbox_id"]) for m, meta in rasa.sent] == [
        ("cancel A", 0, 2, 7),
        ("where is B", 1, 2, 7),
    ]


async def test_a_retry_sends_only_the_parts_rasa_has_not_answered() -> None:
    rasa = FakeRasa()
    await answer(rasa, "web:u1", ["cancel A"], {**META, "part": 0, "parts": 2}, look_up=False)
    rasa.sent.clear()
    replies = await answer(rasa, "web:u1", ["cancel A", "where is B"], META, look_up=True)
    assert [r.text for r in replies] == ["answer to cancel A", "answer to where is B"]
    assert [m for m, _ in rasa.sent] == ["where is B"]  # the cancellation is not repeated
    rasa.sent.clear()
    again = await answer(rasa, "web:u1", ["cancel A", "where is B"], META, look_up=True)
    assert [r.text for r in again] == [r.text for r in replies] and rasa.sent == []


async def test_a_single_message_keeps_its_metadata_and_retry_lookup() -> None:
    rasa = FakeRasa()
    await answer(rasa, "web:u1", ["hello"], META, look_up=False)
    assert "part" not in rasa.sent[0][1]
    rasa.sent.clear()
    replies = await answer(rasa, "web:u1", ["hello"], META, look_up=True)
    assert [r.text for r in replies] == ["answer to hello"] and rasa.sent == []


def test_later_parts_key_their_side_effects_apart_from_the_first() -> None:
    from bot.actions._common import message_id_of

    first = {"event": "user", "metadata": {"inbox_id": 7, "part": 0, "parts": 2}}
    second = {"event": "user", "metadata": {"inbox_id": 7, "part": 1, "parts": 2}}
    whole = {"event": "user", "metadata": {"inbox_id": 7}}
    assert message_id_of(first) == message_id_of(whole) == "inbox-7"
    assert message_id_of(second) == "inbox-7-1"
