"""Checks on what an editor saves; each problem names the field it is about.

A :class:`Invalid` carries every problem found (``field`` like ``zh``, ``examples.en[3]`` or
``steps[2].action``), so the admin pages can show them next to the inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.i18n import detect_language
from bot.studio.overlap import index, overlap
from bot.studio.project import LANGS, Domain, placeholders

MAX_ANSWER = 2000
MAX_EXAMPLE = 300
MAX_EXAMPLES = 1000
MAX_STEPS = 100
FAQ_KEY = re.compile(r"[a-z][a-z0-9_]{0,59}")
NEW_FAQ_KEY = re.compile(r"[a-z][a-z0-9_]{1,40}")
MIN_NEW_FAQ_EXAMPLES = 2  # per language
INTENT_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,59}(/[A-Za-z0-9_]{1,60})?")
STEP_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,200}")

# Rasa's own actions, always in the domain.
DEFAULT_ACTIONS = frozenset(
    {
        "action_listen",
        "action_restart",
        "action_session_start",
        "action_default_fallback",
        "action_deactivate_loop",
        "action_revert_fallback_events",
        "action_default_ask_affirmation",
        "action_default_ask_rephrase",
        "action_two_stage_fallback",
        "action_unlikely_intent",
        "action_back",
        "action_extract_slots",
    }
)
DEFAULT_INTENTS = frozenset({"nlu_fallback", "restart", "session_start", "back", "out_of_scope"})
DEFAULT_SLOTS = frozenset({"requested_slot", "session_started_metadata"})
# Rasa's built-in loops (active_loop steps may name them like forms).
DEFAULT_LOOPS = frozenset({"action_two_stage_fallback"})
STEP_KEYS = ("intent", "action", "user", "slot_was_set", "active_loop", "checkpoint", "or", "bot")


@dataclass(frozen=True)
class Problem:
    field: str
    error: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "error": self.error}


class Invalid(ValueError):
    """What an editor sent cannot be saved; ``problems`` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.error}" for p in problems))
        self.problems = problems


def _raise(problems: list[Problem]) -> None:
    if problems:
        raise Invalid(problems)


def _text(value: Any, name: str, max_length: int, problems: list[Problem]) -> str | None:
    if not isinstance(value, str):
        problems.append(Problem(name, f"must be a string, got {type(value).__name__}"))
        return None
    if not value.strip():
        problems.append(Problem(name, "must not be empty"))
        return None
    if len(value) > max_length:
        problems.append(
            Problem(name, f"is {len(value)} characters long; the limit is {max_length}")
        )
        return None
    if any(ord(c) < 32 and c not in "\n\t" for c in value):
        problems.append(Problem(name, "contains control characters"))
        return None
    return value


def _language(text: str, lang: str, name: str, problems: list[Problem]) -> None:
    normalised = re.sub(r"\{[A-Za-z0-9_]+\}", "", text)
    if not re.search(r"[^\W\d_]", normalised):
        return  # no letters (a number, an emoji): reads as either language
    got = detect_language(normalised, "zh" if lang == "zh" else "en")
    if got != lang:
        want = {"zh": "Chinese", "en": "English"}[lang]
        problems.append(Problem(name, f"does not read as {want} (it reads as {got})"))


def check_faq(key: str, body: Mapping[str, Any], known_values: Iterable[str]) -> dict[str, str]:
    """The zh and en answer of FAQ ``key``, or :class:`Invalid`."""
    problems: list[Problem] = []
    if not FAQ_KEY.fullmatch(key):
        problems.append(Problem("key", f"must look like shipping_fee, got {key!r}"))
    unknown = sorted(set(body) - set(LANGS))
    if unknown:
        problems.append(Problem(unknown[0], f'unknown field(s) {unknown}; send {{"zh", "en"}}'))
    texts: dict[str, str] = {}
    for lang in LANGS:
        if lang not in body:
            problems.append(Problem(lang, "is required: the answer in this language"))
            continue
        text = _text(body[lang], lang, MAX_ANSWER, problems)
        if text is not None:
            texts[lang] = text.strip()
            _language(text, lang, lang, problems)
    allowed = set(known_values)
    for lang, text in texts.items():
        bad = sorted(placeholders(text) - allowed)
        if bad:
            problems.append(
                Problem(lang, f"unknown placeholder(s) {bad}; known: {sorted(allowed)}")
            )
    if len(texts) == 2 and placeholders(texts["zh"]) != placeholders(texts["en"]):
        problems.append(
            Problem(
                "en",
                f"uses the placeholders {sorted(placeholders(texts['en']))} but zh uses "
                f"{sorted(placeholders(texts['zh']))}; both must quote the same values",
            )
        )
    _raise(problems)
    return texts


