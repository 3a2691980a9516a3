"""Product card SVGs served by the gateway at /products/<id>.svg."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.catalog import get_product, list_products
from bot.services.types import Product
from bot.shop.images import product_id_from_image_path, render_product_svg

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [t.text or "" for t in root.iter(f"{SVG}text")]


async def test_card_shows_names_price_and_category_colour(shop_engine: AsyncEngine) -> None:
    product = await get_product(shop_engine, "P0001")
    assert product is not None
    svg = render_product_svg(product)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("width") == "400"
    shown = " ".join(texts(svg))
    assert "SoundPeak" in shown and "声浪" in shown and "耳机" in shown
    assert f"¥{product.price_cents / 100:,.2f}" in shown
    assert "Electronics · 数码电子" in shown
    assert 'fill="#3b6fd8"' in svg  # the electronics colour


async def test_every_demo_product_renders_valid_svg(shop_engine: AsyncEngine) -> None:
    for product in await list_products(shop_engine):
        ET.fromstring(render_product_svg(product))


async def test_markup_in_names_is_escaped(shop_engine: AsyncEngine) -> None:
    product = await get_product(shop_engine, "P0002")
    assert product is not None
    odd: Product = dataclasses.replace(
        product,
        name_en='<script>alert("x")</script> & "Friends" ' + "Extremely Long Name " * 5,
        name_zh="<b>粗体</b>" + "很长的名字" * 10,
        category="unknown-category",
        brand="",
    )
    svg = render_product_svg(odd)
    root = ET.fromstring(svg)
    assert "<script>" not in svg and root.find(f"{SVG}script") is None
    lines = texts(svg)
    assert any(line.startswith('<script>alert("x")') for line in lines)
    assert any(line.endswith("…") for line in lines)  # long names are cut


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/products/P0001.svg", "P0001"),
        ("/products/SKU-2_b.svg", "SKU-2_b"),
        ("/products/P0001.png", None),
        ("/products/../secret.svg", None),
        ("/other/P0001.svg", None),
    ],
)
def test_product_id_from_image_path(path: str, expected: str | None) -> None:
    assert product_id_from_image_path(path) == expected
