"""Texts the gateway and the channel adapters add around the assistant's answers: the
pipeline's apologies, buttons and product cards as text, Telegram's commands, Slack's labels,
and the web chat page (adapters/web/static reads its labels from the page the gateway serves).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- the pipeline (bot/core/pipeline.py) -----------------------------------------------
    # Sent instead of an answer when Rasa cannot be reached.
    "pipeline.holding": {
        "en": "Sorry, our assistant can't reply right now. Please try again in a moment.",
        "zh": "抱歉，智能客服暂时无法回复，请稍后再试。",
    },
    # Sent when Rasa keeps giving unusable answers to one message and it is given up.
    "pipeline.failed": {
        "en": "Sorry, I couldn't handle that message. Please rephrase it, or type “human” to "
        "reach our staff.",
        "zh": "抱歉，这条消息我没能处理好。请换个说法再试，或输入“人工”联系客服。",
    },
    # --- every channel (bot/core/render.py and the adapters) ---------------------------------
    # Buttons as numbered options, on a channel without buttons (WeChat).
    "render.options_header": {"en": "Reply with a number:", "zh": "请回复数字选择："},
    # A product card's stock warning and its button (Telegram, Slack, WeChat, web chat).
    "card.out_of_stock": {"en": "Out of stock", "zh": "暂时缺货"},
    "card.details": {"en": "Details", "zh": "查看详情"},
    # --- Telegram (adapters/telegram) ---------------------------------------------------------
    # The text above buttons when a message has buttons but no text.
    "telegram.choose": {"en": "Please choose:", "zh": "请选择："},
    # The answer to a press of a button whose token is unknown (e.g. the database was reset).
    "telegram.button_expired": {
        "en": "This button has expired; please just tell me what you need.",
        "zh": "这个按钮已失效，请直接发消息告诉我您需要什么。",
    },
    # The /help and /start answer ({shop}: the shop's name in the text's language).
    "telegram.help": {
        "en": "I'm the {shop} assistant. Just write to me: track or cancel an order (e.g. "
        "“where is order 260315004217”), ask about products, delivery, payment, returns and "
        "invoices. You can send me photos too. Type “human” to reach our staff.\n"
        "/start – start the conversation · /help – this help",
        "zh": "我是{shop}的智能客服，直接发消息就可以：查询或取消订单（例如“订单 260315004217 "
        "到哪了”）、咨询商品、了解配送、支付、退换货和发票。也可以发照片给我。"
        "需要人工客服时请输入“人工”。\n/start 开始对话 · /help 查看帮助",
    },
    # --- Slack, the customer side (adapters/slack/render.py) ----------------------------------
    "slack.image": {"en": "View image", "zh": "查看图片"},
    # --- the web chat page (adapters/web/static/chat.js, index.html) --------------------------
    "web.status": {"en": "Online · replies in seconds", "zh": "在线 · 通常几秒内回复"},
    "web.placeholder": {
        "en": "Type your question and press Enter",
        "zh": "输入您的问题，按 Enter 发送",
    },
    "web.send": {"en": "Send", "zh": "发送"},
    "web.typing": {"en": "Assistant is typing", "zh": "客服正在输入"},
    "web.picker": {"en": "Demo customer", "zh": "演示客户"},
    "web.customer.demo-liwei": {"en": "Li Wei (demo)", "zh": "李伟（演示）"},
    "web.customer.demo-emma": {"en": "Emma Clark (demo)", "zh": "Emma Clark（演示）"},
    "web.customer.guest": {"en": "Guest", "zh": "访客"},
    "web.welcome": {
        "en": "Hi! I'm the {shop} assistant. I can track orders, change addresses, handle "
        "returns and exchanges, and help you find products.",
        "zh": "您好！我是{shop}的智能客服，可以帮您查询订单、修改地址、退换货，或者了解商品。",
    },
    "web.suggestion.1": {"en": "Where is my order?", "zh": "我的订单到哪了？"},
    "web.suggestion.2": {"en": "What is your return policy?", "zh": "退货政策是什么？"},
    "web.suggestion.3": {
        "en": "Can you recommend wireless earbuds?",
        "zh": "有什么蓝牙耳机推荐？",
    },
    "web.in_stock": {"en": "In stock · {n} left", "zh": "有货 · 库存 {n}"},
    "web.network": {
        "en": "Network error. Please check your connection and try again.",
        "zh": "网络连接失败，请检查网络后重试。",
    },
    "web.failed": {
        "en": "Your message could not be sent: {error}",
        "zh": "消息发送失败：{error}",
    },
    "web.user": {"en": "Me", "zh": "我"},
    "web.too_long": {
        "en": "That message is too long (at most {n} characters).",
        "zh": "消息太长了，最多 {n} 个字。",
    },
    "web.noscript": {
        "en": "Please enable JavaScript to chat with us.",
        "zh": "请启用 JavaScript 以使用在线客服。",
    },
    "web.identity_refused": {
        "en": "We could not confirm who you are. Please reload the page or sign in again.",
        "zh": "无法确认您的身份，请刷新页面或重新登录后再试。",
    },
    "web.photo": {"en": "Send a photo", "zh": "发送照片"},
    "web.photo_sent": {"en": "Photo", "zh": "照片"},
    "web.photo_too_big": {
        "en": "That photo is too large (at most {mb} MB).",
        "zh": "照片太大了，最大 {mb} MB。",
    },
    "web.photo_type": {
        "en": "Please send a JPEG, PNG or WebP photo.",
        "zh": "请发送 JPEG、PNG 或 WebP 格式的照片。",
    },
    "web.open": {"en": "Chat with us", "zh": "在线客服"},
    "web.close": {"en": "Close the chat", "zh": "关闭对话"},
    "web.unread": {"en": "{n} unread", "zh": "{n} 条未读"},
    "web.history": {"en": "Conversation history", "zh": "历史消息"},
    "web.staff": {"en": "Staff", "zh": "人工客服"},
    "web.rate_limited": {
        "en": "You are sending messages too quickly. Please wait {s} seconds and try again.",
        "zh": "您发送消息太频繁了，请等待 {s} 秒后再试。",
    },
}
