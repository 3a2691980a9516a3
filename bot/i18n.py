"""Bilingual (zh-CN / en) texts the custom actions send, and the formatting they share.

Static answers (greeting, FAQ, ...) live in the Rasa domain as conditional response
variations; the texts here are the ones an action fills with order, product or ticket data.
Every key has both languages; ``t()`` picks one and fills the named placeholders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from bot.core.language import Lang
from bot.shop.catalog_data import category_by_key

_TEXTS: Final[dict[str, dict[Lang, str]]] = {
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
    # --- returns, exchanges, refunds ------------------------------------------------------
    "return.eligible": {
        "en": "Order {order_id} was delivered on {date}, so it's within the 7-day no-reason "
        "return window (until {deadline}). I've registered your return request (ticket "
        "{ticket_id}). Please keep the item unused with its tags and packaging; our team will "
        "send you the return address and a free pick-up option within one working day.",
        "zh": "订单 {order_id} 于 {date} 签收，仍在 7 天无理由退货期内（截止 {deadline}）。"
        "已为您登记退货申请（工单号 {ticket_id}）。请保持商品完好、吊牌和包装齐全，"
        "客服会在 1 个工作日内发送退货地址和免费上门取件方式。",
    },
    "return.expired": {
        "en": "Order {order_id} was delivered on {date}, so the 7-day no-reason return window "
        "ended on {deadline}. If something is faulty, electronics and appliances have a "
        "1-year warranty — tell me what's wrong and I'll pass it on as a complaint.",
        "zh": "订单 {order_id} 于 {date} 签收，7 天无理由退货期已于 {deadline} 结束。"
        "如果商品有质量问题，数码和家电产品享受 1 年保修——告诉我具体问题，我会为您登记处理。",
    },
    "return.in_transit": {
        "en": "Order {order_id} is on its way ({status}). I've asked our team to have {carrier} "
        "send it back to us (ticket {ticket_id}); if it reaches you anyway, just refuse it at "
        "the door. The {amount} you paid goes back to your original payment method once the "
        "parcel is back in our warehouse.",
        "zh": "订单 {order_id} 正在配送中（{status}）。已为您申请让{carrier}把包裹退回"
        "（工单号 {ticket_id}）；如果包裹仍然送到，直接拒收即可。"
        "包裹退回仓库后，已付款项 {amount} 将原路退回。",
    },
    "return.not_delivered": {
        "en": "Order {order_id} hasn't been delivered yet ({status}). The 7-day return window "
        "starts on delivery; if you no longer want it, you can cancel it before it ships or "
        "refuse the parcel at the door.",
        "zh": "订单 {order_id} 还未签收（{status}）。7 天无理由退货从签收之日起计算；"
        "如果不想要了，发货前可以直接取消订单，已发货的可以拒收。",
    },
    "return.closed": {
        "en": "Order {order_id} is {status}, so there is nothing to return.",
        "zh": "订单 {order_id} {status}，无需退货。",
    },
    "exchange.eligible": {
        "en": "Order {order_id} was delivered on {date}, so it can still be exchanged (until "
        "{deadline}). I've registered your exchange request (ticket {ticket_id}); our team "
        "will confirm the new size or colour with you and arrange a free pick-up.",
        "zh": "订单 {order_id} 于 {date} 签收，仍可换货（截止 {deadline}）。已为您登记换货申请"
        "（工单号 {ticket_id}），客服会与您确认新的尺码或颜色，并安排免费上门取件。",
    },
    "exchange.expired": {
        "en": "Order {order_id} was delivered on {date}; exchanges are possible within 7 days "
        "of delivery, which ended on {deadline}. Faulty electronics and appliances are still "
        "covered by the 1-year warranty.",
        "zh": "订单 {order_id} 于 {date} 签收，换货需在签收后 7 天内申请，已于 {deadline} 截止。"
        "数码和家电产品如有质量问题，仍在 1 年保修期内。",
    },
    "exchange.not_delivered": {
        "en": "Order {order_id} hasn't been delivered yet ({status}). You can request an "
        "exchange within 7 days after it arrives.",
        "zh": "订单 {order_id} 还未签收（{status}），签收后 7 天内可以申请换货。",
    },
    "exchange.closed": {
        "en": "Order {order_id} is {status}, so there is nothing to exchange.",
        "zh": "订单 {order_id} {status}，无法换货。",
    },
    "refund.none": {
        "en": "There is no refund, return or cancellation on record for order {order_id}.",
        "zh": "订单 {order_id} 没有退款、退货或取消的记录。",
    },
    "refund.header": {
        "en": "Refund-related requests for order {order_id}:",
        "zh": "订单 {order_id} 的退款相关记录：",
    },
    "refund.line": {
        "en": "• {kind} (ticket {ticket_id}, {date}): {status}",
        "zh": "• {kind}（工单号 {ticket_id}，{date}）：{status}",
    },
    "refund.timing": {
        "en": "Refunds go back to the original payment method, usually within 1–3 working days "
        "after approval (credit cards can take up to 7).",
        "zh": "退款审核通过后原路退回，一般 1–3 个工作日到账（信用卡最长 7 个工作日）。",
    },
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
    # --- tickets: human, complaint, feedback, data --------------------------------------------
    "human.notified": {
        "en": "I've passed your conversation to our customer service team (ticket "
        "{ticket_id}). A colleague will reply here during service hours, {hours} every day.",
        "zh": "已为您转接人工客服（工单号 {ticket_id}），客服会在服务时间（每天 {hours}）"
        "内在这里回复您。",
    },
    "complaint.recorded": {
        "en": "I'm really sorry about this. I've recorded your complaint (ticket {ticket_id}) "
        "and a member of our customer care team will follow up within one working day.",
        "zh": "非常抱歉给您带来不好的体验。已为您登记投诉（工单号 {ticket_id}），"
        "客服专员会在 1 个工作日内跟进处理。",
    },
    "feedback.recorded": {
        "en": "Thank you for the feedback! I've passed it on to the team (reference {ticket_id}).",
        "zh": "感谢您的宝贵意见！已转达给相关团队（编号 {ticket_id}）。",
    },
    "data.recorded": {
        "en": "I've registered your request to delete your personal data (ticket {ticket_id}). "
        "We'll delete your profile, addresses and chat history within 15 working days and "
        "confirm here. Order and invoice records are kept only as long as tax law requires.",
        "zh": "已登记您的个人数据删除申请（工单号 {ticket_id}）。我们会在 15 个工作日内删除"
        "您的账户资料、收货地址和聊天记录，并在这里通知您。订单和发票记录仅按税务法规要求的期限保存。",
    },
    "data.unknown_customer": {
        "en": "I've registered your request to delete the personal data linked to this chat "
        "(ticket {ticket_id}). To find any account data, our team may ask you to confirm the "
        "phone number of your account; it's done within 15 working days.",
        "zh": "已登记删除与本次聊天相关个人数据的申请（工单号 {ticket_id}）。为查找您的账户数据，"
        "客服可能会请您确认账户手机号，处理将在 15 个工作日内完成。",
    },
    # --- forms ----------------------------------------------------------------------------
    "form.stopped": {
        "en": "OK, I've stopped there. Is there anything else I can help with?",
        "zh": "好的，已为您取消本次操作。还有其他可以帮您的吗？",
    },
    # --- after-sales policy decisions (bot/services/aftersales_policy.py) -------------------
    "aftersales.reason.no_reason_return": {
        "en": "{item} was delivered on {delivered}, so it can be returned without giving a "
        "reason until {deadline} ({days}-day no-reason returns).",
        "zh": "{item}于 {delivered} 签收，仍在 {days} 天无理由退货期内（截至 {deadline}），"
        "可以申请退货。",
    },
    "aftersales.reason.no_reason_exchange": {
        "en": "{item} was delivered on {delivered}, so it can be exchanged, for example for "
        "another size or colour, until {deadline}.",
        "zh": "{item}于 {delivered} 签收，{deadline} 前可以申请换货（例如更换尺码或颜色）。",
    },
    "aftersales.reason.quality_return": {
        "en": "Sorry about the problem with {item}. It was delivered on {delivered}, within "
        "{days} days, so we'll take it back for a refund.",
        "zh": "很抱歉{item}出现问题。商品于 {delivered} 签收，在 {days} 天内，"
        "可以为您办理退货退款。",
    },
    "aftersales.reason.quality_exchange": {
        "en": "Sorry about the problem with {item}. Within {days} days of delivery (until "
        "{deadline}) we exchange it for a new one.",
        "zh": "很抱歉{item}出现问题。签收 {days} 天内（截至 {deadline}）可以为您换新。",
    },
    "aftersales.reason.warranty_repair": {
        "en": "{item} is under warranty until {deadline}, so we'll repair it free of charge.",
        "zh": "{item}在保修期内（至 {deadline}），可以为您免费维修。",
    },
    "aftersales.reason.return_window_passed": {
        "en": "{item} was delivered on {delivered}; the {days}-day no-reason return period "
        "ended on {deadline}, so it can't be returned without a reason any more.",
        "zh": "{item}于 {delivered} 签收，{days} 天无理由退货期已于 {deadline} 结束，"
        "无法再无理由退货。",
    },
    "aftersales.reason.exchange_window_passed": {
        "en": "{item} was delivered on {delivered}; exchanges without a quality problem are "
        "possible for {days} days, which ended on {deadline}.",
        "zh": "{item}于 {delivered} 签收，非质量问题换货需在签收 {days} 天内申请，"
        "已于 {deadline} 截止。",
    },
    "aftersales.reason.quality_return_window_passed": {
        "en": "{item} was delivered on {delivered}; a refund for a quality problem can be "
        "claimed within {days} days of delivery, and that period ended on {deadline}.",
        "zh": "{item}于 {delivered} 签收，质量问题退货需在签收 {days} 天内申请，"
        "已于 {deadline} 截止。",
    },
    "aftersales.reason.quality_exchange_window_passed": {
        "en": "{item} was delivered on {delivered}; an exchange for a quality problem can be "
        "claimed within {days} days of delivery, and that period ended on {deadline}.",
        "zh": "{item}于 {delivered} 签收，质量问题换货需在签收 {days} 天内申请，"
        "已于 {deadline} 截止。",
    },
    "aftersales.reason.out_of_warranty": {
        "en": "The warranty of {item} ended on {deadline}, so a free repair is no longer possible.",
        "zh": "{item}的保修期已于 {deadline} 结束，无法再免费维修。",
    },
    "aftersales.reason.no_warranty": {
        "en": "{category} items such as {item} have no repair warranty; quality problems are "
        "covered by returns and exchanges after delivery instead.",
        "zh": "{category}类商品（{item}）不提供保修服务，质量问题可在签收后按退换货规则处理。",
    },
    "aftersales.reason.category_not_returnable": {
        "en": "For hygiene and safety reasons, {category} items such as {item} can't be "
        "returned or exchanged without a reason. If there's a quality problem, we'll of "
        "course take it back.",
        "zh": "出于卫生和安全考虑，{category}类商品（{item}）不支持无理由退换货；"
        "如有质量问题，我们一定为您处理。",
    },
    "aftersales.reason.customised": {
        "en": "{item} was made to order for you, so it can't be returned or exchanged without "
        "a reason; quality problems are still covered.",
        "zh": "{item}为定制商品，不支持无理由退换货；如有质量问题仍可为您处理。",
    },
    "aftersales.reason.opened": {
        "en": "{item} has been opened, and opened {category} items can't be returned or "
        "exchanged without a reason; quality problems are still covered.",
        "zh": "{item}已拆封，拆封后的{category}类商品不支持无理由退换货；"
        "如有质量问题仍可为您处理。",
    },
    "aftersales.reason.not_delivered": {
        "en": "{item} hasn't been delivered yet ({status}); returns, exchanges and repairs "
        "start once it has arrived.",
        "zh": "{item}尚未签收（{status}），签收后才能申请退换货或维修。",
    },
    "aftersales.reason.order_closed": {
        "en": "Order {order_id} is {status}, so there is nothing to return or exchange.",
        "zh": "订单 {order_id} {status}，没有可以退换的商品。",
    },
    "aftersales.reason.already_returned": {
        "en": "{item} has already been returned.",
        "zh": "{item}已经退货，不能再次申请。",
    },
    "aftersales.reason.quantity_exceeds": {
        "en": "Only {remaining} of {item} can still be returned ({returned} already returned "
        "or on the way back).",
        "zh": "{item}只剩 {remaining} 件可以退货（已退或退货中 {returned} 件）。",
    },
    "aftersales.alt.exchange": {
        "en": "If it's faulty, we can exchange it until {until}.",
        "zh": "如果商品有质量问题，{until} 前可以为您换货。",
    },
    "aftersales.alt.warranty_repair": {
        "en": "It's under warranty until {until}, so we can repair it free of charge.",
        "zh": "商品在保修期内（至 {until}），可以为您免费维修。",
    },
    "aftersales.alt.intercept": {
        "en": "We can ask the courier to send the parcel back and refund you once it's back.",
        "zh": "可以为您联系快递拦截退回，包裹退回后为您退款。",
    },
    "aftersales.alt.cancel_order": {
        "en": "It hasn't shipped yet, so you can simply cancel the order.",
        "zh": "订单尚未发货，您可以直接取消订单。",
    },
    "aftersales.shipping.shop": {
        "en": "We pay the return shipping.",
        "zh": "退货运费由我们承担。",
    },
    "aftersales.shipping.customer": {
        "en": "The return shipping is paid by you.",
        "zh": "退货运费需由您承担。",
    },
    "aftersales.refund": {
        "en": "Refund: {amount} to your original payment method ({method}), usually within "
        "1–3 working days after we receive the item.",
        "zh": "退款金额 {amount}，原路退回（{method}），一般在收到退货后 1–3 个工作日内到账。",
    },
    "aftersales.instructions.shop": {
        "en": "Return number (RMA): {rma}. Please pack {items} with all accessories, tags and "
        "gifts, put a note with {rma} inside, and send it to {recipient}, {phone}, {address}. "
        "Send it freight collect or book a free pick-up: we pay the shipping.",
        "zh": "退货单号（RMA）：{rma}。请将{items}连同配件、吊牌和赠品一起包好，在包裹内附上写有 "
        "{rma} 的纸条，寄至：{address}，{recipient}，{phone}。可选择运费到付或预约免费上门取件，"
        "运费由我们承担。",
    },
    "aftersales.instructions.customer": {
        "en": "Return number (RMA): {rma}. Please pack {items} unused with all accessories, "
        "tags and gifts, put a note with {rma} inside, and send it to {recipient}, {phone}, "
        "{address}. The return shipping is yours to pay (no freight collect); please send us "
        "the tracking number once it's on its way.",
        "zh": "退货单号（RMA）：{rma}。请将{items}保持未使用状态，连同配件、吊牌和赠品一起包好，"
        "在包裹内附上写有 {rma} 的纸条，寄至：{address}，{recipient}，{phone}。退货运费需由您"
        "承担（请勿到付），寄出后请告诉我们运单号。",
    },
    # --- after-sales conversations (bot/actions/aftersales.py) ---------------------------
    "aftersales.ask_line.return": {
        "en": "Which item of order {order_id} would you like to return?",
        "zh": "订单 {order_id} 中您想退哪件商品？",
    },
    "aftersales.ask_line.exchange": {
        "en": "Which item of order {order_id} would you like to exchange?",
        "zh": "订单 {order_id} 中您想换哪件商品？",
    },
    "aftersales.line_button": {
        "en": "{number} · {item} ×{quantity} · {price}",
        "zh": "{number} · {item} ×{quantity} · {price}",
    },
    "aftersales.line_unclear": {
        "en": "Sorry, I couldn't tell which item you mean. Please tap one of the items below.",
        "zh": "抱歉，没看出您指的是哪件商品，请点选下面的商品。",
    },
    "aftersales.line_returned": {
        "en": "{item} has already been returned or is on its way back. Please choose another item.",
        "zh": "{item}已经退货或正在退回中，请选择其他商品。",
    },
    "aftersales.ask_quantity": {
        "en": "How many of {item} is it about? ({remaining} not yet returned)",
        "zh": "请问涉及几件{item}？（还可申请 {remaining} 件）",
    },
    "aftersales.quantity_unclear": {
        "en": "Please tell me a number from 1 to {remaining}.",
        "zh": "请告诉我 1 到 {remaining} 之间的数量。",
    },
    "aftersales.ask_reason.return": {
        "en": "What's the reason for returning {item}? Pick one below or tell me in your own "
        "words.",
        "zh": "请问{item}退货的原因是什么？可以点选下面的选项，也可以直接描述。",
    },
    "aftersales.ask_reason.exchange": {
        "en": "What's the reason for exchanging {item}? Pick one below or tell me in your own "
        "words.",
        "zh": "请问{item}换货的原因是什么？可以点选下面的选项，也可以直接描述。",
    },
    "aftersales.reason_unclear": {
        "en": "Sorry, I didn't catch the reason. Please pick the one that fits best.",
        "zh": "抱歉，没能理解退换原因，请选择最符合的一项。",
    },
    "aftersales.reason_name.no_reason": {
        "en": "Changed my mind / no longer needed",
        "zh": "不想要了（七天无理由）",
    },
    "aftersales.reason_name.size_or_fit": {"en": "Wrong size or colour", "zh": "尺码或颜色不合适"},
    "aftersales.reason_name.quality_problem": {
        "en": "Faulty / quality problem",
        "zh": "质量问题",
    },
    "aftersales.reason_name.damaged_in_transit": {"en": "Arrived damaged", "zh": "收到时已损坏"},
    "aftersales.reason_name.wrong_item": {"en": "Wrong item sent", "zh": "发错商品"},
    "aftersales.reason_name.not_as_described": {"en": "Not as described", "zh": "与描述不符"},
    "aftersales.ask_opened": {
        "en": "Is {item} still sealed, or has it been opened?",
        "zh": "{item}还是未拆封状态，还是已经拆封了？",
    },
    "aftersales.sealed": {"en": "Still sealed", "zh": "未拆封"},
    "aftersales.opened": {"en": "Opened", "zh": "已拆封"},
    "aftersales.opened_unclear": {
        "en": "Sorry, please tell me whether it's still sealed or has been opened.",
        "zh": "抱歉，请告诉我商品是未拆封还是已拆封。",
    },
    "aftersales.ask_variant": {
        "en": "Which size or colour of {item} would you like instead? These are in stock:",
        "zh": "{item}想换成哪个尺码或颜色？以下有现货：",
    },
    "aftersales.variant_unclear": {
        "en": "Sorry, I couldn't match that to a size or colour of this item. Please tap one of "
        "the options in stock.",
        "zh": "抱歉，没有找到对应的尺码或颜色，请点选有现货的选项。",
    },
    "aftersales.variant_same": {
        "en": "That's the one you already have. Please choose a different size or colour.",
        "zh": "这就是您现在的款式，请选择其他尺码或颜色。",
    },
    "aftersales.variant_sold_out": {
        "en": "Sorry, {variant} is out of stock right now. Please pick one of the sizes or "
        "colours in stock.",
        "zh": "抱歉，{variant}目前缺货，请选择其他有现货的尺码或颜色。",
    },
    "aftersales.no_variants": {
        "en": "Sorry, every other size and colour of {item} is sold out, so an exchange isn't "
        "possible right now. I can arrange a return and refund instead.",
        "zh": "抱歉，{item}的其他尺码和颜色都已售罄，暂时无法换货。可以为您改为退货退款。",
    },
    "aftersales.ask_photo": {
        "en": "If you can, please send a photo showing the problem; it speeds up the check. "
        "Or tap Skip.",
        "zh": "方便的话请发一张能看到问题的照片，可以加快审核；也可以点“跳过”。",
    },
    "aftersales.skip_photo": {"en": "Skip", "zh": "跳过"},
    "aftersales.photo_received": {
        "en": "Thanks, I've added {count} photo(s) to your request.",
        "zh": "已收到 {count} 张照片，会附在申请中。",
    },
    "aftersales.confirm.return": {
        "en": "Please confirm: return {quantity} × {item} from order {order_id} (reason: "
        "{reason}).",
        "zh": "请确认：退回订单 {order_id} 中的{item} {quantity} 件（原因：{reason}）。",
    },
    "aftersales.confirm.exchange": {
        "en": "Please confirm: exchange {quantity} × {item} from order {order_id} for "
        "{variant} (reason: {reason}).",
        "zh": "请确认：将订单 {order_id} 中的{item} {quantity} 件换成{variant}（原因：{reason}）。",
    },
    "aftersales.yes": {"en": "Yes, submit", "zh": "确认提交"},
    "aftersales.no": {"en": "No, cancel", "zh": "不用了"},
    "aftersales.return_done": {
        "en": "Your return is approved (ticket {ticket_id}).",
        "zh": "您的退货申请已通过（工单号 {ticket_id}）。",
    },
    "aftersales.return_requested": {
        "en": "I've registered your return (ticket {ticket_id}); our team will review it within "
        "one working day.",
        "zh": "已为您登记退货申请（工单号 {ticket_id}），我们会在一个工作日内审核。",
    },
    "aftersales.exchange_done": {
        "en": "Your exchange is approved (ticket {ticket_id}).",
        "zh": "您的换货申请已通过（工单号 {ticket_id}）。",
    },
    "aftersales.exchange_requested": {
        "en": "I've registered your exchange (ticket {ticket_id}); our team will review it "
        "within one working day.",
        "zh": "已为您登记换货申请（工单号 {ticket_id}），我们会在一个工作日内审核。",
    },
    "aftersales.replacement": {
        "en": "We'll send you {variant} once the item is back with us.",
        "zh": "收到退回的商品后，我们会为您寄出{variant}。",
    },
    "aftersales.alt_button.exchange": {"en": "Exchange it instead", "zh": "改为换货"},
    "aftersales.alt_button.warranty_repair": {
        "en": "Arrange a warranty repair",
        "zh": "联系客服安排保修",
    },
    "aftersales.alt_button.cancel_order": {"en": "Cancel the order", "zh": "取消订单"},
    "aftersales.resume.return": {
        "en": "Now, back to your return:",
        "zh": "我们继续刚才的退货申请：",
    },
    "aftersales.resume.exchange": {
        "en": "Now, back to your exchange:",
        "zh": "我们继续刚才的换货申请：",
    },
    "refund.amount": {
        "en": "  refund {amount} to {method}",
        "zh": "  退款 {amount}，原路退回{method}",
    },
    "complaint.severe": {
        "en": "As this is serious, I'm passing it to a colleague right away.",
        "zh": "鉴于问题比较严重，正在为您转接人工客服优先处理。",
    },
    "complaint.status_header": {"en": "Your complaints:", "zh": "您的投诉记录："},
    "complaint.status_line": {
        "en": "• ticket {ticket_id} about {topic}: {status}; answer due by {due}",
        "zh": "• 工单 {ticket_id}（{topic}）：{status}，答复期限 {due}",
    },
    "complaint.status_none": {
        "en": "I can't find a complaint from you. If something went wrong, tell me what "
        "happened and I'll register it.",
        "zh": "没有查到您的投诉记录。如果遇到了问题，请告诉我具体情况，我来为您登记。",
    },
    # --- ticket status changes the customer is told about (bot/services/tickets.py) ------
    "ticket.notify.requested": {
        "en": "We've received your {kind} request (ticket {ticket_id}) and will review it "
        "within one working day.",
        "zh": "已收到您的{kind}申请（工单号 {ticket_id}），我们会在一个工作日内审核。",
    },
    "ticket.notify.approved": {
        "en": "Good news: your {kind} request (ticket {ticket_id}) is approved.",
        "zh": "您的{kind}申请（工单号 {ticket_id}）已审核通过。",
    },
    "ticket.notify.rejected": {
        "en": "Sorry, your {kind} request (ticket {ticket_id}) could not be approved. Reply "
        "here if you'd like to know more or talk to a colleague.",
        "zh": "抱歉，您的{kind}申请（工单号 {ticket_id}）未能通过审核。如需了解原因或转人工客服，"
        "请直接回复。",
    },
    "ticket.notify.item_received": {
        "en": "We've received the item you sent back for ticket {ticket_id} and are checking "
        "it now.",
        "zh": "我们已收到工单 {ticket_id} 寄回的商品，正在检验。",
    },
    "ticket.notify.refunded": {
        "en": "Your refund for ticket {ticket_id} has been issued to your original payment "
        "method; it usually arrives within 1–3 working days.",
        "zh": "工单 {ticket_id} 的退款已原路退回，一般 1–3 个工作日内到账。",
    },
    "ticket.notify.refunded_amount": {
        "en": "Your refund of {amount} for ticket {ticket_id} has been issued to {method}; it "
        "usually arrives within 1–3 working days.",
        "zh": "工单 {ticket_id} 的退款 {amount} 已原路退回至{method}，一般 1–3 个工作日内到账。",
    },
    "ticket.notify.exchanged": {
        "en": "The replacement for ticket {ticket_id} is on its way to you.",
        "zh": "工单 {ticket_id} 的换货商品已为您寄出。",
    },
    "ticket.notify.cancelled": {
        "en": "Your {kind} request (ticket {ticket_id}) has been cancelled.",
        "zh": "您的{kind}申请（工单号 {ticket_id}）已取消。",
    },
    "ticket.notify.in_progress": {
        "en": "A colleague is now handling your complaint (ticket {ticket_id}); you'll hear "
        "from us by {due}.",
        "zh": "客服专员已开始处理您的投诉（工单号 {ticket_id}），将在 {due} 前给您答复。",
    },
    "ticket.notify.resolved": {
        "en": "We've marked your complaint (ticket {ticket_id}) as resolved. If anything is "
        "still not right, just reply here.",
        "zh": "您的投诉（工单号 {ticket_id}）已处理完毕。如仍有问题，请直接回复。",
    },
    "ticket.notify.closed": {
        "en": "Ticket {ticket_id} is now closed. Thank you for your patience!",
        "zh": "工单 {ticket_id} 已关闭，感谢您的耐心！",
    },
    "ticket.notify.complaint_requested": {
        "en": "We've registered your complaint about {topic} (ticket {ticket_id}); you'll "
        "hear from us by {due}.",
        "zh": "已为您登记关于{topic}的投诉（工单号 {ticket_id}），我们将在 {due} 前给您答复。",
    },
    "ticket.due_soon": {"en": "as soon as possible", "zh": "尽快"},
    "complaint.type.delivery_delay": {"en": "a late delivery", "zh": "物流延误"},
    "complaint.type.damaged_in_transit": {
        "en": "an item damaged in transit",
        "zh": "运输途中商品损坏",
    },
    "complaint.type.quality_defect": {"en": "a quality problem", "zh": "商品质量问题"},
    "complaint.type.wrong_or_missing_item": {
        "en": "a wrong or missing item",
        "zh": "错发或漏发商品",
    },
    "complaint.type.service_attitude": {"en": "our customer service", "zh": "服务态度"},
    "complaint.type.refund_delay": {"en": "a delayed refund", "zh": "退款延迟"},
    "complaint.type.price_or_promotion": {
        "en": "a price or promotion",
        "zh": "价格或优惠活动",
    },
    "complaint.type.other": {"en": "your experience with us", "zh": "您遇到的问题"},
    # --- fallback -------------------------------------------------------------------------
    "fallback.ask_affirmation": {
        "en": "Sorry, I'm not sure I understood. Did you mean one of these?",
        "zh": "抱歉，我不太确定您的意思。您是想咨询以下哪一项？",
    },
    "fallback.something_else": {"en": "Something else", "zh": "都不是"},
}

_STATUS: Final[dict[str, dict[Lang, str]]] = {
    "pending_payment": {"en": "awaiting payment", "zh": "待付款"},
    "paid": {"en": "paid, waiting to be shipped", "zh": "已付款，待发货"},
    "shipped": {"en": "shipped", "zh": "已发货"},
    "in_transit": {"en": "in transit", "zh": "运输中"},
    "delivered": {"en": "delivered", "zh": "已签收"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
    "returned": {"en": "returned", "zh": "已退货"},
}

_TICKET_KIND: Final[dict[str, dict[Lang, str]]] = {
    "cancellation": {"en": "Cancellation", "zh": "取消订单"},
    "return": {"en": "Return", "zh": "退货"},
    "exchange": {"en": "Exchange", "zh": "换货"},
    "refund": {"en": "Refund", "zh": "退款"},
    "complaint": {"en": "Complaint", "zh": "投诉"},
}

_TICKET_STATUS: Final[dict[str, dict[Lang, str]]] = {
    "requested": {"en": "requested, waiting for review", "zh": "已申请，等待审核"},
    "open": {"en": "open", "zh": "处理中"},
    "approved": {"en": "approved, refund on its way", "zh": "已通过，退款处理中"},
    "rejected": {"en": "rejected", "zh": "未通过"},
    "refunded": {"en": "refunded", "zh": "已退款"},
    "completed": {"en": "completed", "zh": "已完成"},
    "closed": {"en": "closed", "zh": "已关闭"},
    "item_received": {"en": "item received, being checked", "zh": "已收到退回商品，检验中"},
    "exchanged": {"en": "replacement sent", "zh": "换货已寄出"},
    "cancelled": {"en": "cancelled", "zh": "已取消"},
    "in_progress": {"en": "being handled", "zh": "处理中"},
    "resolved": {"en": "resolved", "zh": "已解决"},
}

_CARRIERS: Final[dict[str, str]] = {
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

_PAYMENT: Final[dict[str, dict[Lang, str]]] = {
    "alipay": {"en": "Alipay", "zh": "支付宝"},
    "wechat_pay": {"en": "WeChat Pay", "zh": "微信支付"},
    "wechat": {"en": "WeChat Pay", "zh": "微信支付"},
    "unionpay": {"en": "UnionPay", "zh": "银联"},
    "credit_card": {"en": "credit card", "zh": "信用卡"},
    "card": {"en": "bank card", "zh": "银行卡"},
}

# Button titles for the fallback clarification: what each intent is about.
_INTENT_TITLES: Final[dict[str, dict[Lang, str]]] = {
    "greet": {"en": "Say hello", "zh": "打个招呼"},
    "goodbye": {"en": "End the chat", "zh": "结束对话"},
    "thank": {"en": "Say thanks", "zh": "表示感谢"},
    "bot_challenge": {"en": "Am I talking to a bot?", "zh": "你是机器人吗？"},
    "request_human": {"en": "Talk to a person", "zh": "转人工客服"},
    "order_status": {"en": "Track an order", "zh": "查询订单物流"},
    "cancel_order": {"en": "Cancel an order", "zh": "取消订单"},
    "change_address": {"en": "Change a delivery address", "zh": "修改收货地址"},
    "product_inquiry": {"en": "Ask about a product", "zh": "咨询商品信息"},
    "recommend_products": {"en": "Get product recommendations", "zh": "推荐商品"},
    "return_request": {"en": "Return an item", "zh": "申请退货"},
    "exchange_request": {"en": "Exchange an item", "zh": "申请换货"},
    "refund_status": {"en": "Check a refund", "zh": "查询退款进度"},
    "complaint": {"en": "Make a complaint", "zh": "投诉"},
    "give_feedback": {"en": "Give feedback", "zh": "提意见或建议"},
    "delete_my_data": {"en": "Delete my personal data", "zh": "删除我的个人数据"},
}

_FAQ_TITLES: Final[dict[str, dict[Lang, str]]] = {
    "shipping_time": {"en": "Delivery times", "zh": "发货和配送时间"},
    "shipping_fee": {"en": "Shipping fees", "zh": "运费"},
    "payment_methods": {"en": "Payment methods", "zh": "支付方式"},
    "return_policy": {"en": "Return policy", "zh": "退换货政策"},
    "warranty": {"en": "Warranty", "zh": "保修政策"},
    "invoice": {"en": "Invoices", "zh": "发票"},
    "coupon": {"en": "Coupons", "zh": "优惠券"},
    "service_hours": {"en": "Service hours", "zh": "客服时间"},
    "membership": {"en": "Membership", "zh": "会员等级"},
}


def as_lang(value: object) -> Lang:
    """The language for a slot value: "zh" when it says so, English otherwise."""
    return "zh" if value == "zh" else "en"


def t(key: str, lang: str, **kwargs: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en") with its placeholders filled."""
    try:
        variants = _TEXTS[key]
    except KeyError:
        raise ValueError(f"unknown text key {key!r}; add it to bot/i18n.py") from None
    return variants[as_lang(lang)].format(**kwargs)


