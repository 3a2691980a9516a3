"""The Rasa project's files as the studio reads and writes them.

YAML is read and written with ruamel.yaml's round trip, so comments, key order and the other
entries of a file stay as they were; every write goes to a temporary file in the same folder
first and then replaces the file (``os.replace``), so Rasa or a training job never reads half
a file.

FAQ answers may quote policy values (``{return_days}``, ``{free_shipping_threshold}``, ...).
Rasa sends FAQ answers itself (ResponseSelector responses), so the values are rendered into
``domain/faq.yml`` when an answer is saved and before every training; the answers with
placeholders are kept in ``faq_templates.yml`` at the project's root (Rasa does not read it).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

from bot.config import Config
from bot.i18n import detect_language
from bot.studio.overlap import block_examples, nlu_examples

FAQ_PREFIX = "utter_faq/"
TEMPLATES_FILE = "faq_templates.yml"
STUDIO_FILE = "studio.yml"  # where new NLU blocks, rules and stories go
ZH_CONDITION = [{"type": "slot", "name": "language", "value": "zh"}]
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
LANGS = ("zh", "en")

# kind -> (folder under data/, top-level key, item key)
STEP_KINDS: dict[str, tuple[str, str, str]] = {
    "rules": ("rules", "rules", "rule"),
    "stories": ("stories", "stories", "story"),
}
# Keys of a rule or story besides its name and steps that the studio keeps and accepts.
EXTRA_KEYS: dict[str, tuple[str, ...]] = {
    "rules": ("condition", "wait_for_user_input", "conversation_start"),
    "stories": (),
}


class NotFound(LookupError):
    """The FAQ key, intent, rule or story does not exist."""


def policy_values(cfg: Config) -> dict[str, str]:
    """The config values FAQ answers may quote, by placeholder name."""
    return {
        "return_days": str(cfg.aftersales.return_days),
        "quality_return_days": str(cfg.aftersales.quality_return_days),
        "quality_exchange_days": str(cfg.aftersales.quality_exchange_days),
        "free_shipping_threshold": str(cfg.studio.free_shipping_threshold),
        "shipping_fee": str(cfg.studio.shipping_fee),
        "service_hours": cfg.shop.service_hours,
        "return_phone": cfg.aftersales.return_phone,
    }


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: Mapping[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _plain(value: Any) -> Any:
    """ruamel's commented containers as plain JSON values."""
    return json.loads(json.dumps(value, default=str))


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Domain:
    intents: frozenset[str]
    actions: frozenset[str]  # custom actions, responses, forms
    entities: frozenset[str]
    slots: frozenset[str]
    responses: frozenset[str]


