"""Async client for the Rasa server's REST channel and the health of Rasa and the action server.

The HTTP session is created in :meth:`RasaClient.start` (called from the gateway's start-up
hook) or injected, never at import time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, NotRequired, TypedDict, TypeVar
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot.core.message import OutgoingMessage, messages_from_rasa
from bot.observability import metrics

logger = logging.getLogger(__name__)
T = TypeVar("T")

WEBHOOK_PATH = "/webhooks/rest/webhook"
# The project's REST channel (rasa_project/components/shop_rest.py) names the intent NLU read in
# this header; the intents of recent messages are kept per conversation until asked for.
INTENT_HEADER = "X-Shop-Intent"
REMEMBERED_INTENTS = 4096
ACTIONS_DOWN_ERROR = "the action server is down"  # how ActionServerUnavailable's text starts


class RasaMetadata(TypedDict):
    """What the gateway tells the action server about each message (``tracker.latest_message``)."""

    channel: str
    external_id: str
    customer_id: str | None
    language: Literal["zh", "en"]
    # The inbox row of the message: lets a retry find out whether Rasa already handled it.
    inbox_id: NotRequired[int]
    # One of several requests in the message (bot.core.multi_intent): its index and how many.
    part: NotRequired[int]
    parts: NotRequired[int]
    attachments: NotRequired[list[dict[str, Any]]]


class RasaClientError(Exception):
    """Rasa did not give a usable answer."""


class RasaUnavailable(RasaClientError):
    """Rasa is unreachable, timed out or answered with a server error: retry later."""


class RasaUnreachable(RasaUnavailable):
    """No connection to a Rasa server at all (nothing was sent): the next one may be tried."""


class ActionServerUnavailable(RasaUnavailable):
    """The action server is down: Rasa answers without it (an empty or partial answer, the
    error only in Rasa's log), so the answer must not be used; retry later."""


class RasaBadResponse(RasaClientError):
    """Rasa answered, but not with what its REST channel should send (a JSON list)."""


@dataclass(frozen=True)
class ServiceHealth:
    name: Literal["rasa", "actions"]
    ok: bool
    detail: str  # "ok" or why not, for the health endpoint and the log


# A health check of an action server (its URL) started ahead of the message it is for.
EarlyCheck = tuple[str, "asyncio.Future[ServiceHealth]"]


def _intent_name(parse_data: Any) -> str | None:
    """The intent name in a message's parse data, or None."""
    intent = parse_data.get("intent") if isinstance(parse_data, dict) else None
    name = intent.get("name") if isinstance(intent, dict) else None
    return name if isinstance(name, str) and name else None


class RasaClient:
    """Sends customer messages to Rasa's REST channel and checks Rasa and the action server.

    ``fallbacks``: more (Rasa URL, its action server URL) pairs sharing the trackers (the scale
    profile). A call goes to the current pair; when its Rasa cannot be reached, to the next
    ones, and the first that answers becomes current. A Rasa that failed otherwise (timeout,
    5xx) is left for the next call; a pair whose action server is down is passed over by
    :meth:`require_actions`.
    """

    def __init__(
        self,
        rasa_url: str,
        actions_url: str,
        *,
        timeout_s: float = 30.0,
        health_timeout_s: float = 3.0,
        session: aiohttp.ClientSession | None = None,
        auth_token: str | None = None,
        fallbacks: Sequence[tuple[str, str]] = (),
    ) -> None:
        if timeout_s <= 0 or health_timeout_s <= 0:
            raise ValueError(
                f"timeouts must be positive, got timeout_s={timeout_s}, "
                f"health_timeout_s={health_timeout_s}"
            )
        pairs = [(rasa_url, actions_url), *fallbacks]
        for pair in pairs:
            for name, url in zip(("rasa_url", "actions_url"), pair, strict=True):
                if not url.startswith(("http://", "https://")):
                    raise ValueError(f"{name} must be an http(s) URL, got {url!r}")
        self.endpoints = [(r.rstrip("/"), a.rstrip("/")) for r, a in pairs]
        self._current = 0
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.health_timeout = aiohttp.ClientTimeout(total=health_timeout_s)
        self._session = session
        self._owns_session = session is None
        self.auth_token = auth_token
        self._intents: OrderedDict[str, str] = OrderedDict()

    def _remember_intent(self, sender: str, intent: str | None) -> None:
        self._intents.pop(sender, None)
        if intent:
            self._intents[sender] = intent
            while len(self._intents) > REMEMBERED_INTENTS:
                self._intents.popitem(last=False)

    async def start(self) -> None:
        """Create the HTTP session unless one was injected (idempotent)."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
            self._owns_session = True

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> RasaClient:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def rasa_url(self) -> str:
        """The current Rasa server."""
        return self.endpoints[self._current][0]

    @property
    def actions_url(self) -> str:
        """The action server the current Rasa server calls."""
        return self.endpoints[self._current][1]

    async def _failover(self, call: Callable[[str], Awaitable[T]]) -> T:
        """``call(rasa_url)`` on the current Rasa, then on the next ones while it cannot be
        reached; the one that answered becomes current. Another failure moves the next
        call on to the next Rasa and is raised."""
        first = self._current
        unreachable: RasaUnreachable | None = None
        for offset in range(len(self.endpoints)):
            index = (first + offset) % len(self.endpoints)
            try:
                result = await call(self.endpoints[index][0])
            except RasaUnreachable as exc:
                unreachable = exc
                continue
            except RasaUnavailable:
                self._current = (index + 1) % len(self.endpoints)
                raise
            if index != self._current:
                logger.warning("Rasa: switched to %s", self.endpoints[index][0])
            self._current = index
            return result
        assert unreachable is not None
        raise unreachable

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("RasaClient.start() must be awaited before use")
        return self._session

    @metrics.timed_rasa_call
    async def send(
        self, sender: str, message: str, metadata: RasaMetadata
    ) -> list[OutgoingMessage]:
        """Post one message to the REST channel and return the bot's replies.

        Raises :class:`RasaUnavailable` when Rasa cannot be reached, times out or answers 5xx,
        and :class:`RasaBadResponse` when its answer is not the REST channel's JSON list.
        """

        async def attempt(base: str) -> list[OutgoingMessage]:
            replies = await self._send(base, sender, message, metadata)
            if not replies:
                # Maybe the custom action failed: ask the action server of the Rasa that
                # answered (the current pair may have changed meanwhile).
                actions_url = dict(self.endpoints)[base]
                health = await self._check("actions", actions_url + "/health")
                if not health.ok:
                    raise ActionServerUnavailable(
                        f"{ACTIONS_DOWN_ERROR} ({health.detail}); Rasa at {base} answered "
                        "without its custom actions"
                    )
            return replies

        return await self._failover(attempt)

    async def _send(
        self, base: str, sender: str, message: str, metadata: RasaMetadata
    ) -> list[OutgoingMessage]:
        url = base + WEBHOOK_PATH
        self._intents.pop(sender, None)  # a failed send leaves no earlier message's intent
        body = {"sender": sender, "message": message, "metadata": dict(metadata)}
        try:
            async with self.session.post(url, json=body, timeout=self.timeout) as resp:
                raw = await resp.read()
                status = resp.status
                intent = resp.headers.get(INTENT_HEADER)
        except TimeoutError:
            raise RasaUnavailable(
                f"Rasa did not answer within {self.timeout.total:g}s at {url}; "
                "check that the Rasa server is running and not overloaded"
            ) from None
        except aiohttp.ClientConnectorError as exc:
            raise RasaUnreachable(
                f"cannot reach Rasa at {url}: {exc}; start it (`make run`) or set RASA_URL"
            ) from exc
        except aiohttp.ClientError as exc:
            raise RasaUnavailable(f"Rasa at {url} failed: {exc!r}") from exc
        if status >= 500:
            raise RasaUnavailable(f"Rasa answered {status} at {url}: {_snippet(raw)}")
        if status != 200:
            raise RasaBadResponse(f"Rasa answered {status} at {url}: {_snippet(raw)}")
        self._remember_intent(sender, intent if status == 200 else None)
        try:
            data = json.loads(raw)
            return messages_from_rasa(data)
        except ValueError as exc:  # json.JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise RasaBadResponse(
                f"Rasa's answer at {url} is not the REST channel's JSON list: {exc}; "
                f"received {_snippet(raw)}"
            ) from exc

    def check_actions_early(self) -> EarlyCheck:
        """Start the current action server's health check now, for this message's
        :meth:`require_actions`: its round trip overlaps the gateway's own work before the
        message is sent (the check still answers before Rasa gets the message)."""
        return self.actions_url, asyncio.ensure_future(self.check_actions())

    async def require_actions(self, early: EarlyCheck | None = None) -> None:
        """Raise :class:`ActionServerUnavailable` unless the action server answers its health
        check. Rasa itself does not tell: with the action endpoint down it answers 200 with
        whatever came before the custom action (often nothing) and logs the error.
        ``early``: the check :meth:`check_actions_early` started for this message (used when
        it checked the current action server)."""
        if early is not None and early[0] == self.actions_url:
            health = await early[1]
        else:
            health = await self.check_actions()
        for index in range(len(self.endpoints)):
            if health.ok or index == self._current:
                continue
            other = await self._check("actions", self.endpoints[index][1] + "/health")
            if other.ok:
                logger.warning(
                    "%s; switched to Rasa %s and its actions", health.detail, self.endpoints[index]
                )
                self._current = index
                return
        if not health.ok:
            raise ActionServerUnavailable(
                f"{ACTIONS_DOWN_ERROR} ({health.detail}); Rasa cannot run custom actions"
            )

    async def replies_for(
        self, sender: str, inbox_id: int, part: int | None = None
    ) -> list[OutgoingMessage] | None:
        """The bot's answer to an earlier message if Rasa already handled it, else None.

        Rasa keeps the gateway's metadata on each user event, so a message sent before the
        gateway stopped (or before a timeout) is found by its ``inbox_id`` and not sent twice.
        Raises :class:`RasaUnavailable` when the tracker cannot be read.
        """
        url, status, raw = await self._tracker_call(
            sender, "", "AFTER_RESTART", doing="read the tracker"
        )
        if status != 200:
            raise RasaBadResponse(f"Rasa answered {status} at {url}: {_snippet(raw)}")
        try:
            events = json.loads(raw).get("events") or []
        except (ValueError, AttributeError) as exc:
            raise RasaBadResponse(f"unusable tracker from {url}: {exc}") from exc
        return replies_after(events, inbox_id, part)

    async def latest_intent(self, sender: str) -> str | None:
        """The intent Rasa read in the conversation's latest message, or None when it cannot
        tell. Never raises: it only informs the emotion-aware replies, which go on without it.

        The intent comes from the header of the answer to the message this client sent last
        for ``sender`` (taken once); else, as from a Rasa without the project's channel, from
        the tracker's ``latest_message`` (a second tracker load in Rasa)."""
        cached = self._intents.pop(sender, None)
        if cached is not None:
            return cached
        tracker = await self._tracker_or_none(sender, "NONE", "read the latest intent")
        if tracker is None:
            return None
        latest = tracker.get("latest_message")
        if not isinstance(latest, dict):  # an older Rasa, or a stand-in: the last user event
            users = [e for e in tracker.get("events") or [] if isinstance(e, dict)]
            users = [e for e in users if e.get("event") == "user"]
            latest = users[-1].get("parse_data") if users else None
        return _intent_name(latest)

    async def unclear_run(self, sender: str, intent: str, *, at_most: int) -> int:
        """How many of the conversation's latest user messages in a row Rasa read as
        ``intent`` (its fallback), counted from the tracker's applied events, at most
        ``at_most``. Called after such a message, so at least 1; never raises (1 when the
        tracker cannot be read)."""
        tracker = await self._tracker_or_none(sender, "APPLIED", "count the unclear messages")
        events = tracker.get("events") if tracker is not None else None
        run = 0
        for event in reversed(events if isinstance(events, list) else []):
            if not isinstance(event, dict) or event.get("event") != "user":
                continue
            if _intent_name(event.get("parse_data")) != intent:
                break
            run += 1
            if run >= at_most:
                break
        return max(run, 1)

    async def _tracker_or_none(
        self, sender: str, include_events: str, doing: str
    ) -> dict[str, Any] | None:
        """The conversation's tracker as JSON, or None when Rasa cannot give it (for reads
        that only inform and never raise)."""
        try:
            _url, status, raw = await self._tracker_call(sender, "", include_events, doing=doing)
            tracker = json.loads(raw) if status == 200 else None
        except (RasaClientError, ValueError):
            return None
        return tracker if isinstance(tracker, dict) else None

    async def pause(self, sender: str) -> None:
        """Pause the conversation: Rasa keeps logging its messages but stops answering
        (while a person has it). Raises like :meth:`append_event`."""
        await self.append_event(sender, {"event": "pause"})

    async def resume(self, sender: str) -> None:
        """Resume a paused conversation: Rasa answers its messages again."""
        await self.append_event(sender, {"event": "resume"})

    async def append_event(self, sender: str, event: dict[str, Any]) -> None:
        """Append one event to the conversation's tracker (``POST .../tracker/events``).

        Raises :class:`RasaUnavailable` when Rasa cannot be reached or answers 5xx, and
        :class:`RasaBadResponse` when it refuses the event (4xx, e.g. a wrong auth token).
        """
        url, status, raw = await self._tracker_call(
            sender, "/events", "NONE", doing=f"append {event}", event=event
        )
        if status != 200:
            raise RasaBadResponse(
                f"Rasa refused the event {event} with {status} at {url}: {_snippet(raw)}; "
                "check RASA_AUTH_TOKEN"
            )

    async def _tracker_call(
        self,
        sender: str,
        path: str,
        include_events: str,
        *,
        doing: str,
        event: dict[str, Any] | None = None,
    ) -> tuple[str, int, bytes]:
        """GET the conversation's ``tracker<path>``, or POST ``event`` to it: its URL, the
        status and the body of an answer below 500.

        Raises :class:`RasaUnavailable` when Rasa cannot be reached or answers 5xx (``doing``
        says what failed).
        """
        return await self._failover(
            lambda base: self._tracker_at(base, sender, path, include_events, doing, event)
        )

    async def _tracker_at(
        self,
        base: str,
        sender: str,
        path: str,
        include_events: str,
        doing: str,
        event: dict[str, Any] | None,
    ) -> tuple[str, int, bytes]:
        url = f"{base}/conversations/{quote(sender, safe='')}/tracker{path}"
        params = {"include_events": include_events}
        if self.auth_token:
            params["token"] = self.auth_token
        try:
            if event is None:
                request = self.session.get(url, params=params, timeout=self.timeout)
            else:
                request = self.session.post(url, json=event, params=params, timeout=self.timeout)
            async with request as resp:
                raw = await resp.read()
                status = resp.status
        except aiohttp.ClientConnectorError as exc:
            raise RasaUnreachable(f"cannot {doing} at {url}: {exc!r}") from exc
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise RasaUnavailable(f"cannot {doing} at {url}: {exc!r}") from exc
        if status >= 500:
            raise RasaUnavailable(f"Rasa answered {status} at {url}: {_snippet(raw)}")
        return url, status, raw

    async def parse(self, text: str) -> dict[str, Any]:
        """How the running model reads ``text``: Rasa's ``POST /model/parse`` answer (intent,
        intent_ranking, entities, ...). Raises :class:`RasaUnavailable` when no Rasa answers,
        :class:`RasaBadResponse` for an answer that is not a JSON object."""

        async def attempt(base: str) -> dict[str, Any]:
            url = base + "/model/parse"
            params = {"token": self.auth_token} if self.auth_token else {}
            try:
                async with self.session.post(
                    url, json={"text": text}, params=params, timeout=self.timeout
                ) as resp:
                    raw = await resp.read()
                    status = resp.status
            except aiohttp.ClientConnectorError as exc:
                raise RasaUnreachable(f"cannot reach Rasa at {url}: {exc}") from exc
            except (TimeoutError, aiohttp.ClientError) as exc:
                raise RasaUnavailable(f"Rasa at {url} failed: {exc!r}") from exc
            if status >= 500:
                raise RasaUnavailable(f"Rasa answered {status} at {url}: {_snippet(raw)}")
            try:
                data = json.loads(raw) if status == 200 else None
            except ValueError:
                data = None
            if not isinstance(data, dict):
                raise RasaBadResponse(f"Rasa answered {status} at {url}: {_snippet(raw)}")
            return data

        return await self._failover(attempt)

    async def check_rasa(self) -> ServiceHealth:
        """Rasa answers ``GET /`` with "Hello from Rasa" when its server is up."""
        return await self._check("rasa", self.rasa_url + "/")

    async def check_actions(self) -> ServiceHealth:
        """The rasa-sdk action server answers ``GET /health`` with ``{"status": "ok"}``."""
        return await self._check("actions", self.actions_url + "/health")

    async def health(self) -> tuple[ServiceHealth, ServiceHealth]:
        rasa, actions = await asyncio.gather(self.check_rasa(), self.check_actions())
        return rasa, actions

    async def _check(self, name: Literal["rasa", "actions"], url: str) -> ServiceHealth:
        try:
            async with self.session.get(url, timeout=self.health_timeout) as resp:
                if resp.status == 200:
                    return ServiceHealth(name, True, "ok")
                return ServiceHealth(name, False, f"{url} answered {resp.status}")
        except TimeoutError:
            return ServiceHealth(
                name, False, f"{url} did not answer within {self.health_timeout.total:g}s"
            )
        except aiohttp.ClientError as exc:
            return ServiceHealth(name, False, f"cannot reach {url}: {exc}")


# Where the gateway keeps its client (set in its start-up hook; the admin API's NLU preview
# reads it too).
RASA_KEY = web.AppKey("rasa", RasaClient)


def replies_after(
    events: list[Any], inbox_id: int, part: int | None = None
) -> list[OutgoingMessage] | None:
    """The bot messages that followed the user event carrying ``inbox_id`` (and, for one of
    several requests in a message, its ``part`` number) (None if absent)."""
    start = None
    for i, event in enumerate(events):
        if not isinstance(event, dict) or event.get("event") != "user":
            continue
        metadata = event.get("metadata")
        if (
            isinstance(metadata, dict)
            and metadata.get("inbox_id") == inbox_id
            and (part is None or metadata.get("part", 0) == part)
        ):
            start = i
    if start is None:
        return None
    replies: list[OutgoingMessage] = []
    for event in events[start + 1 :]:
        if not isinstance(event, dict):
            continue
        if event.get("event") == "user":
            break
        if event.get("event") == "bot":
            raw_data = event.get("data")
            data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
            message = OutgoingMessage.from_rasa({"text": event.get("text"), **data})
            if not message.is_empty:
                replies.append(message)
    return replies


def _snippet(raw: bytes, limit: int = 200) -> str:
    text = raw.decode("utf-8", errors="replace")
    return text if len(text) <= limit else text[:limit] + "..."
