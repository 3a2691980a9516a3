"""Texts about products and recommendations; catalog categories in words."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- products -------------------------------------------------------------------------
    "product.none": {
        "en": "Sorry, I couldn't find a product matching “{query}”. Could you tell me the "
        "product name another way, e.g. “wireless earbuds” or “rice cooker”?",
        "zh": "抱歉，没有找到与“{query}”相符的商品。能换个说法告诉我商品名称吗？"
        "例如“无线耳机”或“电饭煲”。",
    },
    "product.ask_which": {
        "en": "I found several products for “{query}”. Which one do you mean?",
        "zh": "“{query}”有好几款商品，您想了解哪一款？",
    },
    "product.headline": {
        "en": "{name} by {brand}: {price}. Rating {rating}/5 from {count} reviews.",
        "zh": "{brand} {name}：{price}，评分 {rating}/5（{count} 条评价）。",
    },
    "product.in_stock": {"en": "In stock: {stock} available.", "zh": "有货，库存 {stock} 件。"},
    "product.low_stock": {
        "en": "Only {stock} left in stock.",
        "zh": "库存紧张，仅剩 {stock} 件。",
    },
    "product.out_of_stock": {
        "en": "Currently out of stock.",
        "zh": "目前缺货。",
    },
    "product.variants": {"en": "Options: {variants}.", "zh": "可选规格：{variants}。"},
    "product.variant_out": {"en": "sold out", "zh": "售罄"},
    "product.specs": {"en": "Key specs: {specs}.", "zh": "主要参数：{specs}。"},
    "product.no_query": {
        "en": "Which product would you like to know about?",
        "zh": "您想了解哪款商品呢？",
    },
    # --- recommendations (bot/services/recommend.py, action_recommend_products) -------------
    "recommend.header.personal": {
        "en": "Picked for you{scope}:",
        "zh": "根据您的喜好，为您精选{scope}商品：",
    },
    "recommend.header.popular": {
        "en": "Popular picks{scope} that are in stock:",
        "zh": "为您推荐{scope}热门有货商品：",
    },
    "recommend.header.similar": {
        "en": "More like {name}:",
        "zh": "与{name}相似的商品：",
    },
    "recommend.header.gift": {
        "en": "Gift ideas for {recipient}{scope}:",
        "zh": "送给{recipient}的礼物推荐{scope}：",
    },
    "recommend.scope": {"en": " for “{query}”", "zh": "“{query}”相关"},
    "recommend.price.max": {"en": " under {price}", "zh": "{price}以内"},
    "recommend.price.min": {"en": " over {price}", "zh": "{price}以上"},
    "recommend.price.range": {"en": " between {low} and {high}", "zh": "{low}至{high}"},
    "recommend.line": {
        "en": "• {name} — {price}, rated {rating}/5 · {reason}",
        "zh": "• {name} — {price}，评分 {rating}/5 · {reason}",
    },
    "recommend.reason.bought": {"en": "because you bought {name}", "zh": "因为您购买了{name}"},
    "recommend.reason.viewed": {"en": "because you looked at {name}", "zh": "因为您浏览过{name}"},
    "recommend.reason.similar": {"en": "similar to {name}", "zh": "与{name}相似"},
    "recommend.reason.gift": {"en": "a popular gift for {recipient}", "zh": "适合送给{recipient}"},
    "recommend.reason.popular_segment": {"en": "popular with {segment}", "zh": "{segment}都在买"},
    "recommend.reason.popular_category": {"en": "popular in {category}", "zh": "{category}热销"},
    "recommend.reason.history": {
        "en": "based on what you've been looking at",
        "zh": "根据您最近的浏览和购买",
    },
    "recommend.reason.popular": {"en": "popular right now", "zh": "近期热销"},
    "recommend.relaxed_price": {
        "en": "Nothing is in stock{price} right now; these are the closest in price.",
        "zh": "目前没有{price}的有货商品，以下是价格最接近的选择。",
    },
    "recommend.segment.vip": {"en": "our VIP members", "zh": "VIP 会员"},
    "recommend.segment.regular": {"en": "our regular customers", "zh": "老顾客"},
    "recommend.segment.new": {"en": "new customers", "zh": "新顾客"},
    "recommend.segment.other": {"en": "customers like you", "zh": "和您相似的顾客"},
    "recommend.recipient.mother": {"en": "your mom", "zh": "妈妈"},
    "recommend.recipient.father": {"en": "your dad", "zh": "爸爸"},
    "recommend.recipient.partner_f": {"en": "your partner", "zh": "另一半"},
    "recommend.recipient.partner_m": {"en": "your partner", "zh": "另一半"},
    "recommend.recipient.child": {"en": "your kids", "zh": "孩子"},
    "recommend.recipient.grandparent": {"en": "your grandparents", "zh": "长辈"},
    "recommend.recipient.friend": {"en": "a friend", "zh": "朋友"},
    "recommend.button.more": {"en": "More like this", "zh": "看相似"},
    "recommend.button.skip": {"en": "Not interested", "zh": "不感兴趣"},
    "recommend.button.buy": {"en": "Buy", "zh": "购买"},
    "recommend.dismissed": {
        "en": "Got it, I won't suggest {name} again.",
        "zh": "好的，以后不再向您推荐{name}。",
    },
    "recommend.buy": {
        "en": "Great choice! {name} is {price} and in stock. You can order it on our website "
        "or in the app.",
        "zh": "好眼光！{name}售价 {price}，现货充足，您可以在官网或 App 下单。",
    },
    "recommend.gone": {
        "en": "Sorry, I can't find that product any more. Shall I suggest something else?",
        "zh": "抱歉，这件商品已经找不到了。要不要看看其他推荐？",
    },
    "recommend.none": {
        "en": "Sorry, nothing matching “{query}” is in stock right now. Could you try another "
        "kind of product?",
        "zh": "抱歉，目前没有与“{query}”相关的有货商品，换个品类试试？",
    },
    "recommend.none_filtered": {
        "en": "Sorry, nothing in stock matches that right now. Could you try another kind of "
        "product or price range?",
        "zh": "抱歉，目前没有符合条件的有货商品，换个品类或价位试试？",
    },
}

# Catalog categories in words (bot/shop/catalog_data.py takes its category names from here).
CATEGORIES: Final[dict[str, dict[Lang, str]]] = {
    "electronics": {"en": "Electronics", "zh": "数码电子"},
    "appliances": {"en": "Home Appliances", "zh": "家用电器"},
    "clothing": {"en": "Clothing", "zh": "服装"},
    "shoes": {"en": "Shoes", "zh": "鞋靴"},
    "beauty": {"en": "Beauty & Personal Care", "zh": "美妆个护"},
    "food": {"en": "Food & Drinks", "zh": "食品饮料"},
    "sports": {"en": "Sports & Outdoors", "zh": "运动户外"},
    "home": {"en": "Home & Living", "zh": "家居日用"},
    "underwear": {"en": "Underwear", "zh": "内衣"},
    "books": {"en": "Books", "zh": "图书"},
}
