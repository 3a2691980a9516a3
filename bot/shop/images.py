"""Product pictures for the demo shop: a simple SVG card per product, drawn on request.

Demo products have ``image_url`` "/products/<id>.svg"; the gateway serves that path with
:func:`render_product_svg` (content type ``image/svg+xml``). No files, no network.
"""

from __future__ import annotations

import re
import unicodedata
from xml.sax.saxutils import escape

from bot.services.types import Product
from bot.shop.catalog_data import category_by_key

IMAGE_PATH_PREFIX = "/products/"
SVG_CONTENT_TYPE = "image/svg+xml"
_DEFAULT_COLOR = "#5b6b7b"
_FONTS = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
_PRODUCT_PATH = re.compile(r"^/products/([A-Za-z0-9_-]{1,32})\.(svg|png)$")


def product_id_from_image_path(path: str, *, png: bool = False) -> str | None:
    """ "/products/P0001.svg" -> "P0001" (and "/products/P0001.png" with ``png``, the
    gateway's PNG of the same card); None for any other path."""
    match = _PRODUCT_PATH.match(path)
    if match is None or (match.group(2) == "png" and not png):
        return None
    return match.group(1)


def product_png_path(product_id: str) -> str:
    """Where the gateway serves the product's card as PNG."""
    return f"{IMAGE_PATH_PREFIX}{product_id}.png"


def _width(text: str) -> float:
    # Wide (CJK) characters take about twice the room of Latin ones.
    return sum(2.0 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)


def _wrap(text: str, limit: float, max_lines: int) -> list[str]:
    """Greedy wrap on spaces (or anywhere, for CJK), at most ``max_lines`` lines."""
    lines: list[str] = []
    current = ""
    tokens = re.findall(r"\S+\s*", text)
    for token in tokens:
        if _width(current + token) <= limit:
            current += token
            continue
        if current:
            lines.append(current.rstrip())
            current = ""
        while _width(token) > limit:  # a long word or CJK run: split by characters
            cut = 1
            while cut < len(token) and _width(token[: cut + 1]) <= limit:
                cut += 1
            lines.append(token[:cut])
            token = token[cut:]
        current = token
    if current.strip():
        lines.append(current.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: max(1, len(lines[-1]) - 1)] + "…"
    return lines


def _initials(product: Product) -> str:
    source = product.brand or product.name_en
    letters = [w[0] for w in re.findall(r"[A-Za-z0-9]+", source)]
    return ("".join(letters[:2]) or source[:1] or "?").upper()


def render_product_svg(product: Product) -> str:
    """A 400x400 SVG card: category colour, brand initials, English and Chinese name, price."""
    category = category_by_key(product.category)
    color = category.color if category else _DEFAULT_COLOR
    label_en = category.name_en if category else product.category
    label_zh = category.name_zh if category else ""
    en_lines = _wrap(product.name_en, 30, 2)
    zh_lines = _wrap(product.name_zh, 30, 2)
    text_rows: list[str] = []
    y = 262
    for line in en_lines:
        text_rows.append(
            f'<text x="200" y="{y}" font-size="20" font-weight="600" fill="#1d2733" '
            f'text-anchor="middle">{escape(line)}</text>'
        )
        y += 26
    for line in zh_lines:
        text_rows.append(
            f'<text x="200" y="{y}" font-size="18" fill="#3d4a57" '
            f'text-anchor="middle">{escape(line)}</text>'
        )
        y += 24
    price = f"¥{product.price_cents / 100:,.2f}"
    title = escape(f"{product.name_en} / {product.name_zh}", {'"': "&quot;"})
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" '
        f'viewBox="0 0 400 400" role="img" aria-label="{title}" font-family="{_FONTS}">',
        f"<title>{title}</title>",
        '<rect width="400" height="400" rx="24" fill="#ffffff"/>',
        f'<rect width="400" height="220" rx="24" fill="{color}"/>',
        f'<rect y="196" width="400" height="24" fill="{color}"/>',
        '<circle cx="200" cy="110" r="62" fill="#ffffff" fill-opacity="0.22"/>',
        f'<text x="200" y="128" font-size="48" font-weight="700" fill="#ffffff" '
        f'text-anchor="middle">{escape(_initials(product))}</text>',
        f'<text x="20" y="38" font-size="15" fill="#ffffff" fill-opacity="0.9">'
        f"{escape(label_en)}{' · ' + escape(label_zh) if label_zh else ''}</text>",
        *text_rows,
        f'<text x="200" y="382" font-size="22" font-weight="700" fill="{color}" '
        f'text-anchor="middle">{escape(price)}</text>',
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


PNG_CONTENT_TYPE = "image/png"
_PNG_SIZE = 400


def _hex_rgb(color: str) -> tuple[int, int, int]:
    value = color.lstrip("#")
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        value = _DEFAULT_COLOR.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def render_product_png(product: Product) -> bytes:
    """The same card as a 400x400 PNG, for platforms that take no SVG (Telegram, Slack).

    Only Latin text is drawn (brand initials, English name, price): the machine may have no
    CJK font, and chat platforms show the Chinese name in the caption next to the photo.
    """
    from io import BytesIO

    from PIL import Image, ImageDraw, ImageFont

    category = category_by_key(product.category)
    rgb = _hex_rgb(category.color if category else _DEFAULT_COLOR)
    image = Image.new("RGB", (_PNG_SIZE, _PNG_SIZE), (247, 248, 250))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, _PNG_SIZE, 210), fill=rgb)
    big = ImageFont.load_default(size=96)
    mid = ImageFont.load_default(size=22)
    small = ImageFont.load_default(size=20)
    draw.text((200, 105), _initials(product), font=big, fill=(255, 255, 255), anchor="mm")
    y = 250
    for line in _wrap(product.name_en, 30, 2):
        draw.text((200, y), line, font=mid, fill=(29, 39, 51), anchor="mm")
        y += 30
    price = f"CNY {product.price_cents / 100:,.2f}"
    draw.text((200, 350), price, font=small, fill=rgb, anchor="mm")
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