def check_new_faq(
    body: Mapping[str, Any],
    known_values: Iterable[str],
    *,
    other_intents: Iterable[tuple[str, str]],
    held_out: Iterable[str],
) -> tuple[str, dict[str, str], dict[str, list[str]]]:
    """A new FAQ key's (key, answers, examples), or :class:`Invalid` naming every field.

    ``{"key", "zh", "en", "examples": {"zh": [...], "en": [...]}}``: the key like
    ``gift_wrapping``; the answers as :func:`check_faq`; at least two examples per language,
    checked as :func:`check_nlu` (no held-out phrasing, none of another intent).
    """
    problems: list[Problem] = []
    unknown = sorted(set(body) - {"key", "zh", "en", "examples"})
    if unknown:
        problems.append(Problem(unknown[0], 'unknown field; send {"key", "zh", "en", "examples"}'))
    key = body.get("key")
    if not isinstance(key, str) or not NEW_FAQ_KEY.fullmatch(key):
        problems.append(
            Problem("key", f"must be 2-41 of a-z, 0-9 and _ starting with a letter, got {key!r}")
        )
        key = "new_key"
    texts: dict[str, str] = {}
    try:
        texts = check_faq(key, {lang: body[lang] for lang in LANGS if lang in body}, known_values)
    except Invalid as exc:
        problems += exc.problems
    examples: dict[str, list[str]] = {lang: [] for lang in LANGS}
    try:
        examples = check_nlu(
            f"faq/{key}",
            {"examples": body.get("examples")},
            other_intents=other_intents,
            held_out=held_out,
        )
    except Invalid as exc:
        problems += exc.problems
    else:
        for lang in LANGS:
            if len(examples[lang]) < MIN_NEW_FAQ_EXAMPLES:
                problems.append(
                    Problem(
                        f"examples.{lang}",
                        f"give at least {MIN_NEW_FAQ_EXAMPLES} examples in this language",
                    )
                )
    _raise(problems)
    return key, texts, examples


def check_intent_exists(intent: str, domain: Domain) -> None:
    base, _, sub = intent.partition("/")
    if not INTENT_NAME.fullmatch(intent) or base not in domain.intents:
        raise Invalid([Problem("intent", f"there is no intent {intent!r} in the domain")])
    if sub and f"utter_{intent}" not in domain.responses:
        raise Invalid([Problem("intent", f"there is no response utter_{intent} in the domain")])


def check_nlu(
    intent: str,
    body: Mapping[str, Any],
    *,
    other_intents: Iterable[tuple[str, str]],
    held_out: Iterable[str],
) -> dict[str, list[str]]:
    """The zh and en examples of ``intent``, or :class:`Invalid`.

    Refused: empty or duplicate examples, an example of another intent, an example that reads
    as the other language, and any held-out phrasing (equal or 90% alike after normalisation):
    held-out phrasings measure the model and never enter training.
    """
    problems: list[Problem] = []
    unknown = sorted(set(body) - {"examples"})
    if unknown:
        problems.append(Problem(unknown[0], 'unknown field; send {"examples": {"zh", "en"}}'))
    examples = body.get("examples")
    if not isinstance(examples, dict) or set(examples) - set(LANGS):
        _raise([*problems, Problem("examples", 'must be {"zh": [...], "en": [...]}')])
        raise AssertionError
    out: dict[str, list[str]] = {lang: [] for lang in LANGS}
    seen: dict[str, str] = {}
    others = {_same(text): name for name, text in other_intents if name != intent}
    held = index(held_out)
    held_keys = list(held)
    total = 0
    for lang in LANGS:
        items = examples.get(lang, [])
        if not isinstance(items, list):
            problems.append(Problem(f"examples.{lang}", "must be a list of strings"))
            continue
        for i, item in enumerate(items):
            name = f"examples.{lang}[{i}]"
            text = _text(item, name, MAX_EXAMPLE, problems)
            if text is None:
                continue
            text = " ".join(text.split())
            if text.startswith(("- ", "#")):
                problems.append(Problem(name, "must not start with '- ' or '#'"))
                continue
            # Punctuation may tell two examples apart ("hello" and "hello?"); case and spaces not.
            key = _same(text)
            if key in seen:
                problems.append(Problem(name, f"duplicates {seen[key]}"))
                continue
            seen[key] = name
            if key in others:
                problems.append(Problem(name, f"is already an example of intent {others[key]!r}"))
                continue
            why = overlap(text, held, held_keys)
            if why is not None:
                problems.append(
                    Problem(
                        name,
                        f"is a held-out phrasing ({why}); held-out phrasings "
                        "measure the model and must never be trained on",
                    )
                )
                continue
            _language(text, lang, name, problems)
            out[lang].append(text)
            total += 1
    if total == 0 and not problems:
        problems.append(Problem("examples", "give at least one example"))
    if total > MAX_EXAMPLES:
        problems.append(Problem("examples", f"at most {MAX_EXAMPLES} examples"))
    _raise(problems)
    return out


