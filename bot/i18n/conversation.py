"""Texts of the conversation itself: tickets for a person, feedback, data deletion, forms,
the fallback clarification; what each intent and FAQ topic is about (button titles)."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- tickets: human, feedback, data --------------------------------------------
    "human.notified": {
        "en": "I've passed your conversation to our customer service team (ticket "
        "{ticket_id}). A colleague will reply here during service hours, {hours} every day.",
        "zh": "已为您转接人工客服（工单号 {ticket_id}），客服会在服务时间（每天 {hours}）"
        "内在这里回复您。",
    },
    "feedback.recorded": {
        "en": "Thank you for the feedback! I've passed it on to the team (reference {ticket_id}).",
        "zh": "感谢您的宝贵意见！已转达给相关团队（编号 {ticket_id}）。",
    },
    # --- personal data: export and erasure (bot/services/privacy_*.py) --------------------
    "privacy.confirm": {
        "en": "Shall I erase your personal data now? That is your name, phone number and "
        "email, our chat history on every channel, the photos you sent, your conversations "
        "with our staff and what you viewed or bought for recommendations. Your orders and "
        "their amounts stay, because tax and accounting law requires it, but without your "
        "name, phone number and address. This cannot be undone.",
        "zh": "现在为您删除个人数据吗？包括您的姓名、手机号和邮箱，在各渠道的聊天记录，"
        "您发送的图片，与客服的对话，以及用于商品推荐的浏览和购买记录。订单及金额须按税务和会计法规保留，"
        "但会去掉您的姓名、手机号和收货地址。删除后无法恢复。",
    },
    "privacy.confirm_guest": {
        "en": "This chat isn't linked to a customer account. Shall I register a request to "
        "delete the personal data linked to this chat?",
        "zh": "本次聊天未关联会员账户。需要为您登记删除与本次聊天相关个人数据的申请吗？",
    },
    "privacy.yes": {"en": "Yes, erase it", "zh": "确认删除"},
    "privacy.no": {"en": "No, keep it", "zh": "暂不删除"},
    "privacy.cancelled": {
        "en": "OK, nothing was deleted. Is there anything else I can help with?",
        "zh": "好的，没有删除任何数据。还有其他可以帮您的吗？",
    },
    "privacy.erased": {
        "en": "Done: your personal data is erased. Removed: your name, phone number and email; "
        "stored chat messages: {chats}; photos: {photos}; messages with our staff: {staff}; "
        "browsing and purchase records: {interactions}; linked chat accounts: {accounts}.",
        "zh": "已删除您的个人数据：姓名、手机号和邮箱；{chats} 条聊天记录；{photos} 张图片；"
        "{staff} 条与客服的消息；{interactions} 条浏览和购买记录；{accounts} 个关联的聊天账号。",
    },
    "privacy.nothing_left": {
        "en": "There is no personal data of yours left to erase.",
        "zh": "已没有可删除的您的个人数据。",
    },
    "privacy.kept": {
        "en": "Kept, because tax and accounting law requires it: your orders ({orders}) with "
        "their items and amounts; the name, phone number and address on them now read "
        '"[erased]".',
        "zh": "按税务和会计法规须保留：您的 {orders} 个订单及商品和金额，其中的姓名、手机号和地址"
        "已改为“[erased]”。",
    },
    "privacy.unlinked": {
        "en": "This chat is no longer linked to your account.",
        "zh": "本次聊天已不再关联您的账户。",
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
    "form.stopped_what": {
        "en": "OK, I've stopped {what}; nothing was recorded. Is there anything else I can "
        "help with?",
        "zh": "好的，已为您取消{what}，没有登记任何内容。还有其他可以帮您的吗？",
    },
    "form.dropped_for_new": {
        "en": "OK, I've stopped {what}; nothing was recorded.",
        "zh": "好的，已为您取消{what}，没有登记任何内容。",
    },
    "form.resume": {"en": "Now, back to {what}:", "zh": "我们继续刚才的{what}："},
    "form.what_of_order": {"en": "{what} for order {order_id}", "zh": "订单 {order_id} 的{what}"},
    "form.what.order_status_form": {"en": "the order lookup", "zh": "订单查询"},
    "form.what.cancel_order_form": {"en": "the cancellation", "zh": "取消订单申请"},
    "form.what.change_address_form": {"en": "the address change", "zh": "修改地址申请"},
    "form.what.return_request_form": {"en": "the return", "zh": "退货申请"},
    "form.what.exchange_request_form": {"en": "the exchange", "zh": "换货申请"},
    "form.what.refund_status_form": {"en": "the refund lookup", "zh": "退款查询"},
    # --- fallback -------------------------------------------------------------------------
    "fallback.ask_affirmation": {
        "en": "Sorry, I'm not sure I understood. Did you mean one of these?",
        "zh": "抱歉，我不太确定您的意思。您是想咨询以下哪一项？",
    },
    "fallback.something_else": {"en": "Something else", "zh": "都不是"},
    # --- "that didn't help" (the question goes to the review queue) ------------------------
    "review.not_helpful": {
        "en": "Sorry that didn't help. I've passed your question on so we can answer it better. "
        "Could you ask it in other words, or would you like to talk to a person?",
        "zh": "抱歉没能帮到您，您的问题已转给我们改进回答。"
        "可以换个说法再问一次，或者联系人工客服。",
    },
    "review.talk_to_person": {"en": "Talk to a person", "zh": "转人工客服"},
    # --- emotion-aware replies (bot/services/emotion.py, bot/handoff/emotion_replies.py) ----
    "emotion.apology.1": {
        "en": "I'm sorry about this, and sorry for the trouble it has caused you.",
        "zh": "非常抱歉，给您添麻烦了。",
    },
    "emotion.apology.2": {
        "en": "I'm really sorry you've had to deal with this.",
        "zh": "真的很抱歉让您遇到这样的情况。",
    },
    "emotion.apology.3": {
        "en": "Sorry for the frustration, I understand this isn't what you expected.",
        "zh": "抱歉让您不愉快了，这确实不是您期待的体验。",
    },
    "emotion.apology.4": {
        "en": "I apologise, let me sort this out for you right away.",
        "zh": "很抱歉，我马上为您处理。",
    },
    "emotion.offer_person": {
        "en": "If you'd rather, a colleague can take over this conversation.",
        "zh": "如果您愿意，可以随时转接人工客服为您处理。",
    },
    "emotion.mood.calm": {"en": "calm", "zh": "平静"},
    "emotion.mood.annoyed": {"en": "annoyed", "zh": "不满"},
    "emotion.mood.angry": {"en": "angry", "zh": "愤怒"},
    "emotion.trend": {"en": "mood: {moods} ({scores})", "zh": "情绪：{moods}（{scores}）"},
    "emotion.trend.none": {"en": "mood: not scored", "zh": "情绪：未评分"},
}

# Button titles for the fallback clarification: what each intent is about.
INTENT_TITLES: Final[dict[str, dict[Lang, str]]] = {
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

FAQ_TITLES: Final[dict[str, dict[Lang, str]]] = {
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
