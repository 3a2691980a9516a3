"""The calibrated linear intent model (rasa_project/components/linear_model.py) on its own."""

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "rasa_project"))

from components.linear_model import CalibratedLinearModel, scale_features

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


def test_fit_predicts_the_right_intent_with_probabilities_summing_to_one() -> None:
    vectorizer, features, labels = _data()
    model = CalibratedLinearModel.fit(features, labels, folds=3)
    probe = scale_features(vectorizer.transform(["where is my parcel", "cancel my purchase"]))
    proba = model.predict_proba(probe)
    assert proba.sum(axis=1) == pytest.approx([1.0, 1.0])
    assert [model.classes[i] for i in proba.argmax(axis=1)] == ["order_status", "cancel_order"]
    assert proba.max(axis=1).min() > 0.4


def test_save_and_load_give_the_same_probabilities(tmp_path: Path) -> None:
    _vectorizer, features, labels = _data()
    model = CalibratedLinearModel.fit(features, labels)
    model.save(tmp_path / "m.npz")
    loaded = CalibratedLinearModel.load(tmp_path / "m.npz")
    assert list(loaded.classes) == list(model.classes)
    assert loaded.predict_proba(features) == pytest.approx(model.predict_proba(features))


def test_two_intents_and_one_example_intents_are_handled() -> None:
    texts = ["hello", "hi there", "cancel my order", "cancel it", "bye"]
    labels = ["greet", "greet", "cancel_order", "cancel_order", "goodbye"]
    vectorizer = CountVectorizer(analyzer="char_wb", ngram_range=(1, 3)).fit(texts)
    model = CalibratedLinearModel.fit(scale_features(vectorizer.transform(texts)), labels)
    assert model.predict_proba(scale_features(vectorizer.transform(["bye"]))).shape == (1, 3)
    two = CalibratedLinearModel.fit(
        scale_features(vectorizer.transform(texts[:4])), labels[:4], folds=2
    )
    proba = two.predict_proba(scale_features(vectorizer.transform(["cancel the order"])))
    assert two.classes[proba.argmax()] == "cancel_order"


def test_a_single_intent_is_refused() -> None:
    with pytest.raises(ValueError, match="two or more intents"):
        CalibratedLinearModel.fit(np.eye(2), ["greet", "greet"])


def test_a_floor_keeps_a_message_no_intent_claims_unconfident() -> None:
    vectorizer, features, labels = _data()
    model = CalibratedLinearModel.fit(features, labels)
    nothing = scale_features(vectorizer.transform(["qqq zzz xxx"]))
    assert model.predict_proba(nothing).sum() == pytest.approx(1.0)
    floored = model.predict_proba(nothing, floor=5.0)
    assert floored.sum() < 1.0 and floored.max() < model.predict_proba(nothing).max()
    clear = scale_features(vectorizer.transform(["cancel my order"]))
    assert model.predict_proba(clear, floor=0.3) == pytest.approx(model.predict_proba(clear))
