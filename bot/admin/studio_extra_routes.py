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
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.admin.studio_routes import EDITOR_KEY, actor
from bot.core.http import ENGINE_KEY, RequestError, json_response, read_json_object
from bot.core.rasa_client import RASA_KEY, RasaBadResponse, RasaUnavailable
from bot.studio.project import NotFound
from bot.studio.responses import edit_response, list_responses
from bot.studio.validate import MAX_EXAMPLE, Invalid

MAX_PREVIEW = MAX_EXAMPLE


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


def setup(app: web.Application) -> None:
    """Register the routes (after :func:`bot.admin.studio_routes.setup`, which makes the
    editor)."""
    app.router.add_get("/api/admin/policies", policies_get)
    app.router.add_put("/api/admin/policies", policies_put)
    app.router.add_post("/api/admin/nlu/preview", nlu_preview)
    app.router.add_get("/api/admin/responses", responses_get)
    app.router.add_put("/api/admin/responses/{name}", response_put)