def text_keys() -> list[str]:
    """All text keys (for tests that check every key has both languages)."""
    return sorted(_TEXTS)


def _lookup(table: dict[str, dict[Lang, str]], key: str, lang: str) -> str:
    entry = table.get(key)
    if entry is None:
        return key.replace("_", " ")
    return entry[as_lang(lang)]


def status_name(status: str, lang: str) -> str:
    """An order status in words ("in_transit" -> "in transit" / "运输中")."""
    return _lookup(_STATUS, status, lang)


def ticket_kind_name(kind: str, lang: str) -> str:
    return _lookup(_TICKET_KIND, kind, lang)


def ticket_status_name(status: str, lang: str) -> str:
    return _lookup(_TICKET_STATUS, status, lang)


def payment_name(method: str, lang: str) -> str:
    return _lookup(_PAYMENT, method, lang)


def intent_title(intent: str, lang: str) -> str | None:
    """A button title for ``intent``, or None when the intent is not worth offering."""
    entry = _INTENT_TITLES.get(intent)
    return None if entry is None else entry[as_lang(lang)]


def faq_title(topic: str, lang: str) -> str | None:
    entry = _FAQ_TITLES.get(topic)
    return None if entry is None else entry[as_lang(lang)]


def faq_topics() -> list[str]:
    return sorted(_FAQ_TITLES)


