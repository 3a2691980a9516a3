"""A customer's data: export holds every kind of record, erase leaves nothing personal behind
(orders stay with placeholders), every run is audited, and erasing twice is harmless."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services import privacy_data, privacy_erase, privacy_export, review
from bot.storage.schema import (
    channel_options,
    conversations,
    customer_segments,
    customers,
    handoff_messages,
    handoffs,
    identities,
    inbox,
    interactions,
    messages,
    metadata,
    order_items,
    orders,
    outbox,
    privacy_audit,
    ticket_events,
    tickets,
)
from tests.factory import Customer, ShopFactory
from tests.services.test_on_postgres import pg_engine  # noqa: F401 - the fixture

NOW = datetime(2026, 4, 21, 4, 0, tzinfo=UTC)
PHOTO = b"\xff\xd8\xff" + b"customer photo"
SHARED_PHOTO = b"\xff\xd8\xff" + b"the same picture, sent by two people"


def photo_name(data: bytes) -> str:
    import hashlib

    return f"{hashlib.sha256(data).hexdigest()}.jpg"


class Person:
    """A customer with a record of every kind; ``secrets`` are what must not survive erasure."""

    def __init__(self, shop: ShopFactory, tag: str) -> None:
        self.customer: Customer = shop.customer("en")
        self.order = shop.order(self.customer, status="delivered")
        self.conversation = f"web:{self.customer.sender}"
        self.telegram = f"telegram:77{tag}"
        self.address = f"{tag} Secret Lane, Flat 9"
        self.email = f"{self.customer.sender}@example.com"
        self.said = f"my new address is {self.address}, call {self.customer.phone} ({tag})"
        self.told = f"Dear {self.customer.name}, your parcel goes to {self.address}"
        self.note = f"staff note about {self.customer.name} ({tag})"
        self.secrets = [
            self.customer.name,
            self.customer.phone,
            self.email,
            self.address,
            self.said,
            self.told,
            self.note,
            *([photo_name(PHOTO)] if tag == "a" else []),
        ]


def write_photos(media_dir: Path) -> None:
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir / photo_name(PHOTO)).write_bytes(PHOTO)
    (media_dir / photo_name(SHARED_PHOTO)).write_bytes(SHARED_PHOTO)


async def populate(engine: AsyncEngine, person: Person, media_dir: Path, tag: str) -> None:
    c = person.customer
    photo = f"/media/{photo_name(PHOTO)}" if tag == "a" else None
    shared = f"/media/{photo_name(SHARED_PHOTO)}"
    attachments = [
        {"kind": "image", "url": url, "mime_type": "image/jpeg", "name": None}
        for url in (photo, shared)
        if url
    ]
    write_photos(media_dir)
    async with engine.begin() as conn:
        await conn.execute(
            update(orders)
            .where(orders.c.id == person.order.id)
            .values(shipping_address=person.address)
        )
        await conn.execute(
            insert(identities).values(channel="telegram", external_id=f"77{tag}", customer_id=c.id)
        )
        await conn.execute(
            insert(customer_segments).values(
                customer_id=c.id, segment="bargain_hunters", method="kmeans", computed_at=NOW
            )
        )
        product_id = (
            await conn.execute(
                select(order_items.c.product_id).where(order_items.c.order_id == person.order.id)
            )
        ).scalar_one()
        await conn.execute(
            insert(interactions).values(
                customer_id=c.id, product_id=product_id, kind="view", ts=NOW
            )
        )
        ticket_id = f"TK-{tag}-0001"
        await conn.execute(
            insert(tickets).values(
                id=ticket_id,
                kind="address_change",
                order_id=person.order.id,
                customer_id=c.id,
                status="requested",
                payload={
                    "text": person.said,
                    "new_address": person.address,
                    "language": "en",
                    "amount_cents": 1990,
                },
                channel="web",
                sender_id=person.conversation,
                idempotency_key=f"address:{person.conversation}:m1",
                created_at=NOW,
                updated_at=NOW,
            )
        )
        await conn.execute(
            insert(ticket_events).values(
                ticket_id=ticket_id,
                ts=NOW,
                actor="staff:Ann",
                to_status="requested",
                note=person.note,
            )
        )
        for conversation in (person.conversation, person.telegram):
            channel, _, external = conversation.partition(":")
            address = {"chat_id": external, "lang": "en"}
            await conn.execute(
                insert(conversations).values(
                    conversation_id=conversation,
                    channel=channel,
                    external_id=external,
                    address=address,
                    customer_id=c.id,
                    language="en",
                    owner="bot",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
            await conn.execute(
                insert(messages),
                [
                    {
                        "conversation_id": conversation,
                        "direction": "in",
                        "channel": channel,
                        "text": person.said,
                        "created_at": NOW,
                    },
                    {
                        "conversation_id": conversation,
                        "direction": "out",
                        "channel": channel,
                        "text": person.told,
                        "payload": {"buttons": [person.address]},
                        "created_at": NOW,
                    },
                ],
            )
            inbox_id = (
                await conn.execute(
                    insert(inbox).values(
                        conversation_id=conversation,
                        channel=channel,
                        external_id=external,
                        dedupe_key=f"{conversation}-1",
                        text=person.said,
                        attachments=attachments,
                        meta={"from": c.name},
                        address=address,
                        status="done",
                        next_attempt_at=NOW,
                        received_at=NOW,
                    )
                )
            ).inserted_primary_key[0]
            await conn.execute(
                insert(outbox),
                [
                    {
                        "conversation_id": conversation,
                        "channel": channel,
                        "external_id": external,
                        "inbox_id": inbox_id,
                        "address": address,
                        "message": {"text": person.told},
                        "kind": "reply",
                        "status": status,
                        "next_attempt_at": NOW,
                        "created_at": NOW,
                    }
                    for status in ("sent", "pending")
                ],
            )
            await conn.execute(
                insert(channel_options).values(
                    conversation_id=conversation,
                    options=[{"title": person.address, "payload": "/affirm"}],
                    updated_at=NOW,
                )
            )
        handoff_id = (
            await conn.execute(
                insert(handoffs).values(
                    conversation_id=person.conversation,
                    channel="web",
                    external_id=c.sender,
                    customer_id=c.id,
                    language="en",
                    reason="customer_request",
                    detail={},
                    status="resolved",
                    snapshot={"customer": {"name": c.name, "phone": c.phone}},
                    rasa_state="running",
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        ).inserted_primary_key[0]
        await conn.execute(
            insert(handoff_messages),
            [
                {
                    "handoff_id": handoff_id,
                    "direction": direction,
                    "text": said,
                    "attachments": attachments if direction == "customer" else [],
                    "status": "sent",
                    "next_attempt_at": NOW,
                    "created_at": NOW,
                }
                for direction, said in (
                    ("customer", person.said),
                    ("staff", person.told),
                    ("note", person.note),
                )
            ],
        )
        events = privacy_data.rasa_events_table()
        await conn.run_sync(lambda sync: events.metadata.create_all(sync))
        user = {
            "event": "user",
            "timestamp": 1.0,
            "text": person.said,
            "parse_data": {
                "text": person.said,
                "intent": {"name": "change_address"},
                "entities": [{"entity": "phone", "value": c.phone}],
            },
            "metadata": {"customer_id": c.id, "external_id": c.sender, "inbox_id": inbox_id},
            "input_channel": "rest",
        }
        bot = {
            "event": "bot",
            "timestamp": 2.0,
            "text": person.told,
            "data": {"buttons": [{"title": person.address, "payload": "/affirm"}]},
        }
        slot = {"event": "slot", "timestamp": 3.0, "name": "new_address", "value": person.address}
        kept_slot = {
            "event": "slot",
            "timestamp": 4.0,
            "name": "requested_slot",
            "value": "confirm",
        }
        for conversation in (person.conversation, person.telegram):
            await conn.execute(
                insert(events),
                [
                    {
                        "sender_id": conversation,
                        "type_name": e["event"],
                        "timestamp": e["timestamp"],
                        "intent_name": None,
                        "action_name": None,
                        "data": json.dumps(e),
                    }
                    for e in (user, bot, slot, kept_slot)
                ],
            )


async def add_review_item(engine: AsyncEngine, person: Person) -> None:
    """A review item from the person's chat: redacted, but it still names them."""
    item = await review.collect(
        engine,
        kind="handoff",
        text=f"I am {person.customer.name}, {person.said}",
        language="en",
        conversation_id=person.conversation,
        message_key=f"{person.conversation}:inbox-1",
    )
    assert item is not None


