"""The assistant's own replies in the domain (``utter_greet``, ``utter_goodbye``, the fallback's
texts, ...): every response outside ``domain/faq.yml`` that has an English text and a Chinese
variation (``condition: language = zh``), edited side by side like the FAQ answers.

A reply may quote slots (``{order_id}``); an edit may keep, drop or reorder them but not add
one the reply did not quote (Rasa would send the braces). Buttons, images and custom payloads of
a response stay as they are: only its text is edited. The answers that custom actions compose
(order status, after-sales, ...) are code in ``bot/i18n`` and are not edited here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml.scalarstring import FoldedScalarString
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.studio import validate
from bot.studio.editing import Editor, record
from bot.studio.project import FAQ_PREFIX, LANGS, NotFound, ProjectStore, folded, placeholders

# Replies whose text code also sends from bot/i18n (tests/i18n/test_domain_texts.py keeps the
# two equal): editing only the domain's copy would make them differ, so they are edited there.
CODE_TEXTS = frozenset({"utter_default"})


def _files(store: ProjectStore) -> list[Path]:
    return [path for path in store.domain_files() if path != store.faq_path]


def _texts(variations: Any) -> dict[str, str] | None:
    """zh and en of a response whose variations are exactly those two texts, else None."""
    by_lang = ProjectStore._variations(variations)
    if set(by_lang) != set(LANGS) or len(variations or []) != 2:
        return None
    if not all(isinstance(by_lang[lang].get("text"), str) for lang in LANGS):
        return None
    return {lang: str(by_lang[lang]["text"]).strip() for lang in LANGS}


def responses(store: ProjectStore) -> dict[str, dict[str, Any]]:
    """name -> {"zh", "en", "file", "placeholders"} for every editable reply."""
    found: dict[str, dict[str, Any]] = {}
    for path in _files(store):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for name, variations in (doc.get("responses") or {}).items():
            texts = _texts(variations)
            if texts is None or str(name).startswith(FAQ_PREFIX) or name in CODE_TEXTS:
                continue
            quoted = sorted(placeholders(texts["en"]) | placeholders(texts["zh"]))
            found[str(name)] = {**texts, "file": path.name, "placeholders": quoted}
    return found


def set_response(
    store: ProjectStore, name: str, texts: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Save one reply's zh and en text into its domain file; (before, after)."""
    with store._lock:
        current = responses(store)
        if name not in current:
            raise NotFound(name)
        path = store.root / "domain" / current[name]["file"]
        doc = store._load(path)
        by_lang = ProjectStore._variations(doc["responses"][name])
        before = {lang: current[name][lang] for lang in LANGS}
        after = {lang: texts[lang].strip() for lang in LANGS}
        if after != before:
            for lang in LANGS:
                old = by_lang[lang]["text"]
                by_lang[lang]["text"] = (
                    folded(after[lang]) if isinstance(old, FoldedScalarString) else after[lang]
                )
            store._dump(path, doc)
        return before, after


async def list_responses(editor: Editor) -> dict[str, dict[str, Any]]:
    return await asyncio.to_thread(responses, editor.store)


async def edit_response(
    editor: Editor, engine: AsyncEngine, name: str, body: dict[str, Any], *, author: str
) -> dict[str, Any]:
    """Check and save one reply (:class:`NotFound` for an unknown name, ``Invalid`` for bad
    texts); an audit row (kind ``response``) when it changed."""
    current = await list_responses(editor)
    if name not in current:
        raise NotFound(name)
    texts = validate.check_faq(name, body, current[name]["placeholders"])
    before, after = await asyncio.to_thread(set_response, editor.store, name, texts)
    if before != after:
        await record(engine, author=author, kind="response", name=name, before=before, after=after)
    return {"name": name, **(await list_responses(editor))[name], "changed": before != after}
