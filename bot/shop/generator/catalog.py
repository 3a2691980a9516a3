"""The demo catalogue: products of every type, their variants, stock and ratings."""

from __future__ import annotations

import itertools

from bot.shop.catalog_data import CONSUMABLE_CATEGORIES, PRODUCT_TYPES, ProductType
from bot.shop.generator.base import GeneratorBase, charm_price, product_id, slug
from bot.shop.store import Row


class CatalogGenerator(GeneratorBase):
    """Products of every type, with variants, stock, prices and ratings."""

    def build_products(self) -> None:
        count = self.cfg.demo.products
        n_types = len(PRODUCT_TYPES)
        # A few products are sold out completely (never the first of a type: demo orders use those).
        later = list(range(n_types, count))
        sold_out = set(self.rng.sample(later, k=min(len(later), max(1, count // 40))))
        for index in range(count):
            ptype = PRODUCT_TYPES[index % n_types]
            self.products.append(
                self.make_product(index, ptype, index // n_types, index in sold_out)
            )

    def make_product(self, index: int, ptype: ProductType, k: int, sold_out: bool) -> Row:
        rng = self.rng
        pid = product_id(index)
        n_brands, n_lines = len(ptype.brands), len(ptype.lines)
        brand = ptype.brands[k % n_brands]
        line = ptype.lines[(k % n_brands + k // n_brands) % n_lines]
        edition = k // (n_brands * n_lines)
        sep = " " if line[1][-1:].isascii() else ""
        name_en = ptype.name_en_fmt.format(brand=brand[0], line=line[0], noun=ptype.noun[0])
        name_zh = ptype.name_zh_fmt.format(
            brand=brand[1], line=line[1], noun=ptype.noun[1], sep=sep
        )
        if edition:
            name_en += f" ({edition + 1})"
            name_zh += f"（{edition + 1}）"

        if ptype.colors:
            if k == 0:
                colors = list(ptype.colors[:3])
            else:
                n_colors = min(len(ptype.colors), rng.randint(2, 4))
                picked = set(rng.sample(range(len(ptype.colors)), n_colors))
                colors = [c for i, c in enumerate(ptype.colors) if i in picked]
        else:
            colors = []
        sizes: list[str | None] = list(ptype.sizes) or [None]
        color_options: list[tuple[str, str] | None] = list(colors) or [None]
        variants: list[Row] = []
        for size, color in itertools.product(sizes, color_options):
            parts = [pid] + ([slug(size)] if size else []) + ([slug(color[0])] if color else [])
            sku = "-".join(parts) if len(parts) > 1 else f"{pid}-STD"
            if sold_out:
                stock = 0
            elif k == 0:
                stock = rng.randint(5, 120)
            else:
                stock = 0 if rng.random() < 0.1 else rng.randint(1, 150)
            variants.append(
                {
                    "sku": sku,
                    "size": size,
                    "color_en": color[0] if color else None,
                    "color_zh": color[1] if color else None,
                    "stock": stock,
                }
            )
        if k == 0 and len(variants) > 1:
            # One sold-out variant on the showcase products, so "is it in stock?" has both answers.
            variants[-1]["stock"] = 0

        specs_en: dict[str, str] = {}
        specs_zh: dict[str, str] = {}
        for spec in ptype.specs:
            value_en, value_zh = rng.choice(spec.values)
            specs_en[spec.key_en] = value_en
            specs_zh[spec.key_zh] = value_zh

        low, high = ptype.price_yuan
        price = charm_price(rng, low, high)
        rating = round(rng.uniform(3.2, 4.9), 1)
        rating_count = min(20000, max(3, int(rng.lognormvariate(5.0, 1.2))))
        aliases = list(dict.fromkeys((*ptype.aliases_en, *ptype.aliases_zh)))
        return {
            "id": pid,
            "name_en": name_en,
            "name_zh": name_zh,
            "aliases": aliases,
            "category": ptype.category,
            "brand": brand[0],
            "price_cents": price * 100,
            "stock": sum(int(v["stock"]) for v in variants),
            "variants": variants,
            "specs": {"en": specs_en, "zh": specs_zh},
            "description_en": ptype.blurb[0],
            "description_zh": ptype.blurb[1],
            "rating": rating,
            "rating_count": rating_count,
            "image_url": f"/products/{pid}.svg",
            "consumable": ptype.category in CONSUMABLE_CATEGORIES,
        }