async def dump(engine: AsyncEngine) -> str:
    """Every row of every table (the audit aside), as one text."""
    parts = []
    async with engine.connect() as conn:
        names = [t.name for t in metadata.sorted_tables if t.name != "privacy_audit"]
        names.append(privacy_data.RASA_EVENTS_TABLE)
        for name in names:
            for row in await conn.execute(text(f'SELECT * FROM "{name}"')):
                parts.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(parts)


@pytest.fixture
async def people(
    shop: ShopFactory, shop_engine: AsyncEngine, tmp_path: Path
) -> tuple[Person, Person, Path]:
    media = tmp_path / "media"
    a, b = Person(shop, "a"), Person(shop, "b")
    await populate(shop_engine, a, media, "a")
    await populate(shop_engine, b, media, "b")
    for person in (a, b):
        await add_review_item(shop_engine, person)
    return a, b, media


async def test_export_holds_every_kind_of_record(
    shop_engine: AsyncEngine, people: tuple[Person, Person, Path]
) -> None:
    a, b, _ = people
    exported = await privacy_export.export(shop_engine, a.customer.id, actor="staff:Ann", now=NOW)
    json.dumps(exported)  # JSON-ready
    assert exported["customer"]["phone"] == a.customer.phone
    for kind in (
        "identities",
        "segments",
        "orders",
        "order_items",
        "shipment_events",
        "interactions",
        "tickets",
        "ticket_events",
        "conversations",
        "messages",
        "inbox",
        "outbox",
        "channel_options",
        "handoffs",
        "handoff_messages",
        "media",
        "tracker_events",
        "review_items",
    ):
        assert exported[kind], kind
    assert {c["conversation_id"] for c in exported["conversations"]} == {a.conversation, a.telegram}
    assert f"/media/{photo_name(PHOTO)}" in exported["media"]
    assert b.customer.phone not in json.dumps(exported, ensure_ascii=False)
    # The customer's own data is not redacted: their messages come back as they wrote them.
    assert a.said in [m["text"] for m in exported["messages"]]
    assert a.customer.phone in json.dumps(exported["messages"], ensure_ascii=False)
    [audit] = await privacy_data.audit_log(shop_engine, a.customer.id)
    assert (audit["action"], audit["actor"]) == ("export", "staff:Ann")
    assert audit["counts"]["messages"] == 4


