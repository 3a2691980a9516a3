"""Admin studio API beside bot/admin/studio_routes.py: the shop policies the FAQ answers quote
and the NLU preview ("how would the running model read this?").

- ``GET /api/admin/policies`` (any role): every policy with its value, whether it was saved on
  the admin pages, its key in config.yml and its range.
- ``PUT /api/admin/policies`` (editor) with any of the policies, e.g. ``{"return_days": 10}``:
  validated (400 naming the field), saved into the overlay over config.yml, the FAQ answers that
  quote them rendered at once, an audit row (kind ``policy``).
- ``GET /api/admin/responses`` (any role): the assistant's own replies in the domain
  (``utter_greet``, ...: :mod:`bot.studio.responses`) with ``zh``, ``en``, their file and the
  slots they quote; ``PUT /api/admin/responses/{name}`` (editor) with ``{"zh", "en"}``: checked
  like a FAQ answer (the placeholders must be the reply's own slots), saved, audited (kind
  ``response``); 404 for a name that is not an editable reply.
- ``POST /api/admin/nlu/preview`` (any role) with ``{"text"}``: Rasa's ``/model/parse`` through
  the gateway's Rasa client: ``intent``, ``confidence``, the top-3 ``ranking``, ``entities``
  (and the FAQ key for a FAQ question); 400 naming ``text`` when it is empty or too long, 503
  when Rasa is down.
- ``POST /api/admin/paraphrase`` (reviewer or owner) with ``{"intent", "count"?: 1-20 (5),
  "lang"?: "zh" | "en" (both)}``: the large model proposes phrasings of the intent, queued as
  ``paraphrase`` review items (:mod:`bot.studio.paraphrase`); the answer is ``{"intent",
  "items": [review items], "dropped": [{"text", "why"}]}``. 400 naming the field, 404 for an
  unknown intent, 503 (``field: "llm"``) when the large model is off or did not answer.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.admin.studio_routes import EDITOR_KEY, STUDIO_CONFIG_KEY, actor
from bot.core.http import ENGINE_KEY, RequestError, json_response, read_json_object
from bot.core.rasa_client import RASA_KEY, RasaBadResponse, RasaUnavailable
from bot.llm.client import LlmClient, llm_client
from bot.services import review
from bot.studio import paraphrase
from bot.studio.project import NotFound
from bot.studio.responses import edit_response, list_responses
from bot.studio.validate import MAX_EXAMPLE, Invalid

MAX_PREVIEW = MAX_EXAMPLE
PARAPHRASE_FIELDS = frozenset({"intent", "count", "lang"})


class ModelHolder:
    """The large-model client of the paraphrase route, made on first use (``client`` may be
    set beforehand, e.g. by tests)."""

    def __init__(self) -> None:
        self.client: LlmClient | None = None

    def get(self, request: web.Request) -> LlmClient:
        if self.client is None:
            self.client = llm_client(request.app[STUDIO_CONFIG_KEY], request.app[ENGINE_KEY])
        return self.client


MODEL_KEY = web.AppKey("studio_llm", ModelHolder)


def _invalid(exc: Invalid) -> web.Response:
    return json_response(
        {
            "error": str(exc),
            "field": exc.problems[0].field,
            "errors": [p.to_json() for p in exc.problems],
        },
        status=400,
    )


async def policies_get(request: web.Request) -> web.Response:
    await actor(request, "read")
    return json_response(request.app[EDITOR_KEY].shop_policies().describe())


async def policies_put(request: web.Request) -> web.Response:
    who = await actor(request, "edit")
    body = await read_json_object(request)
    try:
        saved = await request.app[EDITOR_KEY].set_policies(
            request.app[ENGINE_KEY], body, author=who.name
        )
    except Invalid as exc:
        return _invalid(exc)
    return json_response(saved)


async def responses_get(request: web.Request) -> web.Response:
    await actor(request, "read")
    return json_response({"responses": await list_responses(request.app[EDITOR_KEY])})


async def response_put(request: web.Request) -> web.Response:
    who = await actor(request, "edit")
    name = request.match_info["name"]
    body = await read_json_object(request)
    try:
        saved = await edit_response(
            request.app[EDITOR_KEY], request.app[ENGINE_KEY], name, body, author=who.name
        )
    except NotFound:
        raise RequestError(404, f"there is no editable reply {name[:80]!r}", "name") from None
    except Invalid as exc:
        return _invalid(exc)
    return json_response(saved)


def _score(value: Any) -> float:
    return round(float(value), 4) if isinstance(value, int | float) else 0.0


def read_parse(data: dict[str, Any]) -> dict[str, Any]:
    """The parts of Rasa's parse answer the admin pages show."""
    intent = data.get("intent") if isinstance(data.get("intent"), dict) else {}
    ranking = [
        {"name": str(item.get("name")), "confidence": _score(item.get("confidence"))}
        for item in (data.get("intent_ranking") or [])
        if isinstance(item, dict)
    ][:3]
    entities = [
        {
            "entity": str(item.get("entity")),
            "value": item.get("value"),
            "start": item.get("start"),
            "end": item.get("end"),
            "extractor": item.get("extractor"),
        }
        for item in (data.get("entities") or [])
        if isinstance(item, dict)
    ]
    found: dict[str, Any] = {
        "text": data.get("text"),
        "intent": (intent or {}).get("name"),
        "confidence": _score((intent or {}).get("confidence")),
        "ranking": ranking,
        "entities": entities,
    }
    selector = data.get("response_selector")
    if isinstance(selector, dict):
        response = (selector.get("faq") or {}).get("response") or {}
        key = response.get("intent_response_key")
        if isinstance(key, str):
            found["faq"] = {"key": key, "confidence": _score(response.get("confidence"))}
    return found


