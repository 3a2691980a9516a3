"""Bot commands answered without Rasa: the bilingual /help text (stored with its command through
:meth:`~bot.core.pipeline.Pipeline.submit_answered`, so it is deduplicated and delivered like
any other reply)."""

from __future__ import annotations

from bot.i18n import Lang, t, variants

HELP_TEXT = variants("telegram.help")


def help_text(lang: Lang, shop: str, shop_zh: str) -> str:
    """The /help answer in both languages, the customer's first."""
    other: Lang = "en" if lang == "zh" else "zh"
    texts = [t("telegram.help", x, shop=shop_zh if x == "zh" else shop) for x in (lang, other)]
    return "\n\n".join(texts)
