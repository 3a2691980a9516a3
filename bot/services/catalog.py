"""Product catalogue: fuzzy search in Chinese and English, and product details.

Search scores each product by its best-matching name or alias (0-100):

- the query *is* a name or alias ("earbuds", "耳机")                     -> 100
- a name or alias appears *in* the query ("我的iPhone壳", "is the kettle ...") -> 90-99
- the query is the start of a word in a name or alias ("earbu", "蓝牙")  -> 80-90
- otherwise, for typos ("earbusd", "蓝呀耳机"), rapidfuzz's similarity if it is at least 75,
  capped at 85 (short Latin words are never guessed: "tee" is not "fee")

then adds up to 5 points for how much of the query also appears in the product's full name,
so "SoundPeak earbuds" puts SoundPeak's earbuds first. Latin words are compared without a
plural "s" ("earbud" = "earbuds").
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.services.types import Product, ProductMatch, Variant
from bot.storage.schema import products

MIN_SCORE = 60.0
_FUZZY_CAP = 85.0
_FUZZY_FLOOR = 75.0
_NAME_BONUS = 5.0
_LATIN_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def normalise_query(text: str) -> str:
    """Lower-case, full-width to half-width, punctuation to spaces, plural "s" dropped."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^0-9a-z\u3400-\u9fff\uf900-\ufaff]+", " ", text)
    return " ".join(_singular(word) for word in text.split())


def _singular(word: str) -> str:
    # Only trailing "s" of Latin words; "glasses" -> "glasse" is fine as both sides agree.
    return re.sub(r"(?<=[a-z]{3})s(?=$|[^a-z])", "", word)


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def _find_bounded(needle: str, haystack: str, *, need_end: bool) -> bool:
    """``needle`` occurs in ``haystack`` not glued to other Latin letters or digits."""
    start = haystack.find(needle)
    while start != -1:
        before = haystack[start - 1] if start else " "
        end = start + len(needle)
        after = haystack[end] if end < len(haystack) else " "
        starts_ok = not (_is_latin(before) and _is_latin(needle[0]))
        ends_ok = not need_end or not (_is_latin(after) and _is_latin(needle[-1]))
        if starts_ok and ends_ok:
            return True
        start = haystack.find(needle, start + 1)
    return False


@functools.lru_cache(maxsize=100_000)
def _long_enough(text: str) -> bool:
    """At least 3 Latin letters or digits, a Chinese character counting as 2 ("t恤" is enough)."""
    compact = text.replace(" ", "")
    return len(compact) + len(_CJK.findall(compact)) >= 3


def _candidate_score(query: str, candidate: str) -> float:
    if not candidate:
        return 0.0
    if query == candidate:
        return 100.0
    if _long_enough(candidate) and _find_bounded(candidate, query, need_end=True):
        return 90.0 + 9.0 * len(candidate) / len(query)
    if _long_enough(query) and _find_bounded(query, candidate, need_end=False):
        return 80.0 + 10.0 * len(query) / len(candidate)
    return _fuzzy(query, candidate)


def _fuzzy(query: str, candidate: str) -> float:
    """Similarity for typos; 0 unless the strings are close (a guess on a short word is noise)."""
    if len(candidate) < 4 and not _CJK.search(candidate):
        return 0.0
    similarity = fuzz.ratio(query, candidate)
    if len(candidate) >= 5 and len(query) > len(candidate) + 2:
        # A misspelt name inside a longer sentence: best-aligned part of the query.
        similarity = max(similarity, fuzz.partial_ratio(candidate, query))
    return min(_FUZZY_CAP, similarity) if similarity >= _FUZZY_FLOOR else 0.0


def _coverage(query: str, name: str) -> float:
    """Share of the query's words (Latin) and characters (Chinese) found in ``name``."""
    units = _LATIN_WORD.findall(query) + _CJK.findall(query)
    if not units:
        return 0.0
    name_words = set(_LATIN_WORD.findall(name))
    found = sum(1 for u in units if (u in name_words if _is_latin(u[0]) else u in name))
    return found / len(units)


@dataclass(frozen=True)
class _Indexed:
    id: str
    candidates: tuple[str, ...]
    full_name: str
    rating_count: int


def _index(row: Any) -> _Indexed:
    aliases = row.aliases if isinstance(row.aliases, list) else []
    return _index_cached(
        row.id,
        row.name_en,
        row.name_zh,
        tuple(str(a) for a in aliases),
        row.brand,
        int(row.rating_count or 0),
    )


