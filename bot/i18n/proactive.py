"""Texts of the proactive service (bot/services/proactive.py): what a customer is told before
they ask (``proactive.*``, zh/en) and the alert staff get (``staff.proactive.*``)."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- the customer ------------------------------------------------------------------------
    "proactive.delay_risk": {
        "en": "About your order {order_id}: the parcel with {carrier} is likely to arrive after "
        "the promised date ({promised}). We are watching it for you.{offer} Reply here if you "
        "have any questions.",
        "zh": "关于您的订单 {order_id}：{carrier}承运的包裹可能晚于承诺的送达日（{promised}）"
        "到达，我们正在为您跟进。{offer}如有任何问题，直接在这里回复即可。",
    },
    "proactive.overdue": {
        "en": "About your order {order_id}: the parcel with {carrier} has not arrived by the "
        "promised date ({promised}). We are sorry and are following it up with the carrier."
        "{offer} Reply here if you have any questions.",
        "zh": "关于您的订单 {order_id}：{carrier}承运的包裹未能在承诺的送达日（{promised}）"
        "送达，非常抱歉，我们正在与快递公司跟进。{offer}如有任何问题，直接在这里回复即可。",
    },
    "proactive.stalled": {
        "en": "About your order {order_id}: the tracking of your parcel with {carrier} has not "
        "moved since {last_scan} ({location}). We have asked the carrier to check it.{offer} "
        "Reply here if you have any questions.",
        "zh": "关于您的订单 {order_id}：{carrier}的物流信息自 {last_scan}（{location}）起没有"
        "更新，我们已请快递公司核查。{offer}如有任何问题，直接在这里回复即可。",
    },
    "proactive.offer.coupon": {
        "en": " If it does arrive late, you get a {amount} coupon for your next order; just ask "
        "us here.",
        "zh": "如包裹确实晚到，您可获得一张 {amount} 的优惠券用于下次购物，在这里告诉我们即可。",
    },
    "proactive.offer.coupon_late": {
        "en": " To make up for it, you get a {amount} coupon for your next order; just ask us "
        "here.",
        "zh": "作为补偿，您可获得一张 {amount} 的优惠券用于下次购物，在这里告诉我们即可。",
    },
    "proactive.offer.free_return": {
        "en": " If you no longer want it when it arrives, you can return it for free: we pay "
        "the return shipping.",
        "zh": "如果到货后您不再需要，可以免费退货，退货运费由我们承担。",
    },
    "proactive.back_in_stock": {
        "en": "Good news: {name}, which you asked about, is back in stock ({price}). Reply here "
        "if you would like to know more.",
        "zh": "好消息：您之前询问的{name}已经到货（{price}）。想了解更多，直接在这里回复即可。",
    },
    # --- staff (the Slack support channel) ----------------------------------------------------
    "staff.proactive.parcel": {
        "en": ":package: Proactive notice ({reason}): order {order_id} of customer {customer_id} "
        "({carrier}), {detail}. Offer: {offer}. Customer told: {told}.",
        "zh": ":package: 主动提醒（{reason}）：客户 {customer_id} 的订单 {order_id}（{carrier}），"
        "{detail}。补偿：{offer}。已通知客户：{told}。",
    },
    "staff.proactive.back_in_stock": {
        "en": ":bell: Back in stock: {product_id} for customer {customer_id}. Customer told: "
        "{told}.",
        "zh": ":bell: 到货提醒：客户 {customer_id} 询问过的 {product_id} 已到货。"
        "已通知客户：{told}。",
    },
    "staff.proactive.reason.delay_risk": {"en": "delay risk", "zh": "延误风险"},
    "staff.proactive.reason.overdue": {"en": "past the promised date", "zh": "已过承诺送达日"},
    "staff.proactive.reason.stalled": {"en": "tracking stalled", "zh": "物流停滞"},
    "staff.proactive.detail.risk": {
        "en": "delay risk {risk:.0%} (promised {promised})",
        "zh": "延误概率 {risk:.0%}（承诺 {promised}）",
    },
    "staff.proactive.detail.stalled": {
        "en": "no scan for {hours:.0f} h (last: {location})",
        "zh": "{hours:.0f} 小时无物流更新（最后：{location}）",
    },
    "staff.proactive.offer.coupon": {"en": "{amount} coupon", "zh": "{amount} 优惠券"},
    "staff.proactive.offer.free_return": {"en": "free return", "zh": "免费退货"},
    "staff.proactive.offer.none": {"en": "none", "zh": "无"},
    "staff.proactive.told.queued": {"en": "yes, on {channel}", "zh": "是，经 {channel}"},
    "staff.proactive.told.held": {
        "en": "after quiet hours ({when}), on {channel}",
        "zh": "静默时段后（{when}）经 {channel}",
    },
    "staff.proactive.told.no_channel": {
        "en": "no, the customer never wrote to us: please contact them",
        "zh": "否，客户从未联系过我们，请主动联系",
    },
}
