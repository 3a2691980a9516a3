import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "rasa_project"))

from components.spans import cuts_latin_word, keep_longest


def span(text: str, part: str) -> tuple[str, int, int]:
    start = text.index(part)
    return text, start, start + len(part)


@pytest.mark.parametrize(
    ("text", "part", "cut"),
    [
        ("my new address is 1 Main St", "dress", True),
        ("is there a guarantee", "tee", True),
        ("a tea for the team", "tea", False),
        ("send me the team list", "tea", True),
        ("a dress please", "dress", False),
        ("买电饭煲", "电饭煲", False),
        ("我的iPhone壳到了吗", "iPhone壳", False),
        ("order260315004217 status", "260315004217", False),
        ("earbuds?", "earbuds", False),
        ("Earbuds", "Earbuds", False),
    ],
)
def test_cuts_latin_word(text: str, part: str, cut: bool) -> None:
    t, start, end = span(text, part)
    assert cuts_latin_word(t, start, end) is cut


def test_keep_longest_prefers_the_longer_overlapping_entity_of_one_type() -> None:
    entities = [
        {"entity": "product", "start": 0, "end": 8},
        {"entity": "product", "start": 0, "end": 16},
        {"entity": "order_id", "start": 2, "end": 14},
        {"entity": "product", "start": 20, "end": 25},
    ]
    assert keep_longest(entities) == [
        {"entity": "product", "start": 0, "end": 16},
        {"entity": "order_id", "start": 2, "end": 14},
        {"entity": "product", "start": 20, "end": 25},
    ]
