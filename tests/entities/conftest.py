"""One extractor for the module's tests (spaCy pipelines take a few seconds to build), over a
catalogue of products the tests name."""

from __future__ import annotations

import pytest

from bot.entities import EntityExtractor, product_phrases

PRODUCTS = [
    {
        "id": "T001",
        "name_en": "Voltix GaN 65W Fast Charger",
        "name_zh": "沃特斯 氮化镓 65W 快充充电器",
        "aliases": ["charger", "充电器"],
    },
    {
        "id": "T002",
        "name_en": "Voltix Mini 20W Charger",
        "name_zh": "沃特斯 迷你 20W 充电器",
        "aliases": ["charger", "充电器"],
    },
    {
        "id": "T003",
        "name_en": "SoundPeak Air Pro Wireless Earbuds",
        "name_zh": "声浪 Air Pro 真无线蓝牙耳机",
        "aliases": ["earbuds", "耳机", "蓝牙耳机"],
    },
    {
        "id": "T004",
        "name_en": "Cottonwood Classic T-Shirt",
        "name_zh": "棉语 经典T恤",
        "aliases": ["T-shirt", "tee", "T恤"],
    },
    {"id": "T005", "name_en": "Teahouse Green Tea", "name_zh": "茗居 绿茶", "aliases": ["tea"]},
]
ALIAS_TYPES = {"charger": {"charger"}, "充电器": {"charger"}, "耳机": {"earbuds", "headphones"}}


@pytest.fixture(scope="session")
def extractor() -> EntityExtractor:
    return EntityExtractor(product_phrases(PRODUCTS, ALIAS_TYPES), order_id_pattern="[0-9]{12}")