async def test_erase_leaves_nothing_personal_and_keeps_orders(
    shop_engine: AsyncEngine, people: tuple[Person, Person, Path]
) -> None:
    a, b, media = people
    before = await dump(shop_engine)
    assert all(secret in before for secret in a.secrets)

    report = await privacy_erase.erase(
        shop_engine, a.customer.id, actor="customer", media_dir=media, now=NOW
    )

    after = await dump(shop_engine)
    left = [secret for secret in a.secrets if secret in after]
    assert left == []
    # The other customer is untouched, and the photo both sent stays for them.
    assert all(secret in after for secret in b.secrets)
    assert not (media / photo_name(PHOTO)).exists()
    assert (media / photo_name(SHARED_PHOTO)).exists()

    async with shop_engine.connect() as conn:
        order = (await conn.execute(select(orders).where(orders.c.id == a.order.id))).one()
        profile = (
            await conn.execute(select(customers).where(customers.c.id == a.customer.id))
        ).one()
        ticket = (await conn.execute(select(tickets).where(tickets.c.id == "TK-a-0001"))).one()
        pending = (
            await conn.execute(
                select(outbox.c.id).where(
                    outbox.c.conversation_id == a.conversation, outbox.c.status == "pending"
                )
            )
        ).all()
        events = privacy_data.rasa_events_table()
        tracker = [
            json.loads(r.data)
            for r in await conn.execute(
                select(events.c.data)
                .where(events.c.sender_id == a.conversation)
                .order_by(events.c.id)
            )
        ]
    assert (order.recipient, order.phone, order.shipping_address) == (privacy_data.PLACEHOLDER,) * 3
    assert order.total_cents > 0 and order.status == "delivered"
    assert (profile.name, profile.phone, profile.email) == (privacy_data.PLACEHOLDER, None, None)
    assert ticket.kind == "address_change" and ticket.payload["amount_cents"] == 1990
    assert pending == []
    # Rasa's events stay (it counts them), without what was said; the form state stays.
    assert [e["event"] for e in tracker] == ["user", "bot", "slot", "slot"]
    assert tracker[0]["parse_data"]["intent"]["name"] == "change_address"
    assert tracker[0]["metadata"] == {"inbox_id": tracker[0]["metadata"]["inbox_id"]}
    assert tracker[3]["value"] == "confirm"

    assert report.kept == {"orders": 1}
    assert report.count("identities") == 2 and report.count("media_files") == 1
    assert report.count("tracker_events") == 6 and report.count("handoff_messages") == 3
    assert report.count("review_items") == 1 and report.count("review_messages") == 1
    [audit] = await privacy_data.audit_log(shop_engine, a.customer.id)
    assert (audit["action"], audit["actor"]) == ("erase", "customer")
    assert audit["counts"] == dict(report.counts)
    assert audit["kept"] == [{"what": "orders", "rows": 1}]


