"""The internal message type and its conversion from Rasa's REST channel answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.core.message import (
    Attachment,
    Button,
    IncomingMessage,
    OutgoingMessage,
    ProductCard,
    messages_from_rasa,
)


def test_conversation_id_and_content() -> None:
    text = IncomingMessage(channel="telegram", external_id="12345", text="hi")
    button = IncomingMessage(channel="web", external_id="demo-liwei", payload="/greet")
    assert (text.conversation_id, text.content) == ("telegram:12345", "hi")
    assert (button.conversation_id, button.content) == ("web:demo-liwei", "/greet")
    assert text.received_at.tzinfo is not None


def test_incoming_is_frozen_including_metadata() -> None:
    meta = {"thread_ts": "1.2"}
    msg = IncomingMessage(channel="slack", external_id="U1", text="hi", metadata=meta)
    meta["thread_ts"] = "changed"
    assert msg.metadata["thread_ts"] == "1.2"
    with pytest.raises(TypeError):
        msg.metadata["x"] = 1  # type: ignore[index]
    with pytest.raises(AttributeError):
        msg.text = "other"  # type: ignore[misc]


def test_attachment_only_message() -> None:
    photo = Attachment(kind="image", url="/media/1.jpg", mime_type="image/jpeg")
    msg = IncomingMessage(channel="telegram", external_id="1", attachments=(photo,))
    assert msg.content == ""


@pytest.mark.parametrize(
    ("kwargs", "problem"),
    [
        ({"channel": "Web", "external_id": "u", "text": "x"}, "channel"),
        ({"channel": "", "external_id": "u", "text": "x"}, "channel"),
        ({"channel": "web", "external_id": "", "text": "x"}, "external_id"),
        ({"channel": "web", "external_id": "a b", "text": "x"}, "external_id"),
        ({"channel": "web", "external_id": "a" * 129, "text": "x"}, "external_id"),
        ({"channel": "web", "external_id": "u", "text": "x", "payload": "/y"}, "not both"),
        ({"channel": "web", "external_id": "u"}, "needs text"),
        ({"channel": "web", "external_id": "u", "payload": "greet"}, "start with '/'"),
        (
            {
                "channel": "web",
                "external_id": "u",
                "text": "x",
                "received_at": datetime(2026, 1, 1),
            },
            "timezone",
        ),
    ],
)
def test_incoming_rejects_bad_values(kwargs: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        IncomingMessage(**kwargs)


RASA_CASES: list[tuple[str, Any, list[OutgoingMessage]]] = [
    ("empty", [], []),
    ("text", [{"recipient_id": "web:u", "text": "hi"}], [OutgoingMessage(text="hi")]),
    (
        "buttons",
        [
            {
                "text": "Which?",
                "buttons": [{"title": "A", "payload": "/a"}, {"title": "B", "payload": "/b"}],
            }
        ],
        [OutgoingMessage(text="Which?", buttons=(Button("A", "/a"), Button("B", "/b")))],
    ),
    (
        "url button skipped",
        [{"text": "See", "buttons": [{"title": "Site", "url": "https://x", "type": "web_url"}]}],
        [OutgoingMessage(text="See")],
    ),
    ("image", [{"image": "/products/P1.svg"}], [OutgoingMessage(image="/products/P1.svg")]),
    (
        "custom",
        [{"custom": {"type": "product_cards", "products": []}}],
        [OutgoingMessage(custom={"type": "product_cards", "products": []})],
    ),
    ("non-object skipped", ["hello", None, {"text": "ok"}], [OutgoingMessage(text="ok")]),
    ("empty entry skipped", [{"recipient_id": "web:u"}], []),
    ("wrong types ignored", [{"text": 5, "image": ["x"], "custom": "y", "buttons": "z"}], []),
]


@pytest.mark.parametrize(
    ("raw", "expected"), [(r, e) for _, r, e in RASA_CASES], ids=[n for n, _, _ in RASA_CASES]
)
def test_messages_from_rasa(raw: Any, expected: list[OutgoingMessage]) -> None:
    assert messages_from_rasa(raw) == expected


@pytest.mark.parametrize("raw", [{"text": "hi"}, "hi", None, 3])
def test_messages_from_rasa_needs_a_list(raw: Any) -> None:
    with pytest.raises(ValueError, match="JSON list"):
        messages_from_rasa(raw)


def test_to_json_round_trip() -> None:
    custom = {"type": "product_cards", "products": [{"id": "P1", "name": "Mug", "price": 39.0}]}
    msg = OutgoingMessage(text="t", buttons=(Button("A", "/a"),), image="/i.svg", custom=custom)
    assert msg.to_json() == {
        "text": "t",
        "buttons": [{"title": "A", "payload": "/a"}],
        "image": "/i.svg",
        "custom": custom,
    }
    assert OutgoingMessage(text="only").to_json() == {"text": "only"}


def test_product_cards() -> None:
    custom = {
        "type": "product_cards",
        "products": [
            {
                "id": "P1",
                "name": "Mug",
                "price": 39,
                "price_text": "¥39.00",
                "image": "/products/P1.svg",
                "rating": 4.5,
                "stock": 3,
                "payload": '/product_inquiry{"product":"P1"}',
                "buttons": [{"title": "Buy", "payload": "/buy"}],
            },
            {"id": "P2", "name": "Kettle", "price_cents": 12990, "stock": True},
            {"name": "no id"},
            "junk",
        ],
    }
    cards = OutgoingMessage(custom=custom).product_cards
    assert cards == (
        ProductCard(
            id="P1",
            name="Mug",
            price=39.0,
            price_text="¥39.00",
            image="/products/P1.svg",
            rating=4.5,
            stock=3,
            payload='/product_inquiry{"product":"P1"}',
            buttons=(Button("Buy", "/buy"),),
        ),
        ProductCard(id="P2", name="Kettle", price=129.9),
    )
    assert OutgoingMessage(custom={"type": "other"}).product_cards == ()
    assert OutgoingMessage(text="x").product_cards == ()
