"""`make eval-clinc`: CLINC150's data read, the pipeline derived, the scores counted.

The data set is not in the repository; these tests build small files in its format."""

import json
from pathlib import Path

import pytest
import yaml

from bot.eval_clinc import load_clinc, nlu_yaml, pipeline_config, render, score
from bot.report_stamp import stamp


def test_load_clinc_maps_oos_to_out_of_scope(tmp_path: Path) -> None:
    path = tmp_path / "data_full.json"
    rows = {
        "train": [["what's the weather", "weather"]],
        "oos_train": [["how tall is a giraffe", "oos"]],
        "test": [["weather today", "weather"]],
        "oos_test": [["sing me a song", "oos"]],
    }
    path.write_text(json.dumps(rows), encoding="utf-8")
    splits = load_clinc(path)
    assert splits["oos_train"] == [("how tall is a giraffe", "out_of_scope")]
    assert splits["train"] == [("what's the weather", "weather")]


def test_load_clinc_names_a_missing_split(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"train": []}), encoding="utf-8")
    with pytest.raises(ValueError, match="oos_train"):
        load_clinc(path)


def test_pipeline_config_keeps_the_nlu_components_but_the_faq_selector() -> None:
    project = yaml.safe_load(Path("rasa_project/config.yml").read_text(encoding="utf-8"))
    derived = pipeline_config(project)
    names = [c["name"] for c in derived["pipeline"]]
    assert "ResponseSelector" not in names and "policies" not in derived
    expected = [c["name"] for c in project["pipeline"] if c["name"] != "ResponseSelector"]
    assert names == expected


def test_nlu_yaml_is_rasa_training_data_without_annotations() -> None:
    text = nlu_yaml([("book a [table] for 2", "book"), ("hi\nthere", "greet"), (" ", "greet")])
    data = yaml.safe_load(text)
    by_intent = {block["intent"]: block["examples"] for block in data["nlu"]}
    assert by_intent == {"book": "- book a (table) for 2\n", "greet": "- hi there\n"}


def test_score_counts_accuracy_threshold_and_oos_recall() -> None:
    labels = ["weather", "weather", "timer", "out_of_scope", "out_of_scope", "out_of_scope"]
    predictions = [
        ("weather", 0.9),  # right
        ("weather", 0.2),  # right, but the assistant would fall back
        ("weather", 0.8),  # wrong
        ("out_of_scope", 0.6),  # caught
        ("timer", 0.25),  # caught: below the threshold
        ("timer", 0.7),  # missed
    ]
    result = score(labels, predictions, 0.3)
    assert result["in_scope_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert result["in_scope_accuracy_above_threshold"] == pytest.approx(1 / 3, abs=1e-4)
    assert result["oos_recall"] == pytest.approx(2 / 3, abs=1e-4)
    with pytest.raises(ValueError, match="predictions"):
        score(labels, predictions[:2], 0.3)


def test_render_is_stamped_and_shows_the_numbers() -> None:
    summary = {
        "stamp": stamp(),
        "command": "make eval-clinc DATA=x.json",
        "data": "x.json",
        "train_examples": 15100,
        "intents": 151,
        "pipeline": ["MixedTokenizer", "LinearIntentClassifier"],
        "training_seconds": 95.4,
        "training_cpu_seconds": 80.2,
        "total_seconds": 130.0,
        "load_average": 1.5,
        "scores": score(["a", "out_of_scope"], [("a", 0.9), ("out_of_scope", 0.5)], 0.3),
    }
    text = render(summary)
    assert text.startswith("# CLINC150") and "Generated " in text
    assert "**95 s**" in text and "| 80 s |" in text and "**100.0 %**" in text
