"""JSON errors, bounded body reading and field validation shared by the gateway's handlers
(the gateway, the channel adapters and the admin API).

Every error leaves the gateway as ``{"error": "<what was wrong and what was expected>"}`` plus
``"field"`` when one input field is to blame; nothing a client sends produces a 500.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncEngine

logger = logging.getLogger(__name__)

# The app's database, set by the gateway's start-up hook; the one app key handlers outside the
# gateway (the admin API) read.
ENGINE_KEY = web.AppKey("engine", AsyncEngine)

MAX_BODY_BYTES = 64 * 1024

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

dumps = partial(json.dumps, ensure_ascii=False)


class RequestError(Exception):
    """A client mistake; becomes a JSON error response with ``status``."""

    def __init__(self, status: int, error: str, field: str | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.field = field


def json_response(data: Any, *, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


async def write_now(request: web.Request, response: web.StreamResponse) -> str | None:
    """Write ``response`` to the client at once; None when it was written, else why not (the
    client closed the connection). For answers that count as delivered only once written:
    the caller returns ``response`` either way (aiohttp sends nothing more)."""
    transport = request.transport
    if transport is None or transport.is_closing():
        return "the client closed the connection before the answer was ready"
    try:
        await response.prepare(request)
        await response.write_eof()
    except (ConnectionError, RuntimeError) as exc:
        return f"writing the response failed: {exc!r}"
    return None


def error_response(status: int, error: str, field: str | None = None, **extra: Any) -> web.Response:
    body: dict[str, Any] = {"error": error}
    if field is not None:
        body["field"] = field
    body.update(extra)
    return json_response(body, status=status)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn client errors and aiohttp's HTTP errors into JSON; log and hide anything else."""
    try:
        return await handler(request)
    except RequestError as exc:
        return error_response(exc.status, exc.error, exc.field)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = error_response(exc.status, _http_error_text(request, exc))
        if allow := exc.headers.get("Allow"):
            response.headers["Allow"] = allow
        return response
    except Exception:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return error_response(500, "internal error in the gateway; the details are in its log")


def _http_error_text(request: web.Request, exc: web.HTTPException) -> str:
    if isinstance(exc, web.HTTPNotFound):
        return f"nothing at {request.method} {request.path}"
    if isinstance(exc, web.HTTPMethodNotAllowed):
        allowed = ", ".join(sorted(exc.allowed_methods))
        return f"{request.method} is not allowed on {request.path}; use {allowed}"
    if isinstance(exc, web.HTTPRequestEntityTooLarge):
        return f"the request body is too large; the limit is {MAX_BODY_BYTES} bytes"
    return exc.reason


async def optional_flag(request: web.Request, name: str, *, default: bool) -> bool:
    """The one boolean field ``name`` of an optional JSON body (``{"name"?: bool}``): no body
    gives ``default``; an unknown field or a non-boolean value is a 400 naming it."""
    if not request.can_read_body:
        return default
    body = await read_json_object(request)
    unknown = sorted(set(body) - {name})
    if unknown:
        raise RequestError(400, f'unknown field(s) {unknown}; send {{"{name}"?: bool}}', unknown[0])
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise RequestError(400, f"`{name}` must be true or false, got {value!r}", name)
    return value


async def read_json_object(
    request: web.Request, *, max_bytes: int = MAX_BODY_BYTES
) -> dict[str, Any]:
    """The request body as a JSON object, or a :class:`RequestError` saying what is wrong."""
    if request.content_type != "application/json":
        got = request.headers.get("Content-Type", "none")
        raise RequestError(
            400, f"Content-Type must be application/json, got {got!r}", "Content-Type"
        )
    too_large = RequestError(
        413, f"the request body is larger than the limit of {max_bytes} bytes", "body"
    )
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.read(min(max_bytes + 1, 64 * 1024)):
        size += len(chunk)
        if size > max_bytes:
            raise too_large
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise RequestError(
            400, 'the body is empty; send a JSON object like {"sender_id": ...}', "body"
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise RequestError(400, "the body is not UTF-8 encoded JSON", "body") from None
    except (ValueError, RecursionError) as exc:
        raise RequestError(400, f"the body is not valid JSON: {exc}", "body") from None
    if not isinstance(data, dict):
        raise RequestError(
            400, f"the body must be a JSON object, got a JSON {_json_type(data)}", "body"
        )
    return data


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def optional_string(
    body: Mapping[str, Any],
    name: str,
    *,
    max_length: int,
    pattern: re.Pattern[str] | None = None,
    expected: str = "",
) -> str | None:
    """``body[name]`` if present: a string of 1..max_length characters matching ``pattern``.

    ``expected`` describes the allowed form for the error message.
    """
    if name not in body or body[name] is None:
        return None
    value = body[name]
    hint = f" ({expected})" if expected else ""
    if not isinstance(value, str):
        raise RequestError(400, f"`{name}` must be a string{hint}, got {_json_type(value)}", name)
    if not value:
        raise RequestError(400, f"`{name}` must not be empty{hint}", name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RequestError(
            400, f"`{name}` is not valid Unicode (it holds a lone surrogate escape)", name
        ) from None
    if len(value) > max_length:
        raise RequestError(
            400, f"`{name}` is {len(value)} characters long; at most {max_length} allowed", name
        )
    if pattern is not None and not pattern.fullmatch(value):
        raise RequestError(400, f"`{name}` has an invalid format{hint}, got {value!r}", name)
    return value
