"""POST /api/chat/photo: a web customer's photo is checked, kept in the media store and sent
through the pipeline as an attachment, like Telegram's and WeChat's photos."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.storage.schema import inbox
from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import Client, MakeClient, identity_hash

MAX_BYTES = 4096
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(300)
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + bytes(200)
GIF = b"GIF89a" + bytes(100)


@pytest.fixture
async def photo_client(make_client: MakeClient, tmp_path: Path) -> Client:
    return await make_client(
        channels={"media_dir": str(tmp_path / "media"), "max_media_bytes": MAX_BYTES}
    )


def photo_form(
    sender: str | None = "web-photo",
    data: bytes | None = JPEG,
    *,
    filename: str = "damage.jpg",
    content_type: str = "image/jpeg",
    signed: bool = True,
    message_id: str | None = None,
) -> aiohttp.FormData:
    form = aiohttp.FormData(default_to_multipart=True)  # as a browser's FormData
    if sender is not None:
        form.add_field("sender_id", sender)
        if signed:
            form.add_field("identity_hash", identity_hash(sender))
    if message_id is not None:
        form.add_field("message_id", message_id)
    if data is not None:
        form.add_field("file", data, filename=filename, content_type=content_type)
    return form


async def upload(client: Client, form: aiohttp.FormData) -> tuple[int, Any]:
    resp = await client.post("/api/chat/photo", data=form)
    return resp.status, await resp.json()


@pytest.mark.parametrize(
    ("data", "extension", "mime"),
    [(JPEG, "jpg", "image/jpeg"), (PNG, "png", "image/png"), (WEBP, "webp", "image/webp")],
    ids=["jpeg", "png", "webp"],
)
async def test_a_photo_is_stored_and_passed_on_as_an_attachment(
    photo_client: Client,
    fake_rasa: FakeRasa,
    engine: AsyncEngine,
    tmp_path: Path,
    data: bytes,
    extension: str,
    mime: str,
) -> None:
    # The file name says nothing: the type comes from the bytes.
    status, body = await upload(photo_client, photo_form(data=data, filename="photo.bin"))
    assert status == 200, body
    assert body["messages"], "answered like POST /api/chat"
    name = f"{hashlib.sha256(data).hexdigest()}.{extension}"
    assert (tmp_path / "media" / name).read_bytes() == data
    request = fake_rasa.requests[-1]
    assert request["sender"] == "web:web-photo"
    assert request["message"] == "/inform"  # a photo alone answers the question asked
    assert request["metadata"]["attachments"] == [
        {"kind": "image", "url": f"/media/{name}", "mime_type": mime}
    ]
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(inbox).where(inbox.c.conversation_id == "web:web-photo"))
        ).one()
    assert row.attachments[0]["url"] == f"/media/{name}"
    served = await photo_client.get(f"/media/{name}")
    assert served.status == 200 and await served.read() == data


async def test_a_repeated_upload_with_the_same_message_id_is_answered_once(
    photo_client: Client, fake_rasa: FakeRasa
) -> None:
    first = await upload(photo_client, photo_form(message_id="photo-1"))
    again = await upload(photo_client, photo_form(message_id="photo-1"))
    assert first[0] == again[0] == 200
    assert len(fake_rasa.requests) == 1
    assert again[1]["messages"] == first[1]["messages"]


async def test_too_large_is_413_naming_file(
    photo_client: Client, fake_rasa: FakeRasa, tmp_path: Path
) -> None:
    big = JPEG + bytes(MAX_BYTES)
    status, body = await upload(photo_client, photo_form(data=big))
    assert status == 413
    assert body["field"] == "file" and str(MAX_BYTES) in body["error"]
    assert fake_rasa.requests == []
    media = tmp_path / "media"
    assert not media.exists() or not any(media.iterdir()), "nothing is kept"


async def test_exactly_the_limit_is_taken(photo_client: Client) -> None:
    status, body = await upload(photo_client, photo_form(data=JPEG + bytes(MAX_BYTES - len(JPEG))))
    assert status == 200, body


@pytest.mark.parametrize(
    ("data", "filename"),
    [(GIF, "anim.gif"), (b"%PDF-1.4 not a photo", "damage.jpg"), (b"<svg></svg>", "x.png")],
    ids=["gif", "pdf named jpg", "svg named png"],
)
async def test_other_types_are_415_naming_file(
    photo_client: Client, fake_rasa: FakeRasa, data: bytes, filename: str
) -> None:
    status, body = await upload(photo_client, photo_form(data=data, filename=filename))
    assert status == 415
    assert body["field"] == "file"
    assert "JPEG, PNG or WebP" in body["error"]
    assert fake_rasa.requests == []


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [
        (lambda: photo_form(data=None), 400, "file"),
        (lambda: photo_form(data=b""), 400, "file"),
        (lambda: photo_form(sender=None), 400, "sender_id"),
        (lambda: photo_form(sender="bad id"), 400, "sender_id"),
        (lambda: photo_form(signed=False), 401, "identity_hash"),
        (lambda: photo_form(message_id="bad id!"), 400, "message_id"),
    ],
    ids=["no file", "empty file", "no sender", "bad sender", "unsigned", "bad message id"],
)
async def test_missing_or_bad_fields_are_named(
    photo_client: Client, fake_rasa: FakeRasa, form: Any, status: int, field: str
) -> None:
    got, body = await upload(photo_client, form())
    assert got == status, body
    assert body["field"] == field
    assert fake_rasa.requests == []


async def test_a_forged_identity_is_401(photo_client: Client, fake_rasa: FakeRasa) -> None:
    form = aiohttp.FormData()
    form.add_field("sender_id", "demo-liwei")
    form.add_field("identity_hash", identity_hash("demo-emma"))
    form.add_field("file", JPEG, filename="a.jpg", content_type="image/jpeg")
    status, body = await upload(photo_client, form)
    assert status == 401 and body["field"] == "identity_hash"
    assert fake_rasa.requests == []


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        (b'{"sender_id": "u1"}', {"Content-Type": "application/json"}),
        (b"sender_id=u1", {"Content-Type": "application/x-www-form-urlencoded"}),
        (b"--x\r\nbroken", {"Content-Type": "multipart/form-data; boundary=x"}),
    ],
    ids=["json", "urlencoded", "broken multipart"],
)
async def test_not_a_multipart_form_is_400(
    photo_client: Client, fake_rasa: FakeRasa, data: bytes, headers: dict[str, str]
) -> None:
    resp = await photo_client.post("/api/chat/photo", data=data, headers=headers)
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["field"] in ("Content-Type", "file")
    assert fake_rasa.requests == []


async def test_photos_share_the_senders_rate_limit(
    make_client: MakeClient, tmp_path: Path, fake_rasa: FakeRasa
) -> None:
    client = await make_client(
        channels={"media_dir": str(tmp_path / "media")},
        web={"messages_per_minute_per_sender": 2},
    )
    await client.post("/api/chat", json={"sender_id": "web-photo", "text": "hi"})
    assert (await upload(client, photo_form()))[0] == 200
    status, body = await upload(client, photo_form(data=PNG))
    assert status == 429 and "messages_per_minute_per_sender" in body["error"]
    assert len(fake_rasa.requests) == 2


async def test_a_phone_sized_photo_over_aiohttps_default_body_limit_is_taken(
    make_client: MakeClient, tmp_path: Path, fake_rasa: FakeRasa
) -> None:
    """The form is streamed: the media store's limit (10 MB by default) applies, not
    aiohttp's 1 MiB default for request bodies."""
    client = await make_client(channels={"media_dir": str(tmp_path / "media")})
    photo = JPEG + bytes(3_000_000)
    status, body = await upload(client, photo_form(data=photo))
    assert status == 200, body
    name = f"{hashlib.sha256(photo).hexdigest()}.jpg"
    assert (tmp_path / "media" / name).stat().st_size == len(photo)
