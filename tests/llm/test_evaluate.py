"""`make eval-llm`'s data and scoring: the labelled files name real facts of the demo shop, and
the scores are computed as the report says."""

from __future__ import annotations

import yaml
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config
from bot.llm import evaluate
from bot.llm.facts import Fact, FactIndex, build_index


async def test_the_labelled_files_name_facts_of_the_demo_shop(
    cfg: Config, shop_engine: AsyncEngine
) -> None:
    index = await build_index(cfg, shop_engine)
    known = {(f.id, f.lang) for f in index.facts}
    questions = yaml.safe_load(evaluate.RETRIEVAL.read_text("utf-8"))
    answers = yaml.safe_load(evaluate.GUARD.read_text("utf-8"))
    for lang in evaluate.LANGS:
        assert len(questions[lang]) >= 60 and len(answers[lang]) >= 40
        for item in questions[lang] + answers[lang]:
            for fact_id in item["facts"]:
                assert (fact_id, lang) in known, fact_id
        kinds = {item["kind"] for item in answers[lang]}
        assert {"good", "invented_price", "wrong_days", "other_customer_data"} <= kinds


def test_recall_and_catch_rates_are_counted_per_language() -> None:
    facts = [
        Fact("faq.pay", "faq", "We accept Alipay and WeChat Pay.", "en", "Payment"),
        Fact("faq.ship", "faq", "Delivery takes 1-3 days; shipping is free from ¥99.", "en"),
        Fact("faq.pay", "faq", "支持支付宝和微信支付。", "zh", "支付"),
        Fact("faq.ship", "faq", "1-3 天送达，满 ¥99 包邮。", "zh", "配送"),
    ]
    index = FactIndex(facts)
    questions = {
        "en": [
            {"q": "do you take alipay", "facts": ["faq.pay"]},
            {"q": "how long is delivery", "facts": ["faq.pay"]},  # labelled wrong: a miss
        ],
        "zh": [{"q": "能用支付宝吗", "facts": ["faq.pay"]}],
        "off_topic_en": ["quantum chromodynamics lecture"],
    }
    result = evaluate.retrieval(index, questions, min_score=0.1)
    assert result["en"]["recall_at_3"] == 0.5 and result["zh"]["recall_at_3"] == 1.0
    assert result["en"]["off_topic_rejected"] == 1.0
    answers = {
        "en": [
            {"kind": "good", "facts": ["faq.ship"], "answer": "Free shipping from ¥99."},
            {"kind": "invented_price", "facts": ["faq.ship"], "answer": "Free from ¥199."},
        ],
        "zh": [{"kind": "wrong_days", "facts": ["faq.ship"], "answer": "5天送达。"}],
    }
    scored = evaluate.guard(index, answers)
    assert scored["en"]["good_passed"] == 1.0 and scored["en"]["bad_caught"] == 1.0
    assert scored["zh"]["caught_by_kind"] == {"wrong_days": "1/1"}
