"""The linear intent model (rasa_project/components/linear_model.py) on its own."""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "rasa_project"))

from components.linear_model import HEADS, CalibratedLinearModel, scale_features

TRAIN = {
    "order_status": [
        "where is my order",
        "track my parcel",
        "has my package shipped",
        "when will my order arrive",
        "order status please",
        "where's my parcel",
    ],
    "cancel_order": [
        "cancel my order",
        "i want to cancel",
        "please cancel the purchase",
        "stop my order",
        "cancel it now",
        "don't want the order anymore cancel",
    ],
    "greet": ["hello", "hi there", "good morning", "hey", "hi", "hello there"],
}


def _data() -> tuple[CountVectorizer, object, list[str]]:
    texts = [t for ts in TRAIN.values() for t in ts]
    labels = [intent for intent, ts in TRAIN.items() for _ in ts]
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(1, 3)).fit(texts)
    return vectorizer, scale_features(vectorizer.transform(texts)), labels


def test_scale_features_is_sublinear_and_unit_length() -> None:
    scaled = scale_features(np.array([[1.0, 0.0, 4.0], [0.0, 0.0, 0.0]]))
    row = scaled.toarray()[0]
    assert row[2] / row[0] == pytest.approx(1 + np.log(4))
    assert np.linalg.norm(row) == pytest.approx(1.0)
    assert not scaled.toarray()[1].any()  # an empty message stays empty


@pytest.mark.parametrize("head", HEADS)
def test_fit_predicts_the_right_intent_with_probabilities_summing_to_one(head: str) -> None:
    vectorizer, features, labels = _data()
    model = CalibratedLinearModel.fit(features, labels, head=head, folds=3)
    probe = scale_features(vectorizer.transform(["where is my parcel", "cancel my purchase"]))
    proba = model.predict_proba(probe)
    assert proba.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert [model.classes[i] for i in proba.argmax(axis=1)] == ["order_status", "cancel_order"]
    assert proba.max(axis=1).min() > 0.4


@pytest.mark.parametrize("head", HEADS)
def test_save_and_load_give_the_same_probabilities(tmp_path: Path, head: str) -> None:
    _vectorizer, features, labels = _data()
    model = CalibratedLinearModel.fit(features, labels, head=head)
    model.save(tmp_path / "m.npz")
    loaded = CalibratedLinearModel.load(tmp_path / "m.npz")
    assert list(loaded.classes) == list(model.classes) and loaded.head == head
    assert loaded.predict_proba(features) == pytest.approx(model.predict_proba(features))


@pytest.mark.parametrize("head", HEADS)
def test_two_intents_and_one_example_intents_are_handled(head: str) -> None:
    texts = ["hello", "hi there", "cancel my order", "cancel it", "bye"]
    labels = ["greet", "greet", "cancel_order", "cancel_order", "goodbye"]
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(1, 3)).fit(texts)
    model = CalibratedLinearModel.fit(
        scale_features(vectorizer.transform(texts)), labels, head=head
    )
    assert model.predict_proba(scale_features(vectorizer.transform(["bye"]))).shape == (1, 3)
    two = CalibratedLinearModel.fit(
        scale_features(vectorizer.transform(texts[:4])), labels[:4], head=head, folds=2
    )
    proba = two.predict_proba(scale_features(vectorizer.transform(["cancel the order"])))
    assert two.classes[proba.argmax()] == "cancel_order"


def test_a_single_intent_and_an_unknown_head_are_refused() -> None:
    with pytest.raises(ValueError, match="two or more intents"):
        CalibratedLinearModel.fit(np.eye(2), ["greet", "greet"])
    with pytest.raises(ValueError, match="unknown head"):
        CalibratedLinearModel.fit(np.eye(2), ["greet", "bye"], head="tree")


@pytest.mark.parametrize("head", ["platt", "svm_softmax"])
def test_a_floor_keeps_a_message_no_intent_claims_unconfident(head: str) -> None:
    vectorizer, features, labels = _data()
    model = CalibratedLinearModel.fit(features, labels, head=head)
    nothing = scale_features(vectorizer.transform(["qqq zzz xxx"]))
    assert model.predict_proba(nothing).sum() == pytest.approx(1.0)
    floored = model.predict_proba(nothing, floor=5.0)
    assert floored.sum() < 1.0 and floored.max() < model.predict_proba(nothing).max()
    clear = scale_features(vectorizer.transform(["cancel my order"]))
    assert model.predict_proba(clear, floor=0.3) == pytest.approx(model.predict_proba(clear))


# A mixed message: it says "never mind" (deny) about cancelling (cancel_order), so n-grams of both
# intents match; the intent it means must still win by more than the FallbackClassifier's
# ambiguity threshold (0.05 in rasa_project/config.yml), or the assistant asks instead.
MIXED = {
    "deny": [
        "算了",
        "算了吧",
        "不用了",
        "不要了",
        "不了，谢谢",
        "不是",
        "没有",
        "还是算了",
        "不，不用",
        "不需要",
    ],
    "cancel_order": [
        "取消订单",
        "我要取消订单",
        "帮我取消",
        "取消这个订单",
        "订单不要了，取消吧",
        "能取消吗",
        "我想取消",
        "请取消我的订单",
        "取消",
        "把订单取消掉",
    ],
    "greet": ["你好", "您好", "在吗", "哈喽", "早上好", "你好呀", "在不在", "嗨", "hi", "hello"],
}


@pytest.mark.parametrize("head", ["softmax", "svm_softmax"])
def test_a_mixed_message_is_still_decided_clearly_by_the_softmax_heads(head: str) -> None:
    texts = [t for ts in MIXED.values() for t in ts]
    labels = [intent for intent, ts in MIXED.items() for _ in ts]
    vectorizer = CountVectorizer(analyzer="char", ngram_range=(1, 4)).fit(texts)
    features = scale_features(vectorizer.transform(texts))
    model = CalibratedLinearModel.fit(features, labels, head=head)
    probe = scale_features(vectorizer.transform(["算了，不取消了"]))
    [row] = model.predict_proba(probe, floor=0.3)
    ranking = sorted(zip(row, model.classes, strict=True), reverse=True)
    (first, intent), (second, runner_up) = ranking[0], ranking[1]
    assert intent == "deny" and runner_up == "cancel_order"  # both intents matched
    assert first - second > 0.1


def test_training_at_clinc150s_size_runs() -> None:
    """150 intents with 100 examples each, as CLINC150: each intent has its own words, shared
    filler words and words borrowed from the other intents (no timing asserted here; `make
    eval-clinc` times the real data)."""
    rng = np.random.default_rng(0)
    intents, per_intent = 150, 100
    vocabulary = [f"w{i}" for i in range(3000)]
    own = [rng.choice(len(vocabulary), 8, replace=False) for _ in range(intents)]
    texts, labels = [], []
    for k in range(intents):
        for _ in range(per_intent):
            words = [vocabulary[i] for i in rng.choice(own[k], 3)]
            other = own[int(rng.integers(intents))]
            words += [vocabulary[i] for i in rng.choice(other, 1)]
            words += [f"filler{int(i)}" for i in rng.integers(0, 40, 3)]
            texts.append(" ".join(rng.permutation(words)))
            labels.append(f"intent_{k}")
    vectorizer = CountVectorizer().fit(texts)
    features = scale_features(vectorizer.transform(texts))
    model = CalibratedLinearModel.fit(features, labels)
    assert features.shape[0] == intents * per_intent and len(model.classes) == intents
    predicted = model.classes[model.predict_proba(features[::10]).argmax(axis=1)]
    assert np.mean(predicted == np.asarray(labels)[::10]) > 0.9
