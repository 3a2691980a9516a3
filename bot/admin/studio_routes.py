"""Admin studio API (README "Admin studio"): FAQ answers, NLU examples, rules and stories with
validation and an audit trail; training jobs behind the deploy gate, versions and rollback;
login sessions for the admin pages.

Authentication: ``Authorization: Bearer $ADMIN_TOKEN`` (acts as an owner) or the session
cookie from ``POST /api/admin/login``; with the cookie, unsafe methods need the session's
``X-CSRF-Token``. Roles: editors edit, reviewers read and label the review queue, owners also
train, deploy and roll back. Errors are ``{"error", "field"}``; validation errors add ``"errors"``
(every problem with its field, e.g. ``steps[2].action``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from aiohttp import web

from bot.admin.routes import require_admin
from bot.config import Config
from bot.core.http import ENGINE_KEY, RequestError, json_response, optional_flag, read_json_object
from bot.services import review
from bot.studio import accounts
from bot.studio.deploy import Busy, Deployer
from bot.studio.editing import Editor, Exists, history
from bot.studio.model_versions import NoPrevious
from bot.studio.project import NotFound
from bot.studio.review import ReviewError, decide
from bot.studio.validate import FAQ_KEY, INTENT_NAME, Invalid

COOKIE = "shop_admin_session"
CSRF_HEADER = "X-CSRF-Token"
EDITOR_KEY = web.AppKey("studio_editor", Editor)
DEPLOYER_KEY = web.AppKey("studio_deployer", Deployer)
STUDIO_CONFIG_KEY = web.AppKey("studio_config", Config)
_SAFE = {"GET", "HEAD", "OPTIONS"}
_NAME_RE = re.compile(r"[^\x00-\x1f\x7f/]{1,200}")


async def actor(request: web.Request, permission: str) -> accounts.Actor:
    """Who sends ``request``, when allowed to do ``permission``; 401/403 otherwise."""
    if "Authorization" in request.headers or COOKIE not in request.cookies:
        require_admin(request)
        return accounts.Actor("admin", "owner")
    found = await accounts.session_actor(request.app[ENGINE_KEY], request.cookies[COOKIE])
    if found is None:
        raise RequestError(401, "the session has expired or is unknown; log in again")
    if request.method not in _SAFE and not accounts.csrf_ok(
        found, request.headers.get(CSRF_HEADER, "")
    ):
        raise RequestError(
            403, f"send the session's CSRF token in the {CSRF_HEADER} header", CSRF_HEADER
        )
    if not found.may(permission):
        raise RequestError(
            403, f"the role {found.role!r} may not {permission}; ask an owner", "role"
        )
    return found


def _invalid(exc: Invalid) -> web.Response:
    first = exc.problems[0]
    return json_response(
        {"error": str(exc), "field": first.field, "errors": [p.to_json() for p in exc.problems]},
        status=400,
    )


def _author(who: accounts.Actor) -> str:
    return who.name


# --- FAQ -------------------------------------------------------------------------------------
async def faq_list(request: web.Request) -> web.Response:
    await actor(request, "read")
    editor = request.app[EDITOR_KEY]
    return json_response({"faq": await editor.faq(), "placeholders": dict(editor.store.values)})


async def faq_put(request: web.Request) -> web.Response:
    who = await actor(request, "edit")
    key = request.match_info["key"]
    if not FAQ_KEY.fullmatch(key):
        raise RequestError(400, f"the FAQ key must look like shipping_fee, got {key!r}", "key")
    body = await read_json_object(request)
    editor = request.app[EDITOR_KEY]
    if key not in await editor.faq():
        raise RequestError(404, f"there is no FAQ answer {key!r}", "key")
    try:
        saved = await editor.set_faq(request.app[ENGINE_KEY], key, body, author=_author(who))
    except Invalid as exc:
        return _invalid(exc)
    return json_response(saved)


async def faq_create(request: web.Request) -> web.Response:
    who = await actor(request, "edit")
    body = await read_json_object(request)
    try:
        saved = await request.app[EDITOR_KEY].add_faq(
            request.app[ENGINE_KEY], body, author=_author(who)
        )
    except Exists as exc:
        raise RequestError(409, f"there is already an FAQ answer {exc.args[0]!r}", "key") from None
    except Invalid as exc:
        return _invalid(exc)
    return json_response(saved, status=201)


# --- the review queue ------------------------------------------------------------------------
def _query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise RequestError(400, f"`{name}` must be a whole number from {low} to {high}", name)
    return int(raw)


async def review_list(request: web.Request) -> web.Response:
    await actor(request, "read")
    status = request.query.get("status") or None
    if status is not None and status not in review.STATUSES:
        raise RequestError(400, f"`status` must be one of {', '.join(review.STATUSES)}", "status")
    kind = request.query.get("kind") or None
    if kind is not None and kind not in review.KINDS:
        raise RequestError(400, f"`kind` must be one of {', '.join(review.KINDS)}", "kind")
    limit = _query_int(request, "limit", 50, 1, 500)
    offset = _query_int(request, "offset", 0, 0, 10**9)
    found, total = await review.items(
        request.app[ENGINE_KEY], status=status, kind=kind, limit=limit, offset=offset
    )
    return json_response({"items": found, "total": total, "limit": limit, "offset": offset})


async def review_decide(request: web.Request) -> web.Response:
    who = await actor(request, "review")
    raw = request.match_info["item_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise RequestError(400, f"a review item id is a number, got {raw!r}", "id")
    body = await read_json_object(request)
    try:
        done = await decide(
            request.app[EDITOR_KEY], request.app[ENGINE_KEY], int(raw), body, reviewer=who.name
        )
    except ReviewError as exc:
        raise RequestError(exc.status, exc.message, exc.field) from None
    except Invalid as exc:
        return _invalid(exc)
    return json_response(done)


# --- NLU -------------------------------------------------------------------------------------
def _intent(request: web.Request) -> str:
    intent = request.match_info["intent"]
    if not INTENT_NAME.fullmatch(intent):
        raise RequestError(400, f"{intent!r} is not an intent name like greet or faq/x", "intent")
    return intent


async def nlu_list(request: web.Request) -> web.Response:
    await actor(request, "read")
    return json_response({"intents": await request.app[EDITOR_KEY].intents()})


async def nlu_get(request: web.Request) -> web.Response:
    await actor(request, "read")
    intent = _intent(request)
    try:
        examples = await request.app[EDITOR_KEY].nlu(intent)
    except Invalid as exc:
        raise RequestError(404, exc.problems[0].error, "intent") from None
    return json_response({"intent": intent, "examples": examples})


async def nlu_put(request: web.Request) -> web.Response:
    who = await actor(request, "edit")
    intent = _intent(request)
    body = await read_json_object(request)
    editor = request.app[EDITOR_KEY]
    try:
        await editor.nlu(intent)
    except Invalid as exc:
        raise RequestError(404, exc.problems[0].error, "intent") from None
    try:
        saved = await editor.set_nlu(request.app[ENGINE_KEY], intent, body, author=_author(who))
    except Invalid as exc:
        return _invalid(exc)
    return json_response(saved)


# --- rules and stories -----------------------------------------------------------------------
MAX_YAML = 20_000
_STEP_FIELD = re.compile(r"steps\[(\d+)\]")


def steps_yaml(found: dict[str, Any]) -> str:
    """A rule or story as the YAML the admin pages edit (its name and file left out)."""
    body = {k: v for k, v in found.items() if k not in {"name", "file", "created", "changed"}}
    return str(yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=4096))


def _from_yaml(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``{"yaml": text}`` as the JSON shape; 400 naming ``yaml`` (with the line) when the text
    is not a YAML mapping."""
    if set(body) != {"yaml"}:
        extra = sorted(set(body) - {"yaml"})
        raise RequestError(400, 'send either {"yaml": text} or {"steps": [...]}', extra[0])
    text = body["yaml"]
    if not isinstance(text, str) or not text.strip():
        raise RequestError(400, "`yaml` must be the rule's YAML text", "yaml")
    if len(text) > MAX_YAML:
        raise RequestError(400, f"`yaml` is longer than {MAX_YAML} characters", "yaml")
    try:
        parsed = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise RequestError(400, f"{line}{problem}", "yaml") from None
    if not isinstance(parsed, dict):
        raise RequestError(400, "`yaml` must hold a mapping with `steps:`", "yaml")
    return text, parsed


