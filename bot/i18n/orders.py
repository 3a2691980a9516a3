"""Texts about orders: asking for one, its status, cancelling it, changing its address;
order statuses, carriers and payment methods in words."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- asking for and checking an order -------------------------------------------------
    "order.ask_id": {
        "en": "What's the order number? It has 12 digits, like 260315004217, and is shown in "
        "your order details.",
        "zh": "请告诉我订单号，它是 12 位数字（例如 260315004217），可以在订单详情里找到。",
    },
    "order.ask_id_choose": {
        "en": "Which order is it about? Here are your latest orders — tap one or type the "
        "order number.",
        "zh": "请问是哪个订单？下面是您最近的订单，点一下即可，也可以直接输入订单号。",
    },
    "order.ask_id_product_several": {
        "en": "More than one of your orders has {product}. Which one is it about?",
        "zh": "您有不止一个订单包含{product}，请问是哪一个？",
    },
    "order.ask_id_product_none": {
        "en": "None of your orders that this request fits has {product}. Here are the ones it "
        "fits — tap one or type the order number.",
        "zh": "可办理此项的订单中没有{product}。下面是可以办理的订单，点一下即可，"
        "也可以直接输入订单号。",
    },
    "order.button": {
        "en": "{order_id} · {item} · {status}",
        "zh": "{order_id} · {item} · {status}",
    },
    "order.bad_format": {
        "en": "“{text}” doesn't look like an order number. Order numbers have 12 digits, "
        "for example 260315004217.",
        "zh": "“{text}”不像是订单号。订单号是 12 位数字，例如 260315004217。",
    },
    "order.not_found": {
        "en": "I couldn't find an order with the number {order_id}. Please check the number "
        "and send it again.",
        "zh": "没有找到订单号为 {order_id} 的订单，请核对后重新发送。",
    },
    "order.ask_phone": {
        "en": "Order {order_id} isn't linked to this chat account. To protect the buyer's "
        "privacy, please tell me the phone number used on that order.",
        "zh": "订单 {order_id} 不属于当前聊天账号。为保护买家隐私，请提供下单时填写的手机号。",
    },
    "order.phone_retry": {
        "en": "Sorry, that phone number doesn't match the one on this order.",
        "zh": "抱歉，这个手机号与订单上的不一致。",
    },
    "order.ask_phone_again": {
        "en": "Please check and send the phone number used on order {order_id} again, or say "
        "“never mind” to leave it.",
        "zh": "请核对后重新发送订单 {order_id} 下单时填写的手机号，或回复“算了”结束。",
    },
    "order.bad_phone": {
        "en": "That doesn't look like a phone number. Please send the phone number on the "
        "order, for example 13812345678.",
        "zh": "这看起来不是手机号。请发送订单上填写的手机号，例如 13812345678。",
    },
    "order.phone_mismatch": {
        "en": "Sorry, that phone number doesn't match our records for this order, so I can't "
        "share or change anything about it. Please check the number, or write to us from the "
        "account that placed the order.",
        "zh": "抱歉，该手机号与订单记录不符，我无法提供或修改这个订单的任何信息。"
        "请核对手机号，或使用下单账号联系我们。",
    },
    "order.more_items": {"en": "{first} and {count} more", "zh": "{first}等{total}件商品"},
    # --- order status ---------------------------------------------------------------------
    "status.headline": {
        "en": "Order {order_id} ({items}, {total}): {status}.",
        "zh": "订单 {order_id}（{items}，{total}）：{status}。",
    },
    "status.carrier": {
        "en": "Carrier: {carrier}, tracking number {tracking}.",
        "zh": "快递：{carrier}，运单号 {tracking}。",
    },
    "status.latest_event": {
        "en": "Latest update: {time}, {location} — {description}",
        "zh": "最新物流：{time} {location} — {description}",
    },
    "status.eta": {"en": "Expected delivery: {date}.", "zh": "预计送达：{date}。"},
    "status.ship_by": {
        "en": "It's in stock and will leave our warehouse by {date}; delivery then usually "
        "takes 1–3 days.",
        "zh": "商品有货，预计 {date} 前从仓库发出，发货后一般 1–3 天送达。",
    },
    "status.ship_soon": {
        "en": "It's being packed and should leave our warehouse within 24 hours.",
        "zh": "订单正在打包，预计 24 小时内从仓库发出。",
    },
    "status.pending_payment": {
        "en": "It will be shipped once the payment is completed in the app.",
        "zh": "在 App 内完成付款后即可安排发货。",
    },
    "status.delivered_at": {
        "en": "It was delivered on {time}.",
        "zh": "已于 {time} 签收。",
    },
    "status.cancelled_at": {
        "en": "It was cancelled on {time}.",
        "zh": "已于 {time} 取消。",
    },
    "status.returned": {
        "en": "The items were returned to us.",
        "zh": "商品已退回。",
    },
    # --- cancellation ---------------------------------------------------------------------
    "cancel.confirm": {
        "en": "Order {order_id} ({items}, {total}) hasn't shipped yet, so I can cancel it. "
        "Shall I cancel it now?",
        "zh": "订单 {order_id}（{items}，{total}）尚未发货，可以取消。确定要取消吗？",
    },
    "cancel.yes": {"en": "Yes, cancel it", "zh": "确定取消"},
    "cancel.no": {"en": "No, keep it", "zh": "不取消了"},
    "cancel.done": {
        "en": "Done — order {order_id} is cancelled (ticket {ticket_id}).",
        "zh": "已为您取消订单 {order_id}（工单号 {ticket_id}）。",
    },
    "cancel.refund": {
        "en": "The {amount} you paid goes back to your original payment method ({method}), "
        "usually within 1–3 working days.",
        "zh": "已付款项 {amount} 将原路退回（{method}），一般 1–3 个工作日到账。",
    },
    "cancel.no_charge": {
        "en": "The order was not paid, so nothing was charged.",
        "zh": "该订单尚未付款，不会产生任何扣款。",
    },
    "cancel.kept": {
        "en": "OK, I haven't cancelled anything — order {order_id} stays as it is.",
        "zh": "好的，订单 {order_id} 没有取消，保持不变。",
    },
    "cancel.refused_shipped": {
        "en": "Order {order_id} has already shipped ({status}), so it can't be cancelled any "
        "more. I can have the parcel sent back to us instead and refund you once it's back — "
        "tap below or just say yes.",
        "zh": "订单 {order_id} 已经发货（{status}），无法再取消。可以为您申请退货，"
        "让快递把包裹退回，商品退回仓库后为您退款——点击下方按钮或回复“好的”即可。",
    },
    "cancel.refused_delivered": {
        "en": "Order {order_id} was already delivered on {date}, so it can't be cancelled. "
        "Within 7 days of delivery you can return it instead — tap below or just say yes.",
        "zh": "订单 {order_id} 已于 {date} 签收，无法取消。签收 7 天内可以申请退货"
        "——点击下方按钮或回复“好的”即可。",
    },
    "cancel.refused_expired": {
        "en": "Order {order_id} was delivered on {date}, so it can't be cancelled, and the "
        "7-day no-reason return window ended on {deadline}. If something is faulty, "
        "electronics and appliances have a 1-year warranty — tell me what's wrong and I'll "
        "pass it on as a complaint.",
        "zh": "订单 {order_id} 已于 {date} 签收，无法取消，7 天无理由退货期也已于 {deadline} "
        "结束。如果商品有质量问题，数码和家电产品享受 1 年保修——告诉我具体问题，"
        "我会为您登记处理。",
    },
    "cancel.refused_cancelled": {
        "en": "Order {order_id} is already cancelled — there's nothing more to do.",
        "zh": "订单 {order_id} 已经取消，无需再操作。",
    },
    "cancel.refused_returned": {
        "en": "Order {order_id} has already been returned, so it can't be cancelled.",
        "zh": "订单 {order_id} 已经退货，无法取消。",
    },
    "cancel.refused_other": {
        "en": "Order {order_id} can't be cancelled in its current state ({status}).",
        "zh": "订单 {order_id} 当前状态（{status}）无法取消。",
    },
    "cancel.failed": {
        "en": "Sorry, order {order_id} changed state in the meantime and could not be "
        "cancelled. Please ask me about its status.",
        "zh": "抱歉，订单 {order_id} 的状态刚刚发生了变化，未能取消。您可以查询一下订单状态。",
    },
    "return.button": {"en": "Start a return", "zh": "申请退货"},
    # --- address change -------------------------------------------------------------------
    "address.ask": {
        "en": "Order {order_id} will currently be delivered to: {current}\nWhat's the new "
        "address? Please include the city, district, street and house or room number.",
        "zh": "订单 {order_id} 当前收货地址：{current}\n请发送新的收货地址，需包含省市区、"
        "街道和门牌号/房间号。",
    },
    "address.ask_again": {
        "en": "Please send the new delivery address for order {order_id} again.",
        "zh": "请重新发送订单 {order_id} 的新收货地址。",
    },
    "address.too_short": {
        "en": "That address is too short. Please include the city, street and house or room "
        "number.",
        "zh": "地址太短了，请写明城市、街道和门牌号/房间号。",
    },
    "address.no_detail": {
        "en": "I need a more detailed address: the street and the house or room number, e.g. "
        "“Flat 12, 88 Jianguo Road, Chaoyang District, Beijing”.",
        "zh": "地址不够详细，请写明区县、街道和门牌号，例如“北京市朝阳区建国路88号3栋1202室”。",
    },
    "address.too_long": {
        "en": "That address is too long. Please send only the address itself.",
        "zh": "地址太长了，请只发送收货地址本身。",
    },
    "address.invalid": {
        "en": "I couldn't use that as an address. Please send the full delivery address.",
        "zh": "这个地址无法使用，请发送完整的收货地址。",
    },
    "address.confirm": {
        "en": "Change the delivery address of order {order_id} to:\n{address}\nIs that right?",
        "zh": "将订单 {order_id} 的收货地址修改为：\n{address}\n确认修改吗？",
    },
    "address.yes": {"en": "Yes, change it", "zh": "确认修改"},
    "address.no": {"en": "No", "zh": "不改了"},
    "address.done": {
        "en": "Done — order {order_id} will be delivered to: {address} (ticket {ticket_id}).",
        "zh": "修改成功，订单 {order_id} 将配送至：{address}（工单号 {ticket_id}）。",
    },
    "address.kept": {
        "en": "OK, the delivery address of order {order_id} stays unchanged.",
        "zh": "好的，订单 {order_id} 的收货地址保持不变。",
    },
    "address.refused_shipped": {
        "en": "Order {order_id} has already shipped ({status}), so we can no longer change its "
        "address. You can ask {carrier} about redirecting the parcel (tracking number "
        "{tracking}), or refuse it at the door and we'll refund you once it's back.",
        "zh": "订单 {order_id} 已经发货（{status}），无法再修改收货地址。您可以联系{carrier}"
        "申请改派（运单号 {tracking}），或拒收包裹，商品退回后我们会为您退款。",
    },
    "address.refused_delivered": {
        "en": "Order {order_id} was already delivered on {date}, so its address can't be changed.",
        "zh": "订单 {order_id} 已于 {date} 签收，无法修改收货地址。",
    },
    "address.refused_closed": {
        "en": "Order {order_id} is {status}, so there is no delivery address to change.",
        "zh": "订单 {order_id} {status}，没有需要修改的收货地址。",
    },
    "address.failed": {
        "en": "Sorry, order {order_id} shipped in the meantime, so its address could not be "
        "changed.",
        "zh": "抱歉，订单 {order_id} 刚刚已经发货，未能修改地址。",
    },
}

STATUS: Final[dict[str, dict[Lang, str]]] = {
    "pending_payment": {"en": "awaiting payment", "zh": "待付款"},
    "paid": {"en": "paid, waiting to be shipped", "zh": "已付款，待发货"},
    "shipped": {"en": "shipped", "zh": "已发货"},
    "in_transit": {"en": "in transit", "zh": "运输中"},
    "delivered": {"en": "delivered", "zh": "已签收"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
    "returned": {"en": "returned", "zh": "已退货"},
}

CARRIERS: Final[dict[str, str]] = {
    "SF Express": "顺丰速运",
    "JD Logistics": "京东物流",
    "ZTO Express": "中通快递",
    "YTO Express": "圆通速递",
    "STO Express": "申通快递",
    "Yunda Express": "韵达快递",
    "EMS": "中国邮政 EMS",
    "China Post EMS": "中国邮政 EMS",
    "China Post": "中国邮政",
    "Deppon": "德邦快递",
    "J&T Express": "极兔速递",
}

PAYMENT: Final[dict[str, dict[Lang, str]]] = {
    "alipay": {"en": "Alipay", "zh": "支付宝"},
    "wechat_pay": {"en": "WeChat Pay", "zh": "微信支付"},
    "wechat": {"en": "WeChat Pay", "zh": "微信支付"},
    "unionpay": {"en": "UnionPay", "zh": "银联"},
    "credit_card": {"en": "credit card", "zh": "信用卡"},
    "card": {"en": "bank card", "zh": "银行卡"},
}
