"""Texts about linking a chat account to a customer, and the limits on guessing proofs
(bot/services/linking.py, bot/services/attempts.py, the order forms, Telegram's /start)."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- a deep link from the shop (Telegram /start <token>) ----------------------------------
    # {name}: the customer's name in the text's language.
    "link.done": {
        "en": "Hello {name}, this Telegram account is now linked to your {shop} customer "
        "account. Ask me about your orders any time, e.g. “where is my order”.",
        "zh": "{name}您好，这个 Telegram 账号已关联到您在{shop}的客户账号。"
        "随时可以问我订单的情况，例如“我的订单到哪了”。",
    },
    "link.already": {
        "en": "Hello {name}, this Telegram account is already linked to your {shop} customer "
        "account.",
        "zh": "{name}您好，这个 Telegram 账号已经关联到您在{shop}的客户账号。",
    },
    "link.invalid": {
        "en": "Sorry, this link is not valid, so I can't link this account. Please open the "
        "link exactly as the shop sent it, or ask the shop for a new one.",
        "zh": "抱歉，这个链接无效，无法关联账号。"
        "请按商店发给您的原样打开链接，或向商店索取新的链接。",
    },
    "link.expired": {
        "en": "Sorry, this link has expired. Please ask the shop for a new one.",
        "zh": "抱歉，这个链接已过期，请向商店索取新的链接。",
    },
    "link.used": {
        "en": "Sorry, this link was used already; each link works once. Please ask the shop "
        "for a new one.",
        "zh": "抱歉，这个链接已经使用过（每个链接只能用一次），请向商店索取新的链接。",
    },
    "link.unavailable": {
        "en": "Sorry, linking accounts isn't available right now. Please try again later.",
        "zh": "抱歉，暂时无法关联账号，请稍后再试。",
    },
    # {time}: when the lock ends, shop time ("14:05" or "4月21日 14:05").
    "link.locked": {
        "en": "Too many invalid links were tried from this account. For your security, "
        "linking is paused until {time}; please try again then.",
        "zh": "该账号尝试了过多无效链接。为保障安全，关联功能暂停至 {time}，请届时再试。",
    },
    # --- order number plus the customer's own phone (the order forms) -------------------------
    "link.by_phone": {
        "en": "I've linked this chat account to your customer account, so next time you won't "
        "need the phone number. If this isn't your account, please contact us.",
        "zh": "已将当前聊天账号关联到您的客户账号，下次查询无需再提供手机号。"
        "如非本人操作，请联系我们。",
    },
    # --- the phone check's limit --------------------------------------------------------------
    "order.phone_locked": {
        "en": "Too many wrong phone numbers were given for order {order_id}. For the buyer's "
        "security I can't check this order for you until {time}; please try again then.",
        "zh": "订单 {order_id} 的手机号错误次数过多。为保障买家安全，"
        "{time} 之前无法为您查询该订单，请届时再试。",
    },
}
