"""Texts about returns, exchanges, refunds, complaints and the ticket updates customers get;
ticket kinds and statuses in words."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
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
    # --- complaints ------------------------------------------------------------------------
    "complaint.recorded": {
        "en": "I'm really sorry about this. I've recorded your complaint (ticket {ticket_id}) "
        "and a member of our customer care team will follow up within one working day.",
        "zh": "非常抱歉给您带来不好的体验。已为您登记投诉（工单号 {ticket_id}），"
        "客服专员会在 1 个工作日内跟进处理。",
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
    "complaint.which_order": {
        "en": "Which order is your complaint about? Tap it, or “Not about an order”.",
        "zh": "请问您投诉的是哪个订单？点一下对应订单；与订单无关请点“与订单无关”。",
    },
    "complaint.no_order": {"en": "Not about an order", "zh": "与订单无关"},
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
    "complaint.type.courier_conduct": {"en": "the courier's conduct", "zh": "快递员的服务"},
    "complaint.type.refund_delay": {"en": "a delayed refund", "zh": "退款延迟"},
    "complaint.type.price_or_promotion": {
        "en": "a price or promotion",
        "zh": "价格或优惠活动",
    },
    "complaint.type.other": {"en": "your experience with us", "zh": "您遇到的问题"},
}

TICKET_KIND: Final[dict[str, dict[Lang, str]]] = {
    "cancellation": {"en": "Cancellation", "zh": "取消订单"},
    "return": {"en": "Return", "zh": "退货"},
    "exchange": {"en": "Exchange", "zh": "换货"},
    "refund": {"en": "Refund", "zh": "退款"},
    "complaint": {"en": "Complaint", "zh": "投诉"},
}

TICKET_STATUS: Final[dict[str, dict[Lang, str]]] = {
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