def category_name(key: str, lang: str) -> str:
    """A catalog category in words ("electronics" -> "Electronics" / "数码电子")."""
    category = category_by_key(key)
    if category is None:
        return key
    return category.name_zh if as_lang(lang) == "zh" else category.name_en


def carrier_name(carrier: str, lang: str) -> str:
    """Carrier in the customer's language ("SF Express" -> "顺丰速运")."""
    if as_lang(lang) == "zh":
        return _CARRIERS.get(carrier, carrier)
    return carrier


def money(cents: int) -> str:
    """CNY amount from integer fen: 12999 -> "¥129.99"."""
    sign = "-" if cents < 0 else ""
    yuan, fen = divmod(abs(cents), 100)
    return f"{sign}¥{yuan:,}.{fen:02d}"


def fmt_datetime(value: datetime, lang: str, tz: str) -> str:
    """Date and time in the shop's timezone: "28 Nov 14:05" / "11月28日 14:05"."""
    local = value.astimezone(ZoneInfo(tz))
    if as_lang(lang) == "zh":
        return f"{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%b %H:%M}"


def fmt_date(value: datetime, lang: str, tz: str) -> str:
    """Date in the shop's timezone: "28 Nov" / "11月28日"."""
    local = value.astimezone(ZoneInfo(tz))
    if as_lang(lang) == "zh":
        return f"{local.month}月{local.day}日"
    return f"{local.day} {local:%b}"


def join_list(parts: list[str], lang: str) -> str:
    return ("、" if as_lang(lang) == "zh" else ", ").join(parts)
