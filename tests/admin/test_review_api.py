"""The review queue's API: listing with filters, labelling into the NLU files of a project copy
(validation, the held-out refusal, audit rows), out of scope, dismissing; roles and CSRF; bad
input gets 400 naming the field."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from bot.services import review
from bot.studio import accounts
from bot.studio.overlap import nlu_examples
from tests.admin.conftest import AUTH, Studio

pytestmark = pytest.mark.timeout(60)
PASSWORD = "correct horse battery"


async def _item(studio: Studio, text: str, *, kind: str = "low_confidence", key: str = "") -> int:
    item_id = await review.collect(
        studio.engine,
        kind=kind,
        text=text,
        language="zh" if any("\u4e00" <= c <= "\u9fff" for c in text) else "en",
        conversation_id="web:u1",
        message_key=key or f"web:u1:{text}",
        intent="order_status",
        confidence=0.42,
    )
    assert item_id is not None
    return item_id


def _examples(studio: Studio, intent: str) -> list[str]:
    return [
        text
        for path in sorted((studio.project / "data" / "nlu").glob("*.yml"))
        for name, text in nlu_examples(path)
        if name == intent
    ]


async def _decide(studio: Studio, item_id: int | str, body: Any, **headers: str) -> Any:
    return await studio.client.post(
        f"/api/admin/review/{item_id}", json=body, headers=headers or AUTH
    )


async def test_list_with_filters_and_paging(studio: Studio) -> None:
    await _item(studio, "where my parcel gone")
    await _item(studio, "where my parcel gone", key="web:u2:m1")  # counted, not a new row
    await _item(studio, "get me someone", kind="handoff")
    response = await studio.client.get("/api/admin/review", headers=AUTH)
    assert response.status == 200
    body = await response.json()
    assert body["total"] == 2
    first = body["items"][0]
    assert (first["text"], first["count"], first["kind"]) == (
        "where my parcel gone",
        2,
        "low_confidence",
    )
    assert set(first) >= {
        "id", "kind", "text", "language", "intent", "confidence", "conversation_id",
        "created_at", "status", "label", "reviewer", "count",
    }  # fmt: skip
    handoffs = await studio.client.get(
        "/api/admin/review", params={"kind": "handoff", "status": "open"}, headers=AUTH
    )
    assert [i["text"] for i in (await handoffs.json())["items"]] == ["get me someone"]
    paged = await studio.client.get(
        "/api/admin/review", params={"limit": "1", "offset": "1"}, headers=AUTH
    )
    paged_body = await paged.json()
    assert paged_body["total"] == 2 and len(paged_body["items"]) == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "closed"}, "status"),
        ({"kind": "angry"}, "kind"),
        ({"limit": "0"}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
async def test_list_refuses_bad_queries(studio: Studio, query: dict[str, str], field: str) -> None:
    response = await studio.client.get("/api/admin/review", params=query, headers=AUTH)
    assert response.status == 400
    assert (await response.json())["field"] == field


async def test_labelling_adds_the_phrase_to_the_intent_and_audits(studio: Studio) -> None:
    item_id = await _item(studio, "my parcel 260315004217 has gone quiet, call 13812345678")
    response = await _decide(studio, item_id, {"intent": "order_status"})
    assert response.status == 200, await response.text()
    body = await response.json()
    assert (body["status"], body["label"], body["reviewer"]) == (
        "labelled",
        "order_status",
        "admin",
    )
    phrase = "my parcel 260315004217 has gone quiet, call <phone>"
    assert phrase in _examples(studio, "order_status")
    # The NLU file is still valid YAML and keeps its other intents.
    doc = yaml.safe_load((studio.project / "data" / "nlu" / "orders.yml").read_text("utf-8"))
    assert len(doc["nlu"]) > 1
    changes = (await (await studio.client.get("/api/admin/audit", headers=AUTH)).json())["changes"]
    kinds = {(c["kind"], c["name"]) for c in changes}
    assert ("nlu", "order_status") in kinds and ("review", str(item_id)) in kinds
    # Labelling it again: 409.
    again = await _decide(studio, item_id, {"intent": "order_status"})
    assert again.status == 409 and (await again.json())["field"] == "id"


async def test_an_item_queued_unredacted_is_redacted_when_it_becomes_training_data(
    studio: Studio,
) -> None:
    # Queued by older code (before names and addresses were redacted): written straight in.
    item_id = await _item(studio, "placeholder")
    from sqlalchemy import update

    from bot.storage.studio_schema import review_items

    raw = "收件人 王小明，地址改成浙江省杭州市西湖区文三路259号3栋201室，包裹到哪了"
    async with studio.engine.begin() as conn:
        await conn.execute(
            update(review_items).where(review_items.c.id == item_id).values(text=raw)
        )
    response = await _decide(studio, item_id, {"intent": "order_status"})
    assert response.status == 200, await response.text()
    examples = _examples(studio, "order_status")
    assert "收件人 <name>，地址改成浙江省杭州市西湖区<address>，包裹到哪了" in examples
    assert not any("王小明" in e or "文三路" in e for e in examples)


async def test_a_chinese_phrase_goes_to_the_chinese_examples(studio: Studio) -> None:
    item_id = await _item(studio, "包裹好几天没动静了帮忙看看")
    response = await _decide(studio, item_id, {"intent": "order_status"})
    assert response.status == 200, await response.text()
    listed = await studio.client.get("/api/admin/nlu/order_status", headers=AUTH)
    assert "包裹好几天没动静了帮忙看看" in (await listed.json())["examples"]["zh"]


async def test_out_of_scope_and_dismiss(studio: Studio) -> None:
    weather = await _item(studio, "will the moon be full next tuesday")
    response = await _decide(studio, weather, {"out_of_scope": True})
    assert response.status == 200, await response.text()
    assert (await response.json())["label"] == "out_of_scope"
    assert "will the moon be full next tuesday" in _examples(studio, "out_of_scope")

    noise = await _item(studio, "asdf qwer zxcv")
    before = _examples(studio, "out_of_scope")
    dismissed = await _decide(studio, noise, {"dismiss": True})
    assert dismissed.status == 200
    assert (await dismissed.json())["status"] == "dismissed"
    assert _examples(studio, "out_of_scope") == before


async def test_a_held_out_phrasing_is_refused(studio: Studio) -> None:
    item_id = await _item(studio, "hi, anyone around?")  # a phrasing of the held-out file
    response = await _decide(studio, item_id, {"intent": "greet"})
    assert response.status == 400
    body = await response.json()
    assert body["field"] == "text" and "held-out" in body["error"]
    assert "hi, anyone around?" not in _examples(studio, "greet")
    item = await review.get(studio.engine, item_id)
    assert item is not None and item["status"] == "open"  # still to be reviewed


async def test_a_phrase_of_another_intent_is_refused(studio: Studio) -> None:
    item_id = await _item(studio, _examples(studio, "greet")[0])
    response = await _decide(studio, item_id, {"intent": "order_status"})
    assert response.status == 400
    assert "already an example of intent 'greet'" in (await response.json())["error"]


@pytest.mark.parametrize(
    ("item", "body", "status", "field"),
    [
        ("999", {"intent": "greet"}, 404, "id"),
        ("abc", {"intent": "greet"}, 400, "id"),
        ("ID", {"intent": "no_such_intent"}, 404, "intent"),
        ("ID", {"intent": "faq"}, 400, "intent"),
        ("ID", {"intent": "bad name!"}, 400, "intent"),
        ("ID", {"intent": 3}, 400, "intent"),
        ("ID", {}, 400, "intent"),
        ("ID", {"intent": "greet", "dismiss": True}, 400, "dismiss"),
        ("ID", {"dismiss": "yes"}, 400, "dismiss"),
        ("ID", {"out_of_scope": False}, 400, "out_of_scope"),
        ("ID", {"label": "greet"}, 400, "label"),
    ],
)
async def test_bad_decisions(
    studio: Studio, item: str, body: dict[str, Any], status: int, field: str
) -> None:
    item_id = await _item(studio, "some unclear words here")
    response = await _decide(studio, item_id if item == "ID" else item, body)
    assert response.status == status, await response.text()
    assert (await response.json())["field"] == field
    found = await review.get(studio.engine, item_id)
    assert found is not None and found["status"] == "open"


async def test_a_bad_body_is_400(studio: Studio) -> None:
    item_id = await _item(studio, "some unclear words here")
    response = await studio.client.post(
        f"/api/admin/review/{item_id}", data="not json", headers=AUTH
    )
    assert response.status == 400


async def _login(studio: Studio, name: str, role: str) -> dict[str, str]:
    await accounts.add_user(studio.engine, name, role, PASSWORD)
    response = await studio.client.post(
        "/api/admin/login", json={"name": name, "password": PASSWORD}
    )
    assert response.status == 200
    return {"X-CSRF-Token": (await response.json())["csrf_token"]}


async def test_reviewers_label_with_csrf_and_editors_may_not(studio: Studio) -> None:
    item_id = await _item(studio, "the box came squashed what now")
    csrf = await _login(studio, "wang", "reviewer")
    listed = await studio.client.get("/api/admin/review")
    assert listed.status == 200  # the cookie is enough for reading
    no_csrf = await studio.client.post(f"/api/admin/review/{item_id}", json={"dismiss": True})
    assert no_csrf.status == 403 and (await no_csrf.json())["field"] == "X-CSRF-Token"
    done = await studio.client.post(
        f"/api/admin/review/{item_id}", json={"intent": "complaint"}, headers=csrf
    )
    assert done.status == 200, await done.text()
    assert (await done.json())["reviewer"] == "wang"
    assert "the box came squashed what now" in _examples(studio, "complaint")

    studio.client.session.cookie_jar.clear()
    other = await _item(studio, "yet another unclear line")
    editor_csrf = await _login(studio, "mei", "editor")
    refused = await studio.client.post(
        f"/api/admin/review/{other}", json={"dismiss": True}, headers=editor_csrf
    )
    assert refused.status == 403 and (await refused.json())["field"] == "role"


async def test_the_queue_needs_a_token(studio: Studio) -> None:
    assert (await studio.client.get("/api/admin/review")).status == 401
    assert (await studio.client.post("/api/admin/review/1", json={"dismiss": True})).status == 401
