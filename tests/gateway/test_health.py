"""GET /healthz: 200 when Rasa and the action server answer, else 503 naming what is down."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.helpers import MakeClient, closed_url


async def test_all_up(make_client: MakeClient) -> None:
    client = await make_client()
    resp = await client.get("/healthz")
    assert resp.status == 200
    assert await resp.json() == {"gateway": "ok", "rasa": "ok", "actions": "ok"}


@pytest.mark.parametrize(
    ("down", "expected"),
    [
        ({"rasa_url"}, {"rasa": "down", "actions": "ok"}),
        ({"actions_url"}, {"rasa": "ok", "actions": "down"}),
        ({"rasa_url", "actions_url"}, {"rasa": "down", "actions": "down"}),
    ],
    ids=["rasa-down", "actions-down", "both-down"],
)
async def test_down_is_503_naming_the_service(
    make_client: MakeClient, down: set[str], expected: dict[str, str]
) -> None:
    kwargs: dict[str, Any] = {name: closed_url() for name in down}
    client = await make_client(**kwargs)
    resp = await client.get("/healthz")
    assert resp.status == 503
    body = await resp.json()
    assert {k: body[k] for k in ("gateway", "rasa", "actions")} == {"gateway": "ok", **expected}
    for name, state in expected.items():
        assert (f"{name} is down" in body["error"]) == (state == "down")
