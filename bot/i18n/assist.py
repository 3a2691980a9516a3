"""Texts of the optional large-model assist (bot/llm): the line that names the facts an answer
is based on, and the shop's policy values written as facts the model may quote (``llm.*``)."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    "llm.based_on": {"en": "Based on: {titles}", "zh": "依据：{titles}"},
    # --- policy facts (bot/llm/facts.py): titles and texts ------------------------------------
    "llm.fact.returns.title": {"en": "No-reason returns", "zh": "无理由退货"},
    "llm.fact.returns": {
        "en": "No-reason returns: items can be returned without giving a reason within "
        "{return_days} days of delivery ({return_days}-day no-reason return), unused and in "
        "their original packaging. Not returnable without a quality problem: {never}. Not "
        "returnable without a reason once opened: {opened}.",
        "zh": "无理由退货：签收后 {return_days} 天内，商品未使用、包装完好的可以无理由退货"
        "（{return_days}天无理由退货）。无质量问题不支持退货的品类：{never}。拆封后不支持无理由"
        "退货的品类：{opened}。",
    },
    "llm.fact.quality.title": {"en": "Quality problems", "zh": "质量问题退换"},
    "llm.fact.quality": {
        "en": "Quality problems: an item with a quality problem can be returned for a refund "
        "within {quality_return_days} days of delivery or exchanged within "
        "{quality_exchange_days} days of delivery. The shop pays the return shipping for: "
        "{shop_pays}.",
        "zh": "质量问题：商品有质量问题的，签收后 {quality_return_days} 天内可以退货退款，"
        "{quality_exchange_days} 天内可以换货。以下原因的退货运费由商店承担：{shop_pays}。",
    },
    "llm.fact.shipping.title": {"en": "Shipping fee", "zh": "运费标准"},
    "llm.fact.shipping": {
        "en": "Shipping fee: free shipping on orders of ¥{free_shipping_threshold} or more "
        "(after coupons); orders below ¥{free_shipping_threshold} pay a shipping fee of "
        "¥{shipping_fee}.",
        "zh": "运费：订单实付满 ¥{free_shipping_threshold} 包邮（按使用优惠券后的金额计算），"
        "不满 ¥{free_shipping_threshold} 收取运费 ¥{shipping_fee}。",
    },
    "llm.fact.hours.title": {"en": "Customer service hours", "zh": "人工客服时间"},
    "llm.fact.hours": {
        "en": "Customer service hours: staff answer every day {service_hours} (China Standard "
        "Time), weekends and public holidays included; the assistant answers around the clock.",
        "zh": "人工客服时间：每天 {service_hours}（北京时间），周末和节假日照常服务；"
        "智能客服全天在线。",
    },
    "llm.fact.warranty.title": {"en": "Repair warranty", "zh": "保修期限"},
    "llm.fact.warranty": {
        "en": "Repair warranty by category: {table}. Other categories have no repair warranty.",
        "zh": "各品类的保修期：{table}。其他品类不提供保修。",
    },
    "llm.fact.warranty_row": {"en": "{category} {days} days", "zh": "{category} {days} 天"},
    "llm.fact.return_address.title": {"en": "Return address", "zh": "退货地址"},
    "llm.fact.return_address": {
        "en": "Return address: {recipient}, {address}; returns hotline {phone}.",
        "zh": "退货地址：{address}，收件人 {recipient}；售后电话 {phone}。",
    },
    "llm.fact.product": {
        "en": "{name} ({brand}, {category}): price ¥{price}. {specs} {description}",
        "zh": "{name}（{brand}，{category}）：价格 ¥{price}。{specs} {description}",
    },
}