def _step_lines(text: str) -> list[int]:
    """The line (1-based) where each step of the YAML's ``steps`` list starts."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return []
    if not isinstance(node, yaml.MappingNode):
        return []
    for key, value in node.value:
        if key.value == "steps" and isinstance(value, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value.value]
    return []


def _line_of(field: str, lines: list[int]) -> dict[str, int]:
    match = _STEP_FIELD.match(field)
    if match is None or int(match.group(1)) >= len(lines):
        return {}
    return {"step": int(match.group(1)), "line": lines[int(match.group(1))]}


def _steps_handlers(kind: str) -> tuple[Any, Any, Any]:
    def name_of(request: web.Request) -> str:
        name = request.match_info["name"]
        if not _NAME_RE.fullmatch(name):
            raise RequestError(400, "the name must be 1-200 printable characters", "name")
        return name

    async def get(request: web.Request) -> web.Response:
        await actor(request, "read")
        name = name_of(request)
        try:
            found = await request.app[EDITOR_KEY].steps(kind, name)
        except NotFound:
            raise RequestError(
                404,
                f"there is no {kind[:-1] if kind == 'rules' else 'story'} named {name!r}",
                "name",
            ) from None
        return json_response({"name": name, **found, "yaml": steps_yaml(found)})

    async def put(request: web.Request) -> web.Response:
        who = await actor(request, "edit")
        name = name_of(request)
        body = await read_json_object(request)
        text = None
        if "yaml" in body:
            text, body = _from_yaml(body)
        try:
            saved = await request.app[EDITOR_KEY].set_steps(
                request.app[ENGINE_KEY], kind, name, body, author=_author(who)
            )
        except Invalid as exc:
            response = _invalid(exc)
            if text is not None:  # the line of each step named, for the YAML editor
                lines = _step_lines(text)
                errors = [{**p.to_json(), **_line_of(p.field, lines)} for p in exc.problems]
                first = exc.problems[0]
                return json_response(
                    {"error": str(exc), "field": first.field, "errors": errors}, status=400
                )
            return response
        return json_response(
            {**saved, "yaml": steps_yaml(saved)}, status=201 if saved["created"] else 200
        )

    async def listing(request: web.Request) -> web.Response:
        await actor(request, "read")
        return json_response({kind: await request.app[EDITOR_KEY].step_names(kind)})

    return get, put, listing


# --- audit -----------------------------------------------------------------------------------
async def audit(request: web.Request) -> web.Response:
    await actor(request, "read")
    kind = request.query.get("kind") or None
    name = request.query.get("name") or None
    return json_response({"changes": await history(request.app[ENGINE_KEY], kind=kind, name=name)})


# --- models ----------------------------------------------------------------------------------
async def train(request: web.Request) -> web.Response:
    who = await actor(request, "deploy")
    activate = await optional_flag(request, "activate", default=True)
    try:
        job_id = await request.app[DEPLOYER_KEY].submit(author=_author(who), activate=activate)
    except Busy as exc:
        return json_response({"error": str(exc), "field": "job", "job_id": exc.job_id}, status=409)
    return json_response(
        {"job_id": job_id, "status_url": f"/api/admin/model/jobs/{job_id}"}, status=202
    )


async def job(request: web.Request) -> web.Response:
    await actor(request, "read")
    raw = request.match_info["job_id"]
    if not raw.isdigit() or len(raw) > 12:
        raise RequestError(400, f"a job id is a number, got {raw!r}", "job_id")
    found = await request.app[DEPLOYER_KEY].job(int(raw))
    if found is None:
        raise RequestError(404, f"there is no training job {raw}", "job_id")
    return json_response(found)


async def model(request: web.Request) -> web.Response:
    await actor(request, "read")
    deployer = request.app[DEPLOYER_KEY]
    return json_response(
        {
            "active": await deployer.active(),
            "versions": await deployer.versions(),
            "latest_job": await deployer.latest_job(),
        }
    )


async def model_version(request: web.Request) -> web.Response:
    await actor(request, "read")
    version = request.match_info["version"]
    found = await request.app[DEPLOYER_KEY].version(version)
    if found is None:
        raise RequestError(404, f"there is no model version {version!r}", "version")
    found.pop("snapshot", None)
    return json_response(found)


async def rollback(request: web.Request) -> web.Response:
    who = await actor(request, "deploy")
    try:
        done = await request.app[DEPLOYER_KEY].rollback(author=_author(who))
    except NoPrevious as exc:
        raise RequestError(409, str(exc), "version") from None
    except Exception as exc:  # Rasa refused or is down: nothing changed
        raise RequestError(502, f"the rollback failed: {exc}", "rasa") from None
    return json_response(done)


# --- sessions --------------------------------------------------------------------------------
async def login(request: web.Request) -> web.Response:
    body = await read_json_object(request)
    name, password = body.get("name"), body.get("password")
    if not isinstance(name, str) or not name:
        raise RequestError(400, "`name` is required", "name")
    if not isinstance(password, str) or not password:
        raise RequestError(400, "`password` is required", "password")
    hours = request.app[STUDIO_CONFIG_KEY].studio.session_hours
    session = await accounts.login(request.app[ENGINE_KEY], name, password, hours=hours)
    if session is None:
        raise RequestError(401, "the name or the password is wrong", "password")
    response = json_response(
        {"name": session.actor.name, "role": session.actor.role, "csrf_token": session.csrf_token}
    )
    response.set_cookie(
        COOKIE,
        session.token,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/api/admin",
        max_age=int(hours * 3600),
    )
    return response


async def logout(request: web.Request) -> web.Response:
    token = request.cookies.get(COOKIE)
    if token:
        await actor(request, "read")  # CSRF applies to logging out too
        await accounts.logout(request.app[ENGINE_KEY], token)
    response = json_response({"logged_out": True})
    response.del_cookie(COOKIE, path="/api/admin")
    return response


async def me(request: web.Request) -> web.Response:
    who = await actor(request, "read")
    return json_response({"name": who.name, "role": who.role})


def setup(app: web.Application, cfg: Config, deployer: Any = None) -> None:
    """Register the studio's routes; ``deployer``: a factory (engine -> Deployer) for tests."""
    editor = Editor.from_config(cfg)
    app[EDITOR_KEY] = editor
    app[STUDIO_CONFIG_KEY] = cfg

    async def lifetime(app: web.Application) -> Any:
        engine = app[ENGINE_KEY]
        made = (
            deployer(engine)
            if deployer is not None
            else Deployer.from_config(cfg, engine, editor.store)
        )
        app[DEPLOYER_KEY] = made
        await made.recover()
        made.start()  # this gateway's job worker: any gateway may run a queued job
        yield
        await made.close()

    app.cleanup_ctx.append(lifetime)
    r = app.router
    r.add_get("/api/admin/faq", faq_list)
    r.add_put("/api/admin/faq/{key}", faq_put)
    r.add_get("/api/admin/nlu", nlu_list)
    r.add_post("/api/admin/faq", faq_create)
    r.add_get("/api/admin/review", review_list)
    r.add_post("/api/admin/review/{item_id}", review_decide)
    r.add_get("/api/admin/nlu/{intent:[^{}]+}", nlu_get)
    r.add_put("/api/admin/nlu/{intent:[^{}]+}", nlu_put)
    for kind in ("rules", "stories"):
        get, put, listing = _steps_handlers(kind)
        r.add_get(f"/api/admin/{kind}", listing)
        r.add_get(f"/api/admin/{kind}/{{name}}", get)
        r.add_put(f"/api/admin/{kind}/{{name}}", put)
    r.add_get("/api/admin/audit", audit)
    r.add_post("/api/admin/model/train", train)
    r.add_get("/api/admin/model/jobs/{job_id}", job)
    r.add_get("/api/admin/model", model)
    r.add_get("/api/admin/model/versions/{version}", model_version)
    r.add_post("/api/admin/model/rollback", rollback)
    r.add_post("/api/admin/login", login)
    r.add_post("/api/admin/logout", logout)
    r.add_get("/api/admin/me", me)
