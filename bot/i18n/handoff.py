"""Texts of a handoff to staff: what the customer is told (``handoff.*``, zh/en) and what
staff see in the Slack desk (``staff.*``, in the configured staff language)."""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- the customer ------------------------------------------------------------------------
    "handoff.connecting": {
        "en": "I'm connecting you with a member of our team. Expected wait: about {minutes} "
        "min. Meanwhile just write here; your messages go straight to them. Type “back to "
        "bot” to return to the assistant at any time.",
        "zh": "正在为您转接人工客服，预计等待约 {minutes} 分钟。等待期间您可以直接在这里"
        "留言，客服会看到。随时输入“返回机器人”即可回到智能助手。",
    },
    "handoff.offline": {
        "en": "Our team is not available right now (service hours {hours}, {zone} time). "
        "Would you like to leave a message? Just write it here and we'll reply in this chat; "
        "or type “back to bot” to continue with the assistant.",
        "zh": "抱歉，现在不是人工客服的服务时间（{zone} 时间 {hours}）。您可以直接在这里留言，"
        "我们会在此回复您；或输入“返回机器人”继续与智能助手对话。",
    },
    "handoff.timeout": {
        "en": "Sorry, all our colleagues are busy at the moment. Would you like to leave a "
        "message? Just write it here and we'll reply in this chat; or type “back to bot” to "
        "continue with the assistant.",
        "zh": "抱歉，客服同事暂时都在忙。您可以直接在这里留言，我们会尽快在此回复您；"
        "或输入“返回机器人”继续与智能助手对话。",
    },
    "handoff.message_left": {
        "en": "Thank you, your message is recorded (ticket {ticket_id}). Our team will reply "
        "in this chat during service hours ({hours}). The assistant is back if you need "
        "anything else.",
        "zh": "谢谢，您的留言已记录（工单号 {ticket_id}），客服会在服务时间（{hours}）内在"
        "这里回复您。如有其他问题，智能助手随时为您服务。",
    },
    "handoff.claimed": {
        "en": "{name} from our team is here to help you now.",
        "zh": "客服 {name} 已接入，为您服务。",
    },
    "handoff.resolved": {
        "en": "You're back with the assistant. How satisfied were you with our colleague's "
        "help? Please rate from 1 (poor) to 5 (excellent).",
        "zh": "已为您转回智能助手。您对本次人工服务满意吗？请打分：1（很差）到 5（非常满意）。",
    },
    "handoff.closed": {
        "en": "The conversation with our team has ended. The assistant is here if you need "
        "anything else.",
        "zh": "本次人工服务已结束。如有其他问题，智能助手随时为您服务。",
    },
    "handoff.cancelled": {
        "en": "OK, you're back with the assistant. How can I help?",
        "zh": "好的，已为您转回智能助手。请问还有什么可以帮您？",
    },
    # A staff member's reply as the customer sees it.
    "handoff.relayed": {"en": "{name}: {text}", "zh": "{name}：{text}"},
    "handoff.back_button": {"en": "Back to the assistant", "zh": "返回机器人"},
    "handoff.thanks_rating": {
        "en": "Thank you for your rating ({stars})! It helps us improve.",
        "zh": "感谢您的评价（{stars}）！我们会继续改进。",
    },
    "handoff.fallback_offer": {
        "en": "I'm sorry, I still can't help with that. Would you like to talk to a member "
        "of our team?",
        "zh": "抱歉，这个问题我还是帮不上忙。需要为您转接人工客服吗？",
    },
    "handoff.fallback_button": {"en": "Talk to a person", "zh": "转人工客服"},
    # --- staff (adapters/slack/staff_desk.py, staff_render.py) -------------------------------
    "staff.title": {"en": "*Handoff #{id}* · {status}", "zh": "*转人工 #{id}* · {status}"},
    # The opening message's notification (what Slack shows in alerts and the channel list).
    "staff.notification": {
        "en": "Handoff #{id}: {reason} ({channel})",
        "zh": "转人工 #{id}：{reason}（{channel}）",
    },
    "staff.status.waiting": {"en": "waiting for a colleague", "zh": "等待接入"},
    "staff.status.active": {"en": "claimed by {staff}", "zh": "{staff} 已接入"},
    "staff.status.message": {
        "en": "nobody claimed in time; the customer was offered to leave a message",
        "zh": "无人及时接入，已请客户留言",
    },
    "staff.status.resolved": {
        "en": "resolved by {staff}, back to the bot",
        "zh": "{staff} 已解决，转回机器人",
    },
    "staff.status.closed": {"en": "closed by {staff}", "zh": "{staff} 已关闭"},
    "staff.status.cancelled": {"en": "the customer went back to the bot", "zh": "客户已返回机器人"},
    "staff.status.expired": {"en": "expired", "zh": "已过期"},
    "staff.status.expired_ticket": {
        "en": "expired; message left as ticket {ticket}",
        "zh": "已过期，客户留言工单 {ticket}",
    },
    "staff.rating": {"en": "rating {stars}", "zh": "评分 {stars}"},
    "staff.reason.customer_request": {
        "en": "the customer asked for a person",
        "zh": "客户要求转人工",
    },
    "staff.reason.two_fallbacks": {
        "en": "the bot did not understand twice in a row",
        "zh": "机器人连续两次没听懂",
    },
    "staff.reason.negative_sentiment": {
        "en": "strongly negative messages",
        "zh": "客户情绪明显负面",
    },
    "staff.reason.severe_complaint": {"en": "a severe complaint", "zh": "严重投诉"},
    "staff.reason.vip": {"en": "VIP customer (segment {segment})", "zh": "VIP 客户（{segment}）"},
    "staff.reason.order_value": {
        "en": "order {order_id} of {total}",
        "zh": "订单 {order_id}，金额 {total}",
    },
    "staff.customer": {"en": "Customer", "zh": "客户"},
    "staff.guest": {"en": "guest (not a known customer)", "zh": "访客（未识别的客户）"},
    "staff.channel": {"en": "Channel", "zh": "渠道"},
    "staff.language": {"en": "Language", "zh": "语言"},
    "staff.reason": {"en": "Why", "zh": "原因"},
    "staff.sentiment": {"en": "Sentiment", "zh": "情绪"},
    "staff.sentiment.value": {
        "en": "{score} ({label}, mean of the latest {n})",
        "zh": "{score}（{label}，最近 {n} 条的平均）",
    },
    "staff.sentiment.none": {"en": "not scored", "zh": "未评分"},
    "staff.orders": {"en": "Latest orders", "zh": "最近订单"},
    "staff.no_orders": {"en": "no orders", "zh": "无订单"},
    "staff.turns": {"en": "Last {n} messages", "zh": "最近 {n} 条消息"},
    "staff.no_turns": {"en": "no earlier messages", "zh": "此前没有消息"},
    "staff.since": {"en": "Started {time} · {age} ago", "zh": "开始于 {time} · {age}前"},
    "staff.claim": {"en": "Claim", "zh": "接入"},
    "staff.resolve": {"en": "Resolve (back to bot)", "zh": "解决（转回机器人）"},
    "staff.close": {"en": "Close", "zh": "关闭"},
    "staff.hint": {
        "en": "Reply in this thread to answer the customer; start with `note:` for an "
        "internal note.",
        "zh": "在本话题中回复即发给客户；以 `note:` 开头的回复只留作内部备注。",
    },
    # The staff assist (large model, bot/handoff/assist.py).
    "staff.suggest": {"en": "Suggest reply", "zh": "建议回复"},
    "staff.send_suggestion": {"en": "Send suggestion", "zh": "发送建议"},
    "staff.assist.summary": {
        "en": "🧾 Summary (large model, from the conversation without personal data): {text}",
        "zh": "🧾 摘要（大模型，依据已隐去个人信息的对话）：{text}",
    },
    "staff.assist.suggestion": {
        "en": "💡 *Suggested reply* ({language}), checked against the shop's facts. Read it, "
        "then send it or write your own:",
        "zh": "💡 *建议回复*（{language}），已与店铺资料核对。请阅读后发送，或自行回复：",
    },
    "staff.assist.withheld": {
        "en": "No suggested reply this time: the model's draft failed the fact check "
        "({problems}). Please answer yourself.",
        "zh": "本次没有建议回复：模型的草稿未通过事实核对（{problems}）。请自行回复。",
    },
    "staff.assist.none": {
        "en": "{staff} asked for a suggestion, but the large model did not answer (off, over "
        "its budget or timed out).",
        "zh": "{staff} 请求了建议回复，但大模型没有回应（未开启、超出额度或超时）。",
    },
    "staff.assist.sent": {
        "en": "✅ Sent to the customer by {staff}.",
        "zh": "✅ 已由 {staff} 发送给客户。",
    },
    "staff.assist.already": {
        "en": "This suggestion was already sent to the customer.",
        "zh": "这条建议已经发送给客户了。",
    },
    "staff.assist.blocked": {
        "en": "Not sent: the suggestion no longer passes the fact check ({problems}). Please "
        "answer yourself or ask for a new suggestion.",
        "zh": "未发送：这条建议已无法通过事实核对（{problems}）。请自行回复，或重新生成建议。",
    },
    "staff.assist.busy": {
        "en": "A suggestion is being written; it appears in the thread shortly.",
        "zh": "正在生成建议回复，稍后会出现在本话题中。",
    },
    "staff.assist.off": {
        "en": "The large-model assist is off (llm.base_url).",
        "zh": "大模型辅助未开启（llm.base_url）。",
    },
    "staff.from_customer": {"en": "Customer", "zh": "客户"},
    "staff.photo": {"en": "Customer photo", "zh": "客户图片"},
    "staff.note.claimed": {
        "en": "{staff} claimed this conversation.",
        "zh": "{staff} 已接入本会话。",
    },
    "staff.note.timeout": {
        "en": "Nobody claimed within {minutes} min; the customer was offered to leave a "
        "message. You can still claim.",
        "zh": "{minutes} 分钟内无人接入，已请客户留言。仍可接入。",
    },
    "staff.note.cancelled": {
        "en": "The customer went back to the bot.",
        "zh": "客户已返回机器人。",
    },
    "staff.note.message_left": {
        "en": "The customer left a message: ticket {ticket}.",
        "zh": "客户已留言：工单 {ticket}。",
    },
    "staff.note.lapsed": {
        "en": "The customer did not leave a message; the offer lapsed.",
        "zh": "客户未留言，已过期。",
    },
    "staff.note.rated": {"en": "The customer rated the help {stars}.", "zh": "客户评分 {stars}。"},
    "staff.refuse.member": {
        "en": "Only members of <#{channel}> can claim, reply to or resolve handoffs.",
        "zh": "只有 <#{channel}> 的成员才能接入、回复或解决转人工会话。",
    },
    "staff.refuse.unknown": {
        "en": "This thread is not a handoff conversation.",
        "zh": "这个话题不是转人工会话。",
    },
    "staff.refuse.ended": {
        "en": "Handoff #{id} is {status}; the customer is with the bot again, so this was "
        "not sent.",
        "zh": "转人工 #{id} 已{status}，客户已回到机器人，此消息未发送。",
    },
    "staff.refuse.taken": {
        "en": "Handoff #{id} is already {status}.",
        "zh": "转人工 #{id} 已{status}。",
    },
    "staff.refuse.check": {
        "en": "Could not check the members of <#{channel}> right now; please try again.",
        "zh": "暂时无法确认 <#{channel}> 的成员，请稍后再试。",
    },
    "staff.list.title": {"en": "Handoff conversations", "zh": "转人工会话"},
    "staff.list.waiting": {
        "en": "Waiting ({n}), highest complaint risk and longest wait first",
        "zh": "等待中（{n}），投诉风险高、等待久的在前",
    },
    "staff.list.risk": {"en": "complaint risk {risk:.0%}", "zh": "投诉风险 {risk:.0%}"},
    "staff.list.active": {"en": "Active ({n})", "zh": "处理中（{n}）"},
    "staff.list.none": {"en": "none", "zh": "无"},
    "staff.list.usage": {
        "en": "Usage: /handoff [waiting | active]",
        "zh": "用法：/handoff [waiting | active]",
    },
    "staff.sent_image": {"en": "[image]", "zh": "[图片]"},
    "staff.sent_cards": {"en": "[product cards: {names}]", "zh": "[商品卡片：{names}]"},
    "staff.sent_buttons": {"en": "[buttons: {titles}]", "zh": "[按钮：{titles}]"},
    # How long ago a handoff started ("45 s", "12 min", "3 h 5 min", "2 d").
    "staff.age.seconds": {"en": "{n} s", "zh": "{n} 秒"},
    "staff.age.minutes": {"en": "{n} min", "zh": "{n} 分钟"},
    "staff.age.hours": {"en": "{hours} h {minutes} min", "zh": "{hours} 小时 {minutes} 分钟"},
    "staff.age.days": {"en": "{n} d", "zh": "{n} 天"},
}
