"""The Rasa domain's responses agree with the text tables of bot/i18n.

The domain keeps its static answers (greeting, FAQ, ...) as response variations, because Rasa
trains on and validates the domain files as they are. These checks keep them in step with the
tables: every response has one English and one Chinese variation with the same buttons, and a
text that exists in both places is the same text in both languages.
"""

from __future__ import annotations

import string
from typing import Any

import pytest

from bot import i18n

# Domain responses that are also sent by code: response -> table key of its text, and the
# table keys of its buttons' titles (in order). Add a line when code sends a domain text.
MIRRORED: dict[str, tuple[str, tuple[str, ...]]] = {
    # The offer of a person after two misunderstandings: the domain's utter_default and the
    # gateway's own offer (bot/handoff/starting.py) are one text.
    "utter_default": ("handoff.fallback_offer", ("handoff.fallback_button",)),
}


def _responses(domain: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    responses = domain["responses"]
    assert isinstance(responses, dict)
    return responses


def _by_language(variations: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The variations of one response by language: no condition is English (the default),
    the condition ``language == "zh"`` Chinese; anything else is a mistake."""
    found: dict[str, dict[str, Any]] = {}
    for variation in variations:
        condition = variation.get("condition") or []
        if not condition:
            lang = "en"
        else:
            assert condition == [{"type": "slot", "name": "language", "value": "zh"}], condition
            lang = "zh"
        assert lang not in found, f"two {lang} variations"
        found[lang] = variation
    return found


def _fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_every_response_has_an_english_and_a_chinese_variation(domain: dict[str, Any]) -> None:
    responses = _responses(domain)
    assert responses
    for name, variations in responses.items():
        found = _by_language(variations)
        assert set(found) == {"en", "zh"}, name
        en, zh = found["en"]["text"], found["zh"]["text"]
        # Read as the gateway reads a customer's message (an English text may quote a
        # Chinese term, such as 电子发票).
        assert i18n.detect_language(zh) == "zh", f"{name}: the zh variation is not Chinese"
        assert i18n.detect_language(en) == "en", f"{name}: the en variation is not English"
        assert _fields(zh) == _fields(en), name
        payloads = {
            lang: [b["payload"] for b in found[lang].get("buttons") or []] for lang in found
        }
        assert payloads["zh"] == payloads["en"], name


@pytest.mark.parametrize("name", sorted(MIRRORED))
def test_mirrored_responses_are_the_table_texts(domain: dict[str, Any], name: str) -> None:
    text_key, button_keys = MIRRORED[name]
    found = _by_language(_responses(domain)[name])
    for lang in ("en", "zh"):
        variation = found[lang]
        assert variation["text"].strip() == i18n.t(text_key, lang), (name, lang)
        titles = [b["title"] for b in variation.get("buttons") or []]
        assert titles == [i18n.t(key, lang) for key in button_keys], (name, lang)


def test_a_text_in_both_places_is_the_same_in_both_languages(domain: dict[str, Any]) -> None:
    """Any domain text (or button title) equal to a table text in one language must equal it in
    the other language too: a translation edited on one side only shows up here."""
    table: dict[tuple[str, str], list[str]] = {}
    for key in i18n.text_keys():
        for lang, text in i18n._TEXTS[key].items():
            table.setdefault((lang, text.strip()), []).append(key)
    for name, variations in _responses(domain).items():
        found = _by_language(variations)
        pairs = [(found["en"]["text"].strip(), found["zh"]["text"].strip())]
        buttons = [found[lang].get("buttons") or [] for lang in ("en", "zh")]
        pairs += [(en["title"], zh["title"]) for en, zh in zip(*buttons, strict=True)]
        for en, zh in pairs:
            for key in table.get(("en", en), []):
                assert i18n.t(key, "zh") == zh, (name, key)
            for key in table.get(("zh", zh), []):
                assert i18n.t(key, "en") == en, (name, key)


def test_the_offer_of_a_person_has_one_button_title() -> None:
    """The handoff offer's button and the fallback clarification's "request_human" button."""
    for lang in ("en", "zh"):
        assert i18n.intent_title("request_human", lang) == i18n.t("handoff.fallback_button", lang)
