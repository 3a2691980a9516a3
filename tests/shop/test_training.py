"""Training data from the shop: lookup table, regexes, jieba dictionary."""

from __future__ import annotations

import re
from pathlib import Path

import jieba
import pytest
import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.shop.training import (
    EMAIL,
    PHONE_CN,
    PHONE_INTL,
    CatalogNames,
    PrepareError,
    lookup_entries,
    order_id_regex,
    prepare_training,
    regex_yaml,
    userdict_words,
)


@pytest.fixture
async def prepared(tmp_path: Path, shop_engine: AsyncEngine, cfg: Config) -> Path:
    await prepare_training(
        shop_engine, cfg, nlu_out=tmp_path / "generated", jieba_out=tmp_path / "jieba"
    )
    return tmp_path


def examples(path: Path, kind: str, name: str) -> list[str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["version"] == "3.1"
    (block,) = [item for item in data["nlu"] if item.get(kind) == name]
    return [line[2:] for line in block["examples"].splitlines()]


async def test_lookup_table_has_names_and_aliases_once(prepared: Path) -> None:
    entries = examples(prepared / "generated" / "lookup.yml", "lookup", "product")
    assert "SoundPeak Air Pro Wireless Earbuds" in entries
    assert "声浪 Air Pro 真无线蓝牙耳机" in entries
    for alias in ("earbuds", "耳机", "iPhone壳", "充电宝", "kettle", "running shoes"):
        assert alias in entries
    assert len(entries) == len({e.lower() for e in entries})  # T恤 / t恤 once
    assert len(entries) > 400


def test_lookup_entries_dedupe_case_insensitively_longest_first() -> None:
    names = CatalogNames(names_en=("Tee Shirt",), names_zh=("T恤",), aliases=("t恤", "tee", "a"))
    # Longest first: Rasa's lookup alternation takes the first alternative that matches.
    assert lookup_entries(names) == ["Tee Shirt", "tee", "t恤"]


def matches(pattern: str, text: str) -> list[str]:
    return [m.group(0) for m in re.finditer(pattern, text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的订单260315004217到哪了", ["260315004217"]),
        ("order 260315004217, please", ["260315004217"]),
        ("2603150042170", []),  # 13 digits: not an order number
        ("26031500421", []),
        ("13812345678", []),
    ],
)
def test_order_id_regex(text: str, expected: list[str]) -> None:
    assert matches(order_id_regex("[0-9]{12}"), text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的手机号是13812345678", ["13812345678"]),
        ("call 138 1234 5678 please", ["138 1234 5678"]),
        ("+86 138-1234-5678", ["+86 138-1234-5678"]),
        ("my number is +44 7700 900123", ["+44 7700 900123"]),
        ("+1 415 555 0123", ["+1 415 555 0123"]),
        ("订单260315004217", []),  # an order number is not a phone
        ("12812345678", []),  # no mobile prefix 12
        ("213812345678", []),  # inside a longer run of digits
    ],
)
def test_phone_regexes(text: str, expected: list[str]) -> None:
    found = matches(PHONE_CN, text) + matches(PHONE_INTL, text)
    assert found == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("email me at li.wei+shop@example.cn thanks", ["li.wei+shop@example.cn"]),
        ("邮箱是emma.clark@mail.example.com", ["emma.clark@mail.example.com"]),
        ("no email here @ all", []),
    ],
)
def test_email_regex(text: str, expected: list[str]) -> None:
    assert matches(EMAIL, text) == expected


async def test_regex_file(prepared: Path) -> None:
    path = prepared / "generated" / "regex.yml"
    assert examples(path, "regex", "order_id") == [r"(?<![0-9])(?:[0-9]{12})(?![0-9])"]
    assert examples(path, "regex", "phone") == [PHONE_CN, PHONE_INTL]
    assert examples(path, "regex", "email") == [EMAIL]


def test_custom_order_id_pattern_and_a_broken_one() -> None:
    text = regex_yaml("SO-[0-9]{8}")
    assert "(?<![0-9])(?:SO-[0-9]{8})(?![0-9])" in text
    with pytest.raises(PrepareError, match="order_id_pattern"):
        order_id_regex("[0-9")


async def test_jieba_keeps_product_words_whole(prepared: Path) -> None:
    path = prepared / "jieba" / "userdict.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "蓝牙耳机 2000 n" in lines and "iPhone壳 2000 n" in lines and "声浪 1000 n" in lines
    assert all(re.fullmatch(r"\S+ [0-9]+ n", line) for line in lines)
    tokenizer = jieba.Tokenizer()
    tokenizer.load_userdict(str(path))
    assert "iPhone壳" in tokenizer.lcut("我的iPhone壳到了吗")
    assert "蓝牙耳机" in tokenizer.lcut("这款蓝牙耳机多少钱")
    assert "电饭煲" in tokenizer.lcut("电饭煲能改地址吗")


def test_userdict_leaves_out_long_name_parts() -> None:
    names = CatalogNames(
        names_en=("x",),
        names_zh=("棉语 经典纯棉圆领T恤", "茶商的女儿（长篇小说）"),
        aliases=("T恤", "tee"),
    )
    assert userdict_words(names) == {"T恤": 2000, "棉语": 1000, "长篇小说": 1000}


async def test_prepare_without_products_fails_clearly(
    tmp_path: Path, engine: AsyncEngine, cfg: Config
) -> None:
    with pytest.raises(PrepareError, match="python -m bot seed"):
        await prepare_training(engine, cfg, nlu_out=tmp_path / "g", jieba_out=tmp_path / "j")
    assert not (tmp_path / "g").exists()
