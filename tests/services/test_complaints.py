"""Complaint classifier (quality floor on the held-out split, above the keyword baseline) and
severity / SLA rules."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import AftersalesConfig
from bot.services.complaint_classifier import (
    COMPLAINT_TYPES,
    DATA_PATH,
    Classification,
    ComplaintClassifier,
    Example,
    load_classifier,
    load_examples,
    split_examples,
)
from bot.services.complaint_evaluation import f1_per_class, macro_f1
from bot.services.complaint_keywords import KeywordClassifier
from bot.services.complaints import assess

RULES = AftersalesConfig()


@pytest.fixture(scope="module")
def examples() -> list[Example]:
    return load_examples()


@pytest.fixture(scope="module")
def held_out(examples: list[Example]) -> tuple[list[Example], list[Example], ComplaintClassifier]:
    train, test = split_examples(examples)
    model = ComplaintClassifier().fit([e.text for e in train], [e.label for e in train])
    return train, test, model


# Data --------------------------------------------------------------------------------------------
def test_at_least_40_distinct_messages_per_type_and_language(examples: list[Example]) -> None:
    counts = Counter((e.label, e.lang) for e in examples)
    for label in COMPLAINT_TYPES:
        for lang in ("zh", "en"):
            assert counts[(label, lang)] >= 40, (label, lang)
    texts = [e.text.strip().lower() for e in examples]
    duplicates = [text for text, n in Counter(texts).items() if n > 1]
    assert duplicates == []


def test_messages_are_in_their_language(examples: list[Example]) -> None:
    for e in examples:
        has_cjk = any("\u4e00" <= ch <= "\u9fff" for ch in e.text)
        assert has_cjk == (e.lang == "zh"), e


def test_bad_data_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.yml"
    path.write_text("lost_parcel:\n  en: [where is it]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown complaint types"):
        load_examples(path)
    path.write_text("other:\n  en: [fine, '']\n", encoding="utf-8")
    with pytest.raises(ValueError, match="non-text"):
        load_examples(path)


def test_split_is_stratified_disjoint_and_repeatable(examples: list[Example]) -> None:
    train, test = split_examples(examples)
    assert set(train).isdisjoint(test) and len(train) + len(test) == len(examples)
    assert split_examples(examples) == (train, test)
    per_group = Counter((e.label, e.lang) for e in test)
    assert all(9 <= n <= 14 for n in per_group.values())
    assert len(per_group) == 2 * len(COMPLAINT_TYPES)
    assert split_examples(examples, seed=1)[1] != test
    with pytest.raises(ValueError, match="test_fraction"):
        split_examples(examples, test_fraction=1.0)


# Quality floor -----------------------------------------------------------------------------------
def test_model_beats_the_keyword_baseline_on_held_out_messages(
    held_out: tuple[list[Example], list[Example], ComplaintClassifier],
) -> None:
    _, test, model = held_out
    truth = [e.label for e in test]
    model_f1 = macro_f1(truth, model.predict([e.text for e in test]))
    baseline_f1 = macro_f1(truth, KeywordClassifier().predict([e.text for e in test]))
    # Measured: model 0.77, baseline 0.63 (reports/complaints.md).
    assert model_f1 >= 0.70
    assert model_f1 >= baseline_f1 + 0.08


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_model_floor_per_language(
    held_out: tuple[list[Example], list[Example], ComplaintClassifier], lang: str
) -> None:
    _, test, model = held_out
    part = [e for e in test if e.lang == lang]
    assert macro_f1([e.label for e in part], model.predict([e.text for e in part])) >= 0.65


# Messages written for this test, in neither the training data nor its held-out split.
UNSEEN = [
    ("delivery_delay", "下单快十天了，物流还停在发货地，什么时候能送到"),
    ("delivery_delay", "It's been 9 days and the parcel still hasn't turned up. Any news?"),
    ("damaged_in_transit", "快递箱子被压得稀巴烂，里面的花瓶碎了"),
    ("damaged_in_transit", "The parcel was crushed and the glass jar inside arrived in pieces"),
    ("quality_defect", "用了两天屏幕就不亮了，质量太差"),
    ("quality_defect", "The zip on this jacket broke the second time I wore it"),
    ("wrong_or_missing_item", "我买的蓝色怎么给我发了红色"),
    (
        "wrong_or_missing_item",
        "The charger that's supposed to come with it is missing from the box",
    ),
    ("service_attitude", "你们客服太不耐烦了，问两句就不回了"),
    ("service_attitude", "Your agent was really rude and just closed the chat on me"),
    ("courier_conduct", "送快递的那个人对我大吼，说我下楼太慢"),
    ("courier_conduct", "The driver just lobbed my box over the hedge and drove away"),
    ("refund_delay", "退货寄回去两周了，钱还没退给我"),
    ("refund_delay", "I sent the item back weeks ago and still haven't got my money"),
    ("price_or_promotion", "刚买完就降价了，差价能补吗"),
    ("price_or_promotion", "The discount code didn't work and I paid full price"),
    ("other", "你们的小程序一直打不开，白屏"),
    ("other", "Please stop texting me adverts every day"),
]


def test_trained_classifier_on_new_messages(examples: list[Example]) -> None:
    known = {e.text for e in examples}
    assert not known & {text for _, text in UNSEEN}
    model = load_classifier()
    assert load_classifier() is model  # trained once per process
    verdicts = [model.classify(text) for _, text in UNSEEN]
    correct = sum(v.complaint_type == label for v, (label, _) in zip(verdicts, UNSEEN, strict=True))
    assert correct >= 15, [
        (label, v.complaint_type) for v, (label, _) in zip(verdicts, UNSEEN, strict=True)
    ]
    for verdict in verdicts:
        assert set(verdict.scores) == set(COMPLAINT_TYPES)
        assert sum(verdict.scores.values()) == pytest.approx(1.0)
        assert verdict.confidence == max(verdict.scores.values())


def test_classifier_input_errors() -> None:
    with pytest.raises(ValueError, match="not trained"):
        ComplaintClassifier().predict(["hi"])
    with pytest.raises(ValueError, match="unknown labels"):
        ComplaintClassifier().fit(["a", "b"], ["other", "lost"])
    with pytest.raises(ValueError, match="as many labels"):
        ComplaintClassifier().fit(["a"], [])
    with pytest.raises(ValueError, match="l2"):
        ComplaintClassifier(l2=0)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("退款还没到账", "refund_delay"),
        ("The coupon did not apply", "price_or_promotion"),
        ("box crushed, mug broken", "damaged_in_transit"),
        ("快递员骂人", "courier_conduct"),
        ("asdf", "other"),
    ],
)
def test_keyword_baseline(text: str, label: str) -> None:
    assert KeywordClassifier().predict([text]) == [label]


@pytest.mark.parametrize(
    ("truth", "predicted", "expected"),
    [
        # one type right, the absent ones score 0
        (["other"] * 4, ["other"] * 4, 1 / len(COMPLAINT_TYPES)),
        (["refund_delay", "other"], ["other", "refund_delay"], 0.0),
        (
            ["refund_delay", "refund_delay", "other"],
            ["refund_delay", "other", "other"],
            (2 / 3 + 2 / 3) / len(COMPLAINT_TYPES),
        ),
    ],
)
def test_macro_f1(truth: list[str], predicted: list[str], expected: float) -> None:
    assert macro_f1(truth, predicted) == pytest.approx(expected)
    with pytest.raises(ValueError, match="predictions"):
        f1_per_class(truth, predicted[:-1])


# Severity ----------------------------------------------------------------------------------------
def verdict(kind: str, confidence: float = 0.9) -> Classification:
    return Classification(kind, confidence, {kind: confidence})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "text", "sentiment", "segment", "prior", "level", "hours"),
    [
        ("delivery_delay", "where is my parcel", 0.0, "regular", 0, "low", 72),
        ("other", "app crashes", None, None, 0, "low", 72),
        # The model's score counts only beside words of frustration: calm complaints read very
        # negative all the same, and saying "complaint" / 投诉 is no frustration in a complaint.
        (
            "delivery_delay",
            "the parcel is two days late, please check",
            -0.95,
            "regular",
            0,
            "low",
            72,
        ),
        ("delivery_delay", "快递比承诺的晚了两天，麻烦帮我看一下", -0.9, "regular", 0, "low", 72),
        (
            "delivery_delay",
            "I want to file a complaint, my parcel is late",
            -0.9,
            "regular",
            0,
            "low",
            72,
        ),
        ("price_or_promotion", "the coupon failed at checkout", -0.5, "regular", 0, "low", 72),
        ("price_or_promotion", "the coupon failed, ridiculous", -0.5, "regular", 0, "medium", 24),
        (
            "delivery_delay",
            "WHERE IS MY PARCEL, IT IS A WEEK LATE",
            None,
            "regular",
            0,
            "medium",
            24,
        ),
        ("delivery_delay", "气死了，快递又晚了三天", -0.9, "regular", 0, "medium", 24),
        ("quality_defect", "broke after a day", -0.2, "regular", 0, "medium", 24),
        ("quality_defect", "broke after a day", -0.9, "regular", 0, "medium", 24),
        ("refund_delay", "still no refund", -0.8, "regular", 0, "high", 8),
        ("refund_delay", "still no refund", -0.8, "vip", 0, "high", 8),
        ("refund_delay", "still no refund", -0.8, "vip", 1, "critical", 2),
        ("refund_delay", "still no refund", -0.1, "regular", 0, "medium", 24),
        ("service_attitude", "rude agent", -0.9, "regular", 3, "high", 8),
        ("service_attitude", "the agent was rude, unacceptable", -0.9, "regular", 3, "critical", 2),
        ("delivery_delay", "late again", -0.4, "vip", 1, "medium", 24),
        ("delivery_delay", "late again!!", -0.4, "vip", 1, "high", 8),
        # Threats to go to the regulator or the press: at least high, whatever the points.
        ("delivery_delay", "再不发货我就打12315投诉", 0.0, "regular", 0, "high", 8),
        ("price_or_promotion", "I'll talk to my lawyer about this", 0.0, "regular", 0, "high", 8),
        ("price_or_promotion", "I will sue if this isn't fixed", 0.0, "regular", 0, "high", 8),
        # Whole words only: "courtesy" is no court case, "apply" no app.
        ("service_attitude", "no courtesy at all from your staff", 0.0, "regular", 0, "medium", 24),
        # A safety hazard is always critical.
        ("quality_defect", "充电宝充电的时候冒烟了", 0.1, "regular", 0, "critical", 2),
        ("quality_defect", "The kettle gave me an electric shock", 0.0, "new", 0, "critical", 2),
    ],
)
def test_severity_and_sla(
    kind: str,
    text: str,
    sentiment: float | None,
    segment: str | None,
    prior: int,
    level: str,
    hours: int,
) -> None:
    severity = assess(
        verdict(kind),
        text=text,
        sentiment=sentiment,
        segment=segment,
        prior_complaints=prior,
        rules=RULES,
    )
    assert severity.level == level
    assert severity.sla == timedelta(hours=hours)
    assert severity.needs_human is (level in ("high", "critical"))
    assert severity.factors[0] == f"type:{kind}"


def test_sla_hours_come_from_the_settings() -> None:
    rules = dataclasses.replace(
        RULES,
        complaint_sla_hours={"low": 48, "medium": 12, "high": 4, "critical": 1},
        vip_segments=("gold",),
    )
    severity = assess(
        verdict("refund_delay"),
        text="still no refund",
        sentiment=-0.5,
        segment="gold",
        prior_complaints=0,
        rules=rules,
    )
    assert (severity.level, severity.sla) == ("high", timedelta(hours=4))
    assert "segment:gold" in severity.factors


@pytest.mark.parametrize(("sentiment", "prior"), [(1.5, 0), (-1.01, 0), (0.0, -1)])
def test_severity_input_errors(sentiment: float, prior: int) -> None:
    with pytest.raises(ValueError):
        assess(
            verdict("other"),
            text="",
            sentiment=sentiment,
            segment=None,
            prior_complaints=prior,
            rules=RULES,
        )


def test_data_file_ships_inside_the_package() -> None:
    assert DATA_PATH.is_file() and DATA_PATH.parent.parent.name == "services"