@dataclass
class ProjectStore:
    """Read and write the FAQ answers, NLU examples, rules and stories of a Rasa project."""

    root: Path
    values: Mapping[str, str] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # --- YAML ------------------------------------------------------------------------------
    @staticmethod
    def _yaml(text: str = "") -> YAML:
        """A round-trip YAML that writes lists indented as ``text`` does (Rasa's files use
        both ``- item`` flush with its key and ``  - item`` indented by two)."""
        y = YAML()
        y.preserve_quotes = True
        y.width = 4096  # no re-wrapping of long texts
        indented = re.search(r"^[A-Za-z_]+:\s*\n(\s+)- ", text, re.MULTILINE)
        if indented and len(indented.group(1)) >= 2:
            y.indent(mapping=2, sequence=4, offset=2)
        else:
            y.indent(mapping=2, sequence=2, offset=0)
        return y

    def _load(self, path: Path) -> Any:
        if not path.exists():
            return None
        return self._yaml().load(path.read_text(encoding="utf-8"))

    def _dump(self, path: Path, doc: Any) -> None:
        out = io.StringIO()
        self._yaml(path.read_text(encoding="utf-8") if path.exists() else "").dump(doc, out)
        atomic_write(path, out.getvalue())

    # --- the domain ------------------------------------------------------------------------
    def domain_files(self) -> list[Path]:
        return sorted((self.root / "domain").glob("*.yml"))

    def domain(self) -> Domain:
        intents: set[str] = set()
        actions: set[str] = set()
        entities: set[str] = set()
        slots: set[str] = set()
        responses: set[str] = set()

        def names(items: Any) -> Iterator[str]:
            for item in items or []:
                yield str(next(iter(item))) if isinstance(item, dict) else str(item)

        for path in self.domain_files():
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            intents.update(names(doc.get("intents")))
            actions.update(names(doc.get("actions")))
            entities.update(names(doc.get("entities")))
            slots.update((doc.get("slots") or {}).keys())
            responses.update((doc.get("responses") or {}).keys())
            actions.update((doc.get("forms") or {}).keys())
        actions |= responses
        # Retrieval actions: utter_faq answers with one of the utter_faq/<key> responses.
        actions |= {name.partition("/")[0] for name in responses if "/" in name}
        return Domain(
            frozenset(intents),
            frozenset(actions),
            frozenset(entities),
            frozenset(slots),
            frozenset(responses),
        )

    # --- FAQ answers -----------------------------------------------------------------------
    @property
    def faq_path(self) -> Path:
        return self.root / "domain" / "faq.yml"

    @property
    def templates_path(self) -> Path:
        return self.root / TEMPLATES_FILE

    def _templates(self) -> dict[str, dict[str, str]]:
        doc = (
            yaml.safe_load(self.templates_path.read_text(encoding="utf-8"))
            if (self.templates_path.exists())
            else None
        )
        faq = (doc or {}).get("faq") or {}
        return {str(k): {lang: str(v[lang]) for lang in LANGS} for k, v in faq.items()}

    @staticmethod
    def _variations(variations: Any) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for variation in variations or []:
            found["zh" if variation.get("condition") else "en"] = variation
        return found

    def faq(self) -> dict[str, dict[str, Any]]:
        """key -> {"zh", "en"} (with placeholders, as edited) and "rendered" {"zh", "en"}."""
        if not self.faq_path.exists():
            return {}  # a project without FAQ answers
        doc = yaml.safe_load(self.faq_path.read_text(encoding="utf-8")) or {}
        templates = self._templates()
        found: dict[str, dict[str, Any]] = {}
        for name, variations in (doc.get("responses") or {}).items():
            if not str(name).startswith(FAQ_PREFIX):
                continue
            key = str(name)[len(FAQ_PREFIX) :]
            by_lang = self._variations(variations)
            sent = {lang: str(by_lang.get(lang, {}).get("text", "")).strip() for lang in LANGS}
            edited = templates.get(key, sent)
            found[key] = {**edited, "rendered": sent}
        return found

    def set_faq(self, key: str, texts: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        """Save one answer (``texts``: zh and en, maybe with placeholders); (before, after)."""
        with self._lock:
            current = self.faq()
            if key not in current:
                raise NotFound(key)
            before = {lang: current[key][lang] for lang in LANGS}
            after = {lang: texts[lang].strip() for lang in LANGS}
            templates = self._templates()
            if any(placeholders(after[lang]) for lang in LANGS):
                templates[key] = after
            else:
                templates.pop(key, None)
            self._write_templates(templates)
            self._render_into_domain({key: after})
            return before, after

    def add_faq(self, key: str, texts: Mapping[str, str]) -> dict[str, str]:
        """A new answer ``utter_faq/<key>`` (an English default and a zh variation) at the end
        of domain/faq.yml; :class:`KeyError` when the key exists."""
        with self._lock:
            if key in self.faq():
                raise KeyError(key)
            after = {lang: texts[lang].strip() for lang in LANGS}
            doc = self._load(self.faq_path) or self._yaml().load('version: "3.1"\nresponses: {}\n')
            if doc.get("responses") is None:
                doc["responses"] = {}
            variations = self._yaml().load(
                "- text: x\n- condition:\n    - type: slot\n      name: language\n"
                "      value: zh\n  text: x\n"
            )
            variations[0]["text"] = folded(render(after["en"], self.values))
            variations[1]["text"] = render(after["zh"], self.values)
            doc["responses"][FAQ_PREFIX + key] = variations
            self._dump(self.faq_path, doc)
            if any(placeholders(after[lang]) for lang in LANGS):
                self._write_templates({**self._templates(), key: after})
            return after

    def _write_templates(self, templates: dict[str, dict[str, str]]) -> None:
        doc = self._load(self.templates_path)
        if doc is None:
            doc = self._yaml().load(
                "# FAQ answers that quote config values ({return_days}, ...), as edited in the\n"
                "# admin studio. bot/studio renders them into domain/faq.yml on every save and\n"
                "# before training; edit them here or with `python -m bot studio faq set`.\n"
                "faq: {}\n"
            )
        faq = doc.get("faq")
        if faq is None or not hasattr(faq, "keys"):
            doc["faq"] = faq = {}
        for key in [k for k in faq if k not in templates]:
            del faq[key]
        for key, texts in sorted(templates.items()):
            faq[key] = {lang: texts[lang] for lang in ("en", "zh")}
        self._dump(self.templates_path, doc)

    def _render_into_domain(self, texts: Mapping[str, Mapping[str, str]]) -> list[str]:
        """Write the rendered ``texts`` (key -> zh/en) into domain/faq.yml; the changed keys."""
        if not texts:
            return []
        doc = self._load(self.faq_path)
        if doc is None:
            raise NotFound(next(iter(texts)))
        responses = doc["responses"]
        changed = []
        for key, by_lang in texts.items():
            variations = self._variations(responses.get(FAQ_PREFIX + key))
            for lang in LANGS:
                text = render(by_lang[lang], self.values)
                if lang not in variations:
                    raise NotFound(key)
                if str(variations[lang]["text"]).strip() != text:
                    old = variations[lang]["text"]
                    variations[lang]["text"] = (
                        folded(text) if isinstance(old, FoldedScalarString) else text
                    )
                    changed.append(key)
        if changed:
            self._dump(self.faq_path, doc)
        return sorted(set(changed))

    def render_faq(self) -> list[str]:
        """Render every answer with placeholders from the current config; the changed keys."""
        with self._lock:
            return self._render_into_domain(self._templates())

    # --- NLU examples ----------------------------------------------------------------------
    def nlu_files(self) -> list[Path]:
        return sorted((self.root / "data" / "nlu").glob("*.yml"))

    def nlu(self, intent: str) -> dict[str, list[str]] | None:
        """{"zh": [...], "en": [...]} of ``intent``; None when no file has examples for it."""
        found: list[str] = []
        seen = False
        for path in self.nlu_files():
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for item in doc.get("nlu") or []:
                if item.get("intent") == intent:
                    seen = True
                    found += block_examples(item.get("examples") or "")
        return split_languages(found) if seen else None

    def _ordered_examples(self, intent: str) -> list[str]:
        return [
            example
            for path in self.nlu_files()
            for name, example in nlu_examples(path)
            if name == intent
        ]

    def all_examples(self) -> list[tuple[str, str]]:
        """(intent, example) over every NLU training file, generated ones included."""
        return [
            pair
            for path in sorted((self.root / "data" / "nlu").rglob("*.yml"))
            for pair in nlu_examples(path)
        ]

    def set_nlu(
        self, intent: str, examples: Mapping[str, list[str]], *, new_in: str = STUDIO_FILE
    ) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Replace the examples of ``intent`` (zh first, then en); (before, after). An intent
        without examples yet gets its block at the end of ``data/nlu/<new_in>``."""
        with self._lock:
            before = self.nlu(intent) or {lang: [] for lang in LANGS}
            wanted = [*examples.get("zh", []), *examples.get("en", [])]
            # Kept examples stay where they were (a small diff); new ones go at the end.
            original = self._ordered_examples(intent)
            kept = set(wanted)
            lines = [e for e in original if e in kept]
            lines += [e for e in wanted if e not in set(lines)]
            block = LiteralScalarString("".join(f"- {line.strip()}\n" for line in lines))
            placed = False
            for path in self.nlu_files():
                doc = self._load(path)
                items = (doc or {}).get("nlu")
                if not items:
                    continue
                keep = []
                touched = False
                for item in items:
                    if item.get("intent") != intent:
                        keep.append(item)
                        continue
                    touched = True
                    if not placed:
                        item["examples"] = block
                        keep.append(item)
                        placed = True
                if touched:
                    items[:] = keep
                    self._dump(path, doc)
            if not placed:
                path = self.root / "data" / "nlu" / new_in
                doc = self._load(path) or self._yaml().load('version: "3.1"\nnlu: []\n')
                doc["nlu"].append({"intent": intent, "examples": block})
                self._dump(path, doc)
            return before, split_languages(lines)

    # --- rules and stories -----------------------------------------------------------------
    def _step_files(self, kind: str) -> list[Path]:
        folder, _, _ = STEP_KINDS[kind]
        return sorted((self.root / "data" / folder).glob("*.yml"))

    def step_names(self, kind: str) -> list[dict[str, Any]]:
        """Every rule (or story) with its file and number of steps, in file order."""
        _, top, item_key = STEP_KINDS[kind]
        found = []
        for path in self._step_files(kind):
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for item in doc.get(top) or []:
                if isinstance(item, dict) and item.get(item_key):
                    found.append(
                        {
                            "name": str(item[item_key]),
                            "file": str(path.relative_to(self.root)),
                            "steps": len(item.get("steps") or []),
                        }
                    )
        return found

    def steps(self, kind: str, name: str) -> dict[str, Any] | None:
        _, top, item_key = STEP_KINDS[kind]
        for path in self._step_files(kind):
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for item in doc.get(top) or []:
                if item.get(item_key) == name:
                    body = {"steps": item.get("steps") or []}
                    body.update({k: item[k] for k in EXTRA_KEYS[kind] if k in item})
                    return {**_plain(body), "file": str(path.relative_to(self.root))}
        return None

    def set_steps(
        self, kind: str, name: str, body: Mapping[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        """Replace (or add, in data/<kind>/studio.yml) one rule or story; (before, after)."""
        folder, top, item_key = STEP_KINDS[kind]
        with self._lock:
            before = self.steps(kind, name)
            new: dict[str, Any] = {item_key: name}
            new.update({k: body[k] for k in EXTRA_KEYS[kind] if k in body})
            new["steps"] = list(body["steps"])
            target = self.root / before["file"] if before else None
            if target is None:
                target = self.root / "data" / folder / STUDIO_FILE
            doc = self._load(target) or self._yaml().load(f'version: "3.1"\n{top}: []\n')
            items = doc[top]
            for index, item in enumerate(items):
                if item.get(item_key) == name:
                    items[index] = new
                    break
            else:
                items.append(new)
            self._dump(target, doc)
            after = self.steps(kind, name)
            assert after is not None
            return before, after

    # --- snapshots -------------------------------------------------------------------------
    def snapshot(self) -> dict[str, str]:
        """Project file (relative path) -> text: what a model is trained on."""
        files = [self.root / "config.yml", self.templates_path, *self.domain_files()]
        files += sorted((self.root / "data").rglob("*.yml"))
        return {
            str(path.relative_to(self.root)): path.read_text(encoding="utf-8")
            for path in files
            if path.is_file()
        }


def folded(text: str, width: int = 88) -> FoldedScalarString:
    """``text`` as a ``>-`` block broken at spaces before ``width`` characters (as the domain
    files are written by hand)."""
    out = FoldedScalarString(text)
    positions: list[int] = []
    line_start = 0
    last_space = -1
    for i, char in enumerate(text):
        if char == " ":
            if i - line_start > width and last_space > line_start:
                positions.append(last_space)
                line_start = last_space + 1
            last_space = i
    if len(text) - line_start > width and last_space > line_start:
        positions.append(last_space)
    out.fold_pos = positions
    return out


def split_languages(examples: list[str]) -> dict[str, list[str]]:
    """Examples by the language they read as (Han characters: zh)."""
    found: dict[str, list[str]] = {lang: [] for lang in LANGS}
    for example in examples:
        found[detect_language(example, "en")].append(example)
    return found


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
