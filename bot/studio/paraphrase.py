"""Candidate phrasings for intents with few examples, proposed by the large model, for review.

:func:`propose` shows the model an intent's current examples (per language) and asks for new
ways customers would say the same thing. Each candidate is cleaned and then dropped when it
counts as trained on (:func:`bot.studio.overlap.overlap`: equal to, or at least 90% like, an
example of any intent), when it is like a held-out phrasing (the held-out file and the test
stories: these must never be trained on) or like another candidate of the batch. What is left
goes to the review queue as ``paraphrase`` items with the intent they are for; a reviewer
accepts one (:func:`bot.studio.review.decide` with ``{"accept": true}``: the studio's NLU
editing path, with its checks and audit row) or dismisses it. Nothing enters the training data
without that.

The model is any object with the large-model client's ``complete`` (``bot.llm.client``); the
command line and the admin API pass the configured client.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import detect_language
from bot.services import review
from bot.studio.editing import Editor
from bot.studio.overlap import index, overlap
from bot.studio.project import split_languages

logger = logging.getLogger(__name__)

LANGS = ("zh", "en")
SHOWN_EXAMPLES = 12  # current examples per language shown to the model
MAX_COUNT = 20  # candidates asked for per language, at most
MIN_CHARS, MAX_CHARS = 2, 120
FEW_SHOT = 30  # an intent with fewer examples than this in a language is "few-shot"
CONVERSATION = "studio:paraphrase"  # the review items' conversation id
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)、])\s*")
_MARKUP = re.compile(r"[\[\]{}()<>`\"“”]")


class Reply(Protocol):
    text: str


class Completer(Protocol):
    """The large-model client (``bot.llm.client.LlmClient``)."""

    @property
    def enabled(self) -> bool: ...

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        purpose: str,
        max_tokens: int = 400,
        temperature: float = 0.2,
    ) -> Any: ...


@dataclass
class Proposal:
    """What one run for an intent did: the review items added, the candidates dropped (and
    why), and whether the model answered at all."""

    intent: str
    items: list[int] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)
    answered: bool = True

    def json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "items": self.items,
            "dropped": [{"text": t, "why": w} for t, w in self.dropped],
            "answered": self.answered,
        }


def prompt(
    intent: str, examples: dict[str, list[str]], counts: dict[str, int]
) -> list[dict[str, str]]:
    """The chat messages asking for ``counts[lang]`` new phrasings per language."""
    wanted = {lang: n for lang, n in counts.items() if n > 0}
    shown = {lang: examples.get(lang, [])[:SHOWN_EXAMPLES] for lang in wanted}
    system = (
        "You write training data for an online shop's customer-service chatbot. Given an "
        "intent and how customers express it, write new, natural, varied messages a customer "
        "could send with the same meaning: different words and sentence shapes, short like "
        "chat messages, no personal data, no order numbers, no markup. Chinese ones in "
        "simplified Chinese. Answer with JSON only: "
        '{"zh": ["..."], "en": ["..."]} with exactly the numbers asked for.'
    )
    user = json.dumps(
        {"intent": intent, "examples": shown, "new_per_language": wanted}, ensure_ascii=False
    )
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse(text: str) -> dict[str, list[str]]:
    """The candidates per language from the model's answer (JSON, possibly in a code fence;
    else one candidate per line, sorted by the language it reads as)."""
    found: dict[str, list[str]] = {lang: [] for lang in LANGS}
    start, end = text.find("{"), text.rfind("}")
    if start >= 0 and end > start:
        try:
            data = json.loads(text[start : end + 1])
        except json.JSONDecodeError:
            data = None
        if isinstance(data, dict):
            for lang in LANGS:
                values = data.get(lang)
                if isinstance(values, list):
                    found[lang] = [str(v) for v in values if isinstance(v, str | int)]
            return found
    for line in text.splitlines():
        for lang, texts in split_languages([clean(line)]).items():
            found[lang] += texts
    return found


def clean(text: str) -> str:
    """One candidate as a training example: no bullet, quotes or markup, one line."""
    text = _BULLET.sub("", text.strip())
    text = _MARKUP.sub("", text)
    return " ".join(text.split())


def review_key(intent: str, text: str) -> str:
    return f"paraphrase:{intent}:{review.text_hash(text)}"


async def propose(
    editor: Editor,
    engine: AsyncEngine,
    llm: Completer,
    intent: str,
    *,
    count: int = 5,
    langs: Sequence[str] = LANGS,
) -> Proposal:
    """Ask the model for ``count`` phrasings of ``intent`` per language in ``langs`` and queue
    those that survive the checks as ``paraphrase`` review items."""
    if not 1 <= count <= MAX_COUNT:
        raise ValueError(f"count must be from 1 to {MAX_COUNT}, got {count}")
    examples = await editor.nlu(intent)  # raises Invalid for an unknown intent
    result = Proposal(intent)
    reply = await llm.complete(
        prompt(intent, examples, {lang: count for lang in langs}),
        purpose="paraphrase",
        max_tokens=60 * count * len(langs) + 60,
        temperature=0.8,
    )
    if reply is None:
        result.answered = False
        return result
    candidates = parse(str(getattr(reply, "text", "") or ""))
    trained = index(text for _intent, text in await asyncio.to_thread(editor.store.all_examples))
    held_out = index(await asyncio.to_thread(editor.held_out))
    trained_keys, held_keys = list(trained), list(held_out)
    batch: dict[str, str] = {}
    for lang in langs:
        for raw in candidates.get(lang, [])[: count * 2]:
            text = clean(raw)
            why = _refusal(text, lang)
            why = why or _like(text, held_out, held_keys, "a held-out phrasing")
            why = why or _like(text, trained, trained_keys, "a training example")
            why = why or _like(text, batch, None, "another candidate")
            if why is not None:
                result.dropped.append((text, why))
                continue
            batch.update(index([text]))
            item = await review.collect(
                engine,
                kind="paraphrase",
                text=text,
                language=lang,
                conversation_id=CONVERSATION,
                message_key=review_key(intent, text),
                intent=intent,
                detail={"source": "llm"},
            )
            if item is None:
                result.dropped.append((text, "already proposed"))
            else:
                result.items.append(item)
    logger.info(
        "paraphrases for %s: %d queued for review, %d dropped",
        intent,
        len(result.items),
        len(result.dropped),
    )
    return result


def _refusal(text: str, lang: str) -> str | None:
    if not MIN_CHARS <= len(text) <= MAX_CHARS:
        return f"length {len(text)} is not {MIN_CHARS}-{MAX_CHARS} characters"
    if detect_language(text, "zh" if lang == "zh" else "en") != lang:
        return f"not in {lang}"
    if text.startswith("/"):
        return "a command"
    return None


def _like(text: str, known: dict[str, str], keys: list[str] | None, what: str) -> str | None:
    why = overlap(text, known, keys)
    return None if why is None else f"like {what}: {why}"


async def few_shot_intents(
    editor: Editor, threshold: int = FEW_SHOT
) -> list[tuple[str, list[str]]]:
    """(intent, the languages it has fewer than ``threshold`` examples in) for each intent of
    the domain that is few-shot in at least one language (``out_of_scope`` left out)."""
    found = []
    for row in await editor.intents():
        if not row["in_domain"] or row["intent"] == "out_of_scope":
            continue
        short = [lang for lang in LANGS if row["examples"][lang] < threshold]
        if short:
            found.append((str(row["intent"]), short))
    return found
