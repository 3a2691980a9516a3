"""Bot commands answered without Rasa: the bilingual /help text (stored with its command through
:meth:`~bot.core.pipeline.Pipeline.submit_answered`, so it is deduplicated and delivered like
any other reply)."""

from __future__ import annotations

from bot.core.language import Lang

HELP_TEXT: dict[Lang, str] = {
    "zh": (
        "我是{shop_zh}的智能客服，直接发消息就可以：查询或取消订单（例如“订单 260315004217 "
        "到哪了”）、咨询商品、了解配送、支付、退换货和发票。也可以发照片给我。"
        "需要人工客服时请输入“人工”。\n/start 开始对话 · /help 查看帮助"
    ),
    "en": (
        "I'm the {shop} assistant. Just write to me: track or cancel an order (e.g. "
        '"where is order 260315004217"), ask about products, delivery, payment, returns and '
        'invoices. You can send me photos too. Type "human" to reach our staff.\n'
        "/start – start the conversation · /help – this help"
    ),
}


def help_text(lang: Lang, shop: str, shop_zh: str) -> str:
    """The /help answer in both languages, the customer's first."""
    other: Lang = "en" if lang == "zh" else "zh"
    texts = [HELP_TEXT[x].format(shop=shop, shop_zh=shop_zh) for x in (lang, other)]
    return "\n\n".join(texts)
