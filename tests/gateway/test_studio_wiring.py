"""The gateway serves the admin studio's API (bot/admin/studio_routes.py)."""

from __future__ import annotations

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