async def test_erasing_twice_is_harmless(
    shop_engine: AsyncEngine, people: tuple[Person, Person, Path]
) -> None:
    a, _, media = people
    first = await privacy_erase.erase(shop_engine, a.customer.id, media_dir=media, now=NOW)
    snapshot = await dump(shop_engine)
    second = await privacy_erase.erase(
        shop_engine, a.customer.id, media_dir=media, now=NOW + timedelta(minutes=1)
    )
    assert first.total > 0 and second.total == 0
    assert await dump(shop_engine) == snapshot
    assert [r["action"] for r in await privacy_data.audit_log(shop_engine, a.customer.id)] == [
        "erase",
        "erase",
    ]


async def test_unknown_customer(shop_engine: AsyncEngine) -> None:
    with pytest.raises(privacy_data.UnknownCustomer, match="NOBODY"):
        await privacy_erase.erase(shop_engine, "NOBODY")
    with pytest.raises(privacy_data.UnknownCustomer):
        await privacy_export.export(shop_engine, "NOBODY")
    async with shop_engine.connect() as conn:
        assert (await conn.execute(select(privacy_audit))).all() == []


async def test_without_rasa_tables(engine: AsyncEngine) -> None:
    """An empty shop database without Rasa's events table (the in-memory tracker store)."""
    async with engine.begin() as conn:
        await conn.execute(
            insert(customers).values(id="C1", name="Solo", language="en", created_at=NOW)
        )
    report = await privacy_erase.erase(engine, "C1")
    assert report.count("tracker_events") == 0 and report.count("customers") == 1
    assert (await privacy_export.export(engine, "C1"))["tracker_events"] == []


@pytest.mark.skipif(
    not os.environ.get("SHOP_TEST_POSTGRES_URL"),
    reason="set SHOP_TEST_POSTGRES_URL to run the PostgreSQL checks",
)
async def test_on_postgres(pg_engine: AsyncEngine, tmp_path: Path) -> None:  # noqa: F811
    """The same statements on PostgreSQL (no Rasa events table there: the in-memory store)."""
    customer_id = "C0001"
    async with pg_engine.begin() as conn:
        await conn.execute(
            insert(messages).values(
                conversation_id="web:demo-liwei",
                direction="in",
                channel="web",
                text="my phone is 13812345678",
                payload={"k": "v"},
                created_at=NOW,
            )
        )
    exported = await privacy_export.export(pg_engine, customer_id, now=NOW)
    assert exported["orders"] and exported["messages"] and exported["tracker_events"] == []
    first = await privacy_erase.erase(pg_engine, customer_id, media_dir=tmp_path, now=NOW)
    second = await privacy_erase.erase(pg_engine, customer_id, media_dir=tmp_path, now=NOW)
    assert first.count("messages") == 1 and first.count("orders") > 0 and second.total == 0
    async with pg_engine.connect() as conn:
        phones = (
            await conn.execute(select(orders.c.phone).where(orders.c.customer_id == customer_id))
        ).scalars()
        assert set(phones) == {privacy_data.PLACEHOLDER}
    assert [a["action"] for a in await privacy_data.audit_log(pg_engine, customer_id)] == [
        "export",
        "erase",
        "erase",
    ]
