"""``GET /widget.js``: the web chat as one script a shop adds to its own pages.

The script is put together once, when the gateway starts: the labels in both languages
(bot/i18n), the page's stylesheet and the widget's own (both go into the widget's shadow
root, so neither leaks into the shop's page nor the shop's styles into it), the message
rendering shared with the chat page (``static/render.js``) and the widget itself
(``static/widget.js``), all inside one function so nothing but the widget's element is added
to the page.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.i18n import web_labels

STATIC_DIR = Path(__file__).resolve().parent / "static"
HEADERS = {
    # Shops embed it on every page: cached a while, revalidated after a gateway update.
    "Cache-Control": "public, max-age=300",
    "X-Content-Type-Options": "nosniff",
}


def _shadow_css(css: str) -> str:
    """The page's stylesheet for a shadow root: its variables, font and colour belong to the
    host and again to the widget's frame (``.sw``), so a shop's styles on the host element
    (``div { color: ... !important }``) are not inherited past it."""
    return css.replace(":root", ":host, .sw")


def build_widget(cfg: Config, *, max_photo_bytes: int) -> bytes:
    """The whole ``/widget.js`` as UTF-8 bytes."""
    settings: dict[str, Any] = {
        "labels": web_labels(),
        "shopName": {"en": cfg.shop.name, "zh": cfg.shop.name_zh},
        "maxLength": cfg.gateway.max_text_length,
        "maxPhotoBytes": max_photo_bytes,
        # The shop's inherited styles stop at the host; then the page's look and the widget's.
        "css": ":host { all: initial; }\n"
        + _shadow_css((STATIC_DIR / "chat.css").read_text(encoding="utf-8"))
        + (STATIC_DIR / "widget.css").read_text(encoding="utf-8"),
    }
    parts = [
        '/* Shop assistant chat widget: <script src=".../widget.js" async></script>. */',
        "(function () {",
        '"use strict";',
        f"var SETTINGS = {json.dumps(settings, ensure_ascii=False, separators=(',', ':'))};",
        (STATIC_DIR / "render.js").read_text(encoding="utf-8"),
        (STATIC_DIR / "widget.js").read_text(encoding="utf-8"),
        "})();",
        "",
    ]
    return "\n".join(parts).encode("utf-8")
