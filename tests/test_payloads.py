"""Button payloads (bot/payloads.py): one compact format, read back the same."""

from __future__ import annotations

from typing import Any

import pytest

from bot.payloads import button, parse_payload, payload


@pytest.mark.parametrize(
    ("intent", "entities", "expected"),
    [
        ("request_human", {}, "/request_human"),
        ("inform", {"order_id": "260315004217"}, '/inform{"order_id":"260315004217"}'),
        ("product_inquiry", {"product": "无线耳机"}, '/product_inquiry{"product":"无线耳机"}'),
        (
            "recommend_products",
            {"product_id": "P0001", "rec_feedback": "like"},
            '/recommend_products{"product_id":"P0001","rec_feedback":"like"}',
        ),
        ("faq", {"faq_topic": "faq/shipping_fee"}, '/faq{"faq_topic":"faq/shipping_fee"}'),
    ],
)
def test_payloads_are_compact_and_read_back(
    intent: str, entities: dict[str, Any], expected: str
) -> None:
    built = payload(intent, entities)
    assert built == expected
    assert parse_payload(built) == (intent, entities)


def test_keyword_entities_and_buttons() -> None:
    assert payload("cancel_order", order_id="1") == '/cancel_order{"order_id":"1"}'
    assert button("Yes", "affirm") == {"title": "Yes", "payload": "/affirm"}


@pytest.mark.parametrize("bad", ["", "bad intent", "1abc", "inform{}"])
def test_bad_intent_names_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="intent"):
        payload(bad)


@pytest.mark.parametrize(
    "text", ["hello", "/", '/inform{"order_id":', "/inform[1, 2]", '/inform["a"]', "/x y"]
)
def test_what_is_not_a_payload_reads_as_none(text: str) -> None:
    assert parse_payload(text) is None
