"""Reviewing the queue of failed turns (bot/services/review.py): label or dismiss an item.

Labelling an item with an intent adds its (redacted) text to that intent's training examples
(redacted again with the current rules when it is labelled: an item queued before they found
names or addresses leaves none in the training data)
through the studio's NLU editing path (:meth:`bot.studio.editing.Editor.add_examples`): the
same validation, the held-out overlap refusal and an audit row. ``out_of_scope`` adds it to the
``out_of_scope`` intent. A ``paraphrase`` item (a phrasing the large model proposed for an intent,
:mod:`bot.studio.paraphrase`) is accepted into the intent it was proposed for (``accept``) or
rejected (``dismiss``); nothing it proposes enters training otherwise. The item, and open items
of other kinds with the same text, are then closed as ``labelled`` (or ``dismissed``) with the
reviewer's name; the next training picks the example up.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.i18n import detect_language
from bot.services import review
from bot.services.redact import redact
from bot.studio.editing import Editor, record
from bot.studio.validate import INTENT_NAME, Invalid, Problem

OUT_OF_SCOPE = "out_of_scope"
ACTIONS = ("intent", "out_of_scope", "dismiss", "accept")
ACCEPT = "\x00accept"  # the decision "label with the item's own intent" (a paraphrase)


@dataclass
class ReviewError(Exception):
    """A review request that cannot be done: the HTTP status, the message and the field."""

    status: int
    message: str
    field: str

    def __str__(self) -> str:
        return self.message


def parse_decision(body: dict[str, Any]) -> tuple[str, str | None]:
    """``("label", intent)`` or ``("dismiss", None)`` from a request body."""
    unknown = sorted(set(body) - set(ACTIONS))
    if unknown:
        raise ReviewError(
            400,
            f'unknown field(s) {unknown}; send {{"intent": ...}}, {{"out_of_scope": true}}, '
            '{"accept": true} (a paraphrase) or {"dismiss": true}',
            unknown[0],
        )
    given = [name for name in ACTIONS if name in body]
    if len(given) != 1:
        raise ReviewError(
            400,
            'send exactly one of {"intent": "<intent>"}, {"out_of_scope": true}, '
            '{"accept": true}, {"dismiss": true}',
            given[1] if len(given) > 1 else "intent",
        )
    name = given[0]
    if name == "intent":
        intent = body["intent"]
        if not isinstance(intent, str) or not INTENT_NAME.fullmatch(intent):
            raise ReviewError(400, f"`intent` must be an intent name, got {intent!r}", "intent")
        if intent == "faq":
            raise ReviewError(
                400, "name the FAQ answer: faq/<key>, e.g. faq/shipping_fee", "intent"
            )
        return "label", intent
    if body[name] is not True:
        raise ReviewError(400, f"`{name}` must be true", name)
    if name == "accept":
        return "label", ACCEPT
    return ("label", OUT_OF_SCOPE) if name == "out_of_scope" else ("dismiss", None)


async def decide(
    editor: Editor, engine: AsyncEngine, item_id: int, body: dict[str, Any], *, reviewer: str
) -> dict[str, Any]:
    """Label or dismiss item ``item_id``; the item as it is now, with the ids closed."""
    action, intent = parse_decision(body)
    item = await review.get(engine, item_id)
    if item is None:
        raise ReviewError(404, f"there is no review item {item_id}", "id")
    if item["status"] != "open":
        raise ReviewError(
            409, f"review item {item_id} is already {item['status']} by {item['reviewer']}", "id"
        )
    if intent == ACCEPT:
        if item["kind"] != "paraphrase" or not item["intent"]:
            raise ReviewError(
                400, '{"accept": true} is for paraphrase items; send {"intent": ...}', "accept"
            )
        intent = str(item["intent"])
    if action == "label":
        assert intent is not None
        try:
            await editor.nlu(intent)
        except Invalid as exc:
            raise ReviewError(404, exc.problems[0].error, "intent") from None
        lang = detect_language(item["text"], item["language"])
        try:
            example = redact(item["text"])
            await editor.add_examples(engine, intent, {lang: [example]}, author=reviewer)
        except Invalid as exc:
            mine = [p for p in exc.problems if p.field.startswith(f"examples.{lang}")]
            raise Invalid([Problem("text", p.error) for p in mine] or exc.problems) from None
    closed = await review.close(
        engine,
        item_id,
        status="labelled" if action == "label" else "dismissed",
        label=intent,
        reviewer=reviewer,
    )
    if not closed:
        raise ReviewError(409, f"review item {item_id} was closed meanwhile", "id")
    await record(
        engine,
        author=reviewer,
        kind="review",
        name=str(item_id),
        before={"status": "open", "text": item["text"]},
        after={"status": "labelled" if intent else "dismissed", "label": intent, "items": closed},
    )
    found = await review.get(engine, item_id)
    assert found is not None
    return {**found, "closed": closed}
