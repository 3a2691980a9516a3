"""The gateway serves the admin studio's API (bot/admin/studio_routes.py)."""

from __future__ import annotations

from tests.gateway.fake_rasa import FakeRasa
from tests.gateway.helpers import ADMIN_TOKEN, MakeClient

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


async def test_the_gateway_serves_the_studio(make_client: MakeClient) -> None:
    client = await make_client()
    response = await client.get("/api/admin/faq", headers=AUTH)
    assert response.status == 200
    assert "shipping_fee" in (await response.json())["faq"]
    model = await client.get("/api/admin/model", headers=AUTH)
    assert model.status == 200
    assert (await client.get("/api/admin/faq")).status == 401


async def test_the_gateway_serves_the_admin_pages_and_the_nlu_preview(
    make_client: MakeClient, fake_rasa: FakeRasa
) -> None:
    client = await make_client()
    home = await client.get("/admin", allow_redirects=False)
    assert home.status == 302 and home.headers["Location"] == "/admin/faq.html"
    page = await client.get("/admin/login.html")
    assert page.status == 200 and "default-src 'self'" in page.headers["Content-Security-Policy"]
    # The preview goes through the gateway's own Rasa client.
    response = await client.post("/api/admin/nlu/preview", json={"text": "hello"}, headers=AUTH)
    assert response.status == 200, await response.text()
    body = await response.json()
    assert body["intent"] == "greet" and len(body["ranking"]) == 3
    assert fake_rasa.parsed == ["hello"]
    fake_rasa.status = 503
    down = await client.post("/api/admin/nlu/preview", json={"text": "hello"}, headers=AUTH)
    assert down.status == 503 and (await down.json())["field"] == "rasa"
