"""Texts of the staff dashboard (``/admin/dashboard``, bot/admin/static/dashboard.*): the page's
labels (the page reads every ``dashboard.*`` key, the prefix removed, from the page the gateway
serves) and the words the dashboard API puts into its JSON (parcel reasons, the segments hint).
"""

from __future__ import annotations

from typing import Final

from bot.i18n.language import Lang

TEXTS: Final[dict[str, dict[Lang, str]]] = {
    # --- the page -------------------------------------------------------------------------------
    "dashboard.title": {"en": "Service dashboard", "zh": "客服数据看板"},
    "dashboard.window": {"en": "Window", "zh": "时间范围"},
    "dashboard.window.days": {"en": "last {days} days", "zh": "最近 {days} 天"},
    "dashboard.language": {"en": "中文", "zh": "English（英文）"},
    "dashboard.loading": {"en": "Loading…", "zh": "加载中…"},
    "dashboard.failed": {
        "en": "The numbers could not be loaded: {error}",
        "zh": "数据加载失败：{error}",
    },
    "dashboard.updated": {
        "en": "{start} to {end} (UTC days)",
        "zh": "{start} 至 {end}（UTC 日期）",
    },
    "dashboard.login.title": {"en": "Staff log-in", "zh": "员工登录"},
    "dashboard.login.name": {"en": "Name", "zh": "用户名"},
    "dashboard.login.password": {"en": "Password", "zh": "密码"},
    "dashboard.login.submit": {"en": "Log in", "zh": "登录"},
    "dashboard.login.failed": {"en": "Log-in failed: {error}", "zh": "登录失败：{error}"},
    "dashboard.logout": {"en": "Log out", "zh": "退出登录"},
    "dashboard.studio": {"en": "Admin studio", "zh": "管理后台"},
    "dashboard.none": {"en": "Nothing in this window.", "zh": "这段时间没有数据。"},
    "dashboard.bar": {"en": "{label}: {count}", "zh": "{label}：{count}"},
    # --- automation ------------------------------------------------------------------------------
    "dashboard.automation.title": {"en": "Answered without a person", "zh": "机器人独立解决"},
    "dashboard.automation.conversations": {"en": "Conversations", "zh": "会话数"},
    "dashboard.automation.without_person": {"en": "Without a person", "zh": "无需人工"},
    "dashboard.automation.share": {"en": "Share without a person", "zh": "无需人工占比"},
    "dashboard.automation.handoffs": {"en": "Handoffs to staff", "zh": "转人工次数"},
    # --- handoffs --------------------------------------------------------------------------------
    "dashboard.handoffs.reasons": {"en": "Handoffs by reason", "zh": "转人工原因"},
    "dashboard.handoffs.ratings": {"en": "Ratings of handoffs (1-5)", "zh": "人工服务评分（1-5）"},
    "dashboard.handoffs.mean": {
        "en": "Mean rating {mean} from {n} ratings",
        "zh": "平均 {mean} 分，共 {n} 个评分",
    },
    "dashboard.handoffs.unrated": {"en": "No ratings yet.", "zh": "还没有评分。"},
    "dashboard.stars": {"en": "{n} ★", "zh": "{n} 星"},
    "dashboard.reason.customer_request": {"en": "Customer asked", "zh": "客户要求"},
    "dashboard.reason.two_fallbacks": {"en": "Bot did not understand", "zh": "机器人没听懂"},
    "dashboard.reason.negative_sentiment": {"en": "Negative mood", "zh": "情绪负面"},
    "dashboard.reason.severe_complaint": {"en": "Severe complaint", "zh": "严重投诉"},
    "dashboard.reason.vip": {"en": "VIP customer", "zh": "VIP 客户"},
    "dashboard.reason.order_value": {"en": "High order value", "zh": "高额订单"},
    # --- complaints ------------------------------------------------------------------------------
    "dashboard.complaints.categories": {"en": "Complaints by category", "zh": "投诉类别"},
    "dashboard.complaints.severities": {"en": "Complaints by severity", "zh": "投诉严重程度"},
    "dashboard.category.delivery_delay": {"en": "Late delivery", "zh": "物流延误"},
    "dashboard.category.damaged_in_transit": {"en": "Damaged in transit", "zh": "运输损坏"},
    "dashboard.category.quality_defect": {"en": "Quality defect", "zh": "质量问题"},
    "dashboard.category.wrong_or_missing_item": {"en": "Wrong or missing item", "zh": "错发漏发"},
    "dashboard.category.service_attitude": {"en": "Service attitude", "zh": "服务态度"},
    "dashboard.category.refund_delay": {"en": "Refund delay", "zh": "退款延迟"},
    "dashboard.category.price_or_promotion": {"en": "Price or promotion", "zh": "价格或促销"},
    "dashboard.category.other": {"en": "Other", "zh": "其他"},
    "dashboard.category.none": {"en": "Not classified", "zh": "未分类"},
    "dashboard.severity.low": {"en": "Low", "zh": "低"},
    "dashboard.severity.medium": {"en": "Medium", "zh": "中"},
    "dashboard.severity.high": {"en": "High", "zh": "高"},
    "dashboard.severity.critical": {"en": "Critical", "zh": "紧急"},
    "dashboard.severity.none": {"en": "Not rated", "zh": "未评级"},
    # --- sentiment -------------------------------------------------------------------------------
    "dashboard.sentiment.title": {"en": "Customer mood per day", "zh": "每日客户情绪"},
    "dashboard.sentiment.about": {
        "en": "Mean sentiment score (-1 to 1) of the messages scored that day: handoffs and "
        "complaints; bars: share negative (score ≤ {negative}).",
        "zh": "当天已评分消息（转人工和投诉）的平均情绪分（-1 到 1）；"
        "柱：负面占比（分数 ≤ {negative}）。",
    },
    "dashboard.sentiment.point": {
        "en": "{day}: mean {mean}, {share} negative of {n}",
        "zh": "{day}：平均 {mean}，{n} 条中负面 {share}",
    },
    "dashboard.sentiment.summary": {
        "en": "{days} days with scores; mean from {low} to {high}.",
        "zh": "{days} 天有评分；平均分从 {low} 到 {high}。",
    },
    # --- segments --------------------------------------------------------------------------------
    "dashboard.segments.title": {"en": "Customer segments", "zh": "客户分群"},
    "dashboard.segments.name": {"en": "Segment", "zh": "分群"},
    "dashboard.segments.size": {"en": "Customers", "zh": "客户数"},
    "dashboard.segments.share": {"en": "Share", "zh": "占比"},
    "dashboard.segments.spend": {"en": "Mean spend", "zh": "人均消费"},
    "dashboard.segments.hint": {
        "en": "No segments yet: run `python -m bot segments` to compute them.",
        "zh": "还没有客户分群：运行 `python -m bot segments` 生成。",
    },
    # --- parcels at risk -------------------------------------------------------------------------
    "dashboard.parcels.title": {"en": "Parcels at risk of arriving late", "zh": "可能晚到的包裹"},
    "dashboard.parcels.order": {"en": "Order", "zh": "订单"},
    "dashboard.parcels.carrier": {"en": "Carrier", "zh": "快递公司"},
    "dashboard.parcels.promised": {"en": "Promised", "zh": "承诺送达"},
    "dashboard.parcels.days_left": {"en": "Days left", "zh": "剩余天数"},
    "dashboard.parcels.risk": {"en": "Risk", "zh": "风险"},
    "dashboard.parcels.reasons": {"en": "Why", "zh": "原因"},
    "dashboard.parcels.scored_by.model": {
        "en": "Scored by the delay model: the chance of arriving after the promised date, from "
        "what was known at carrier handover; parcels already past their date come first.",
        "zh": "由延误模型评分：根据交给快递时的信息估计晚于承诺日期送达的概率；"
        "已过承诺日期的包裹排在最前。",
    },
    "dashboard.parcels.scored_by.slack_rule": {
        "en": "No delay model file (`python -m bot insight train-delay`): ranked by the days "
        "left to the promised date, fewest first.",
        "zh": "没有延误模型文件（`python -m bot insight train-delay`）："
        "按距承诺日期的剩余天数排序，少的在前。",
    },
    "dashboard.parcels.model_error": {
        "en": "The delay model file could not be read ({error}): ranked by the days left to "
        "the promised date, fewest first.",
        "zh": "延误模型文件无法读取（{error}）：按距承诺日期的剩余天数排序，少的在前。",
    },
    "dashboard.parcels.open": {"en": "Parcels on the way: {n}.", "zh": "在途包裹 {n} 个。"},
    "dashboard.parcel.days_left": {
        "en": "{days} d left to the promised date",
        "zh": "距承诺送达日还剩 {days} 天",
    },
    "dashboard.parcel.overdue": {
        "en": "already past the promised date (by {days} d)",
        "zh": "已超过承诺送达日 {days} 天",
    },
}
