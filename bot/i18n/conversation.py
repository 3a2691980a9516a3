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
    # --- fallback -------------------------------------------------------------------------
    "fallback.ask_affirmation": {
        "en": "Sorry, I'm not sure I understood. Did you mean one of these?",
        "zh": "抱歉，我不太确定您的意思。您是想咨询以下哪一项？",
    },
    "fallback.something_else": {"en": "Something else", "zh": "都不是"},
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
