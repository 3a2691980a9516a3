"""The keyword baseline the complaint classifier is measured against: hand-picked keywords per
type, most hits wins."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from bot.services.complaint_classifier import COMPLAINT_TYPES, ComplaintType, normalise

# The keyword baseline: what a support team writes down first. Lower case; Chinese and English.
KEYWORDS: Mapping[ComplaintType, tuple[str, ...]] = {
    "delivery_delay": (
        "还没到",
        "没收到",
        "没发货",
        "发货",
        "物流",
        "快递",
        "到货",
        "延迟",
        "慢",
        "催",
        "delay",
        "late",
        "shipping",
        "shipped",
        "tracking",
        "arrive",
        "delivery",
        "where is",
        "still waiting",
        "not received",
    ),
    "damaged_in_transit": (
        "碎",
        "压坏",
        "破损",
        "摔坏",
        "漏",
        "压扁",
        "变形",
        "湿",
        "凹",
        "裂",
        "broken",
        "crushed",
        "damaged",
        "smashed",
        "cracked",
        "leaked",
        "dent",
        "wet",
        "shattered",
    ),
    "quality_defect": (
        "质量",
        "坏了",
        "不能用",
        "失灵",
        "掉色",
        "开胶",
        "缩水",
        "假货",
        "做工",
        "异味",
        "quality",
        "stopped working",
        "faulty",
        "defective",
        "fake",
        "broke",
        "doesn't work",
        "smell",
        "shrank",
        "peeling",
    ),
    "wrong_or_missing_item": (
        "发错",
        "少发",
        "漏发",
        "少了",
        "没有",
        "不对",
        "错了",
        "赠品",
        "尺码",
        "颜色",
        "wrong",
        "missing",
        "instead",
        "ordered",
        "only got",
        "not included",
        "free gift",
        "size",
        "colour",
        "color",
    ),
    "service_attitude": (
        "客服",
        "态度",
        "不理",
        "不回",
        "敷衍",
        "挂断",
        "机器人",
        "人工",
        "投诉",
        "踢皮球",
        "rude",
        "agent",
        "customer service",
        "support",
        "no reply",
        "nobody",
        "ignored",
        "hung up",
        "attitude",
        "bot",
    ),
    "courier_conduct": (
        "快递员",
        "快递小哥",
        "送货",
        "派送员",
        "配送员",
        "扔",
        "骂",
        "不送上楼",
        "courier",
        "driver",
        "delivery guy",
        "delivery man",
        "threw",
        "thrown",
        "rude",
    ),
    "refund_delay": (
        "退款",
        "退钱",
        "到账",
        "退回",
        "钱",
        "退了",
        "没退",
        "原路",
        "refund",
        "money back",
        "refunded",
        "chargeback",
        "reimburse",
    ),
    "price_or_promotion": (
        "降价",
        "差价",
        "优惠",
        "券",
        "满减",
        "价格",
        "折",
        "活动",
        "原价",
        "运费",
        "price",
        "coupon",
        "voucher",
        "discount",
        "promo",
        "cheaper",
        "charged",
        "offer",
        "deal",
        "code",
    ),
    "other": (
        "发票",
        "app",
        "账号",
        "登录",
        "短信",
        "隐私",
        "信息",
        "闪退",
        "积分",
        "评价",
        "invoice",
        "account",
        "login",
        "log in",
        "crash",
        "unsubscribe",
        "privacy",
        "review",
        "points",
        "website",
    ),
}


class KeywordClassifier:
    """Baseline: the type with the most keyword hits; "other" when nothing matches.

    Chinese keywords match anywhere, Latin ones as whole words ("app" not in "apply"); a tie
    goes to the type listed first.
    """

    def __init__(self, keywords: Mapping[ComplaintType, Iterable[str]] = KEYWORDS) -> None:
        self.patterns = {
            label: [keyword_pattern(word) for word in words] for label, words in keywords.items()
        }

    def predict(self, texts: Sequence[str]) -> list[ComplaintType]:
        out: list[ComplaintType] = []
        for text in texts:
            norm = normalise(text)
            hits = {
                label: sum(len(p.findall(norm)) for p in self.patterns.get(label, ()))
                for label in COMPLAINT_TYPES
            }
            best = max(
                COMPLAINT_TYPES, key=lambda label: (hits[label], -COMPLAINT_TYPES.index(label))
            )
            out.append(best if hits[best] > 0 else "other")
        return out


def keyword_pattern(word: str) -> re.Pattern[str]:
    escaped = re.escape(normalise(word))
    if re.search(r"[a-z0-9]", word[:1]) or re.search(r"[a-z0-9]", word[-1:]):
        return re.compile(rf"(?<![a-z0-9]){escaped}(?![a-z0-9])")
    return re.compile(escaped)