async def nlu_preview(request: web.Request) -> web.Response:
    await actor(request, "read")
    body = await read_json_object(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        raise RequestError(400, "`text` is required: the phrase to read", "text")
    if len(text) > MAX_PREVIEW:
        raise RequestError(
            400, f"`text` is {len(text)} characters long; the limit is {MAX_PREVIEW}", "text"
        )
    rasa = request.app.get(RASA_KEY)
    if rasa is None:
        raise RequestError(503, "this gateway has no Rasa client", "rasa")
    try:
        data = await rasa.parse(text.strip())
    except RasaUnavailable as exc:
        raise RequestError(503, f"Rasa is down or busy: {exc}", "rasa") from None
    except RasaBadResponse as exc:
        raise RequestError(502, str(exc), "rasa") from None
    return json_response(read_parse(data))


async def paraphrase_post(request: web.Request) -> web.Response:
    await actor(request, "review")
    body = await read_json_object(request)
    unknown = sorted(set(body) - PARAPHRASE_FIELDS)
    if unknown:
        raise RequestError(400, f"unknown field(s) {unknown}; send intent, count, lang", unknown[0])
    intent, count, lang = body.get("intent"), body.get("count", 5), body.get("lang")
    if not isinstance(intent, str) or not intent.strip():
        raise RequestError(
            400, "`intent` is required: the intent to propose phrasings for", "intent"
        )
    if (
        isinstance(count, bool)
        or not isinstance(count, int)
        or not 1 <= count <= paraphrase.MAX_COUNT
    ):
        raise RequestError(400, f"`count` must be 1 to {paraphrase.MAX_COUNT}", "count")
    if lang is not None and lang not in paraphrase.LANGS:
        raise RequestError(400, "`lang` must be zh or en (or left out: both)", "lang")
    llm = request.app[MODEL_KEY].get(request)
    if not llm.enabled:
        raise RequestError(503, "the large model is off (llm.base_url in config.yml)", "llm")
    engine = request.app[ENGINE_KEY]
    try:
        found = await paraphrase.propose(
            request.app[EDITOR_KEY],
            engine,
            llm,
            intent.strip(),
            count=count,
            langs=[lang] if lang else paraphrase.LANGS,
        )
    except Invalid as exc:
        raise RequestError(404, exc.problems[0].error, "intent") from None
    if not found.answered:
        raise RequestError(503, "the large model did not answer; try again later", "llm")
    items = [item for i in found.items if (item := await review.get(engine, i)) is not None]
    dropped = [{"text": text, "why": why} for text, why in found.dropped]
    return json_response({"intent": found.intent, "items": items, "dropped": dropped})


def setup(app: web.Application) -> None:
    """Register the routes (after :func:`bot.admin.studio_routes.setup`, which makes the
    editor)."""
    app[MODEL_KEY] = ModelHolder()
    app.router.add_post("/api/admin/paraphrase", paraphrase_post)
    app.router.add_get("/api/admin/policies", policies_get)
    app.router.add_put("/api/admin/policies", policies_put)
    app.router.add_post("/api/admin/nlu/preview", nlu_preview)
    app.router.add_get("/api/admin/responses", responses_get)
    app.router.add_put("/api/admin/responses/{name}", response_put)
