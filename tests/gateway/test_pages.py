"""The web chat page, its static assets and the product images."""

from __future__ import annotations

import pytest

from tests.gateway.helpers import Client, MakeClient


async def test_index_page_names_the_shop(make_client: MakeClient) -> None:
    client = await make_client(shop={"name": "Tom & Jerry's <Shop>", "name_zh": "汤姆商店"})
    resp = await client.get("/")
    assert resp.status == 200
    assert resp.content_type == "text/html"
    html = await resp.text()
    assert "Tom &amp; Jerry&#x27;s &lt;Shop&gt;" in html  # escaped, not injected
    assert "汤姆商店" in html
    assert "{{" not in html
    assert 'src="static/chat.js"' in html
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp


@pytest.mark.parametrize(
    ("path", "content_types"),
    [
        ("/static/chat.js", {"text/javascript", "application/javascript"}),
        ("/static/chat.css", {"text/css"}),
    ],
)
async def test_static_assets(client: Client, path: str, content_types: set[str]) -> None:
    resp = await client.get(path)
    assert resp.status == 200
    assert resp.content_type in content_types


@pytest.mark.parametrize(
    "path", ["/static/missing.js", "/static/../web.py", "/static/%2e%2e/web.py"]
)
async def test_static_does_not_escape_its_folder(client: Client, path: str) -> None:
    resp = await client.get(path)
    assert resp.status in (403, 404)


def test_page_uses_no_external_resources() -> None:
    from adapters.web.adapter import STATIC_DIR

    for asset in STATIC_DIR.iterdir():
        # The SVG namespace (the widget's icons) is a name, not something fetched.
        text = asset.read_text(encoding="utf-8").replace('"http://www.w3.org/2000/svg"', "")
        assert "http://" not in text, f"{asset.name} refers to an external resource"
        assert "https://" not in text, f"{asset.name} refers to an external resource"


async def test_product_image_as_png(client: Client) -> None:
    resp = await client.get("/products/P0001.png")
    assert resp.status == 200
    assert resp.content_type == "image/png"
    assert (await resp.read()).startswith(b"\x89PNG\r\n\x1a\n")


async def test_product_image(client: Client) -> None:
    resp = await client.get("/products/P0001.svg")
    assert resp.status == 200
    assert resp.content_type == "image/svg+xml"
    assert "<svg" in await resp.text()
    assert "default-src 'none'" in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    "path", ["/products/P9999.svg", "/products/..%2Fx.svg", "/products/P9999.png", "/media/x.png"]
)
async def test_unknown_product_image_is_json_404(client: Client, path: str) -> None:
    resp = await client.get(path)
    assert resp.status == 404
    assert resp.content_type == "application/json"