@functools.lru_cache(maxsize=50_000)
def _index_cached(
    pid: str, name_en: str, name_zh: str, aliases: tuple[str, ...], brand: str, rating_count: int
) -> _Indexed:
    # Cached on the row's content: normalising every name on every search is most of its cost.
    names = [name_en, name_zh, *aliases]
    candidates = tuple(dict.fromkeys(normalise_query(n) for n in names if n))
    full = normalise_query(f"{name_en} {name_zh} {brand}")
    return _Indexed(pid, candidates, full, rating_count)


def score_product(query: str, indexed: _Indexed) -> float:
    best = max((_candidate_score(query, c) for c in indexed.candidates), default=0.0)
    return min(100.0, best + _NAME_BONUS * _coverage(query, indexed.full_name))


def _variant(v: Any) -> Variant:
    return Variant(
        sku=str(v.get("sku", "")),
        size=v.get("size"),
        color_en=v.get("color_en"),
        color_zh=v.get("color_zh"),
        stock=int(v.get("stock") or 0),
    )


def product_from_row(row: Any) -> Product:
    specs = row.specs if isinstance(row.specs, dict) else {}
    variants = row.variants if isinstance(row.variants, list) else []
    aliases = row.aliases if isinstance(row.aliases, list) else []
    return Product(
        id=row.id,
        name_en=row.name_en,
        name_zh=row.name_zh,
        aliases=tuple(str(a) for a in aliases),
        category=row.category,
        brand=row.brand,
        price_cents=row.price_cents,
        stock=row.stock,
        variants=tuple(_variant(v) for v in variants if isinstance(v, dict)),
        specs_en={str(k): str(v) for k, v in (specs.get("en") or {}).items()},
        specs_zh={str(k): str(v) for k, v in (specs.get("zh") or {}).items()},
        description_en=row.description_en,
        description_zh=row.description_zh,
        rating=float(row.rating),
        rating_count=row.rating_count,
        image_url=row.image_url,
        consumable=bool(row.consumable),
    )


async def search_products(engine: AsyncEngine, query: str, limit: int = 5) -> list[ProductMatch]:
    """Products whose names or aliases match ``query`` (zh or en, typos allowed), best first.

    Empty when nothing scores at least 60.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    normalised = normalise_query(query)
    if not normalised:
        return []
    index_columns = (
        products.c.id,
        products.c.name_en,
        products.c.name_zh,
        products.c.aliases,
        products.c.brand,
        products.c.rating_count,
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(select(*index_columns))).all()
        scored = [(score_product(normalised, item), item) for item in map(_index, rows)]
        scored = [(s, item) for s, item in scored if s >= MIN_SCORE]
        scored.sort(key=lambda pair: (-pair[0], -pair[1].rating_count, pair[1].id))
        top = scored[:limit]
        if not top:
            return []
        ids = [item.id for _, item in top]
        full_rows = (await conn.execute(select(products).where(products.c.id.in_(ids)))).all()
    by_id = {row.id: product_from_row(row) for row in full_rows}
    return [ProductMatch(by_id[item.id], round(score, 1)) for score, item in top]


async def get_product(engine: AsyncEngine, product_id: str) -> Product | None:
    async with engine.connect() as conn:
        row = (await conn.execute(select(products).where(products.c.id == product_id))).first()
    return None if row is None else product_from_row(row)


async def list_products(
    engine: AsyncEngine, *, category: str | None = None, ids: Sequence[str] | None = None
) -> list[Product]:
    """All products (of one category, or with the given ids), by id."""
    query = select(products).order_by(products.c.id)
    if category is not None:
        query = query.where(products.c.category == category)
    if ids is not None:
        query = query.where(products.c.id.in_(list(ids)))
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [product_from_row(row) for row in rows]


# A product's name or alias written out in a sentence ("I want to return the T-shirt",
# "那件T恤"): the query contains it (90 and more), not merely resembles it.
NAMED_SCORE = 90.0


def names_product(text: str, product: Product) -> bool:
    """Whether ``text`` names ``product`` (its name or one of its aliases, zh or en)."""
    query = normalise_query(text)
    if not query:
        return False
    indexed = _index_cached(
        product.id,
        product.name_en,
        product.name_zh,
        tuple(product.aliases),
        product.brand,
        product.rating_count,
    )
    return score_product(query, indexed) >= NAMED_SCORE


async def product_named_in(engine: AsyncEngine, text: str) -> Product | None:
    """The catalogue product ``text`` names best, if it names one (see :func:`names_product`)."""
    found = await search_products(engine, text, limit=1)
    return found[0].product if found and found[0].score >= NAMED_SCORE else None