def _same(text: str) -> str:
    return " ".join(text.casefold().split())


def check_steps(kind: str, name: str, body: Mapping[str, Any], domain: Domain) -> dict[str, Any]:
    """A rule's or story's steps (Rasa YAML as JSON), or :class:`Invalid` naming the step."""
    from bot.studio.project import EXTRA_KEYS

    problems: list[Problem] = []
    if not STEP_NAME.fullmatch(name):
        problems.append(Problem("name", "must be 1-200 printable characters"))
    allowed = {"steps", *EXTRA_KEYS[kind]}
    unknown = sorted(set(body) - allowed)
    if unknown:
        problems.append(Problem(unknown[0], f"unknown field; allowed: {sorted(allowed)}"))
    steps = body.get("steps")
    if not isinstance(steps, list) or not steps:
        _raise([*problems, Problem("steps", "must be a non-empty list of steps")])
        raise AssertionError
    if len(steps) > MAX_STEPS:
        problems.append(Problem("steps", f"at most {MAX_STEPS} steps"))
    actions = domain.actions | DEFAULT_ACTIONS
    for i, step in enumerate(steps):
        where = f"steps[{i}]"
        if not isinstance(step, dict):
            problems.append(Problem(where, 'must be an object like {"intent": "greet"}'))
            continue
        keys = [k for k in STEP_KEYS if k in step]
        if len(keys) != 1:
            problems.append(
                Problem(where, f"needs exactly one of {list(STEP_KEYS)}, got {sorted(step)}")
            )
            continue
        problems += _check_step(where, keys[0], step, domain, actions)
    if (
        kind == "stories"
        and isinstance(steps[0], dict)
        and not ("intent" in steps[0] or "user" in steps[0] or "checkpoint" in steps[0])
    ):
        problems.append(Problem("steps[0]", "a story starts with a user intent or a checkpoint"))
    _raise(problems)
    return {k: body[k] for k in allowed if k in body}


def _check_step(
    where: str, key: str, step: Mapping[str, Any], domain: Domain, actions: frozenset[str]
) -> list[Problem]:
    problems: list[Problem] = []
    value = step[key]
    if key == "intent":
        base = str(value).partition("/")[0]
        if not isinstance(value, str) or base not in domain.intents | DEFAULT_INTENTS:
            problems.append(
                Problem(f"{where}.intent", f"there is no intent {value!r} in the domain")
            )
        for entity in _entity_names(step.get("entities")):
            if entity not in domain.entities:
                problems.append(
                    Problem(f"{where}.entities", f"there is no entity {entity!r} in the domain")
                )
    elif key == "action":
        if not isinstance(value, str) or value not in actions:
            problems.append(
                Problem(f"{where}.action", f"there is no action {value!r} in the domain")
            )
    elif key == "active_loop":
        if value is not None and value not in domain.actions | DEFAULT_LOOPS:
            problems.append(Problem(f"{where}.active_loop", f"there is no form {value!r}"))
    elif key == "slot_was_set":
        for slot in _entity_names(value):
            if slot not in domain.slots | DEFAULT_SLOTS:
                problems.append(
                    Problem(f"{where}.slot_was_set", f"there is no slot {slot!r} in the domain")
                )
    elif key == "or":
        if not isinstance(value, list) or not value:
            problems.append(Problem(f"{where}.or", "must be a list of intent steps"))
        else:
            for j, option in enumerate(value):
                if not isinstance(option, dict) or "intent" not in option:
                    problems.append(Problem(f"{where}.or[{j}]", 'must be {"intent": ...}'))
                else:
                    problems += _check_step(f"{where}.or[{j}]", "intent", option, domain, actions)
    return problems


def _entity_names(value: Any) -> list[str]:
    names = []
    for item in value or []:
        names.append(str(next(iter(item))) if isinstance(item, dict) else str(item))
    return names
