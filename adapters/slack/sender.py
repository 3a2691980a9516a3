"""Delivering outbox messages to Slack: :class:`SlackSender` is the channel's outbox ``Sender``
(``chat.postMessage`` in the customer's thread, without repeating a message an earlier attempt
posted), and Slack API errors become :class:`~bot.core.outbox.DeliveryError` (wait, retry or
give up) for it and for the staff desk."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.render import Rendered, Renderer
from adapters.slack.settings import CHANNEL
from bot.core.outbox import DeliveryError, OutboxItem

logger = logging.getLogger(__name__)

OUTBOX_EVENT_TYPE = "cs_outbox_message"  # message metadata that marks an outbox delivery
# What a Web API call raises: Slack's refusal, or Slack not reached.
SLACK_CALL_ERRORS = (SlackApiError, aiohttp.ClientError, TimeoutError)
# Errors retrying cannot fix: a wrong channel, a revoked token, a message Slack will never take.
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "token_expired",
        "no_permission",
        "missing_scope",
        "restricted_action",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_metadata_format",
        "invalid_arguments",
        "user_not_found",
        "cannot_dm_bot",
        "team_access_not_granted",
    }
)
# Slack could not fetch an image of the message; it is sent again with the images as links.
IMAGE_ERRORS = frozenset({"invalid_blocks"})


def delivery_error(exc: SlackApiError) -> DeliveryError:
    """A Slack API error as the outbox's :class:`DeliveryError` (429: Slack's own wait)."""
    response = exc.response
    status = getattr(response, "status_code", 0)
    error = str(response.get("error") or f"HTTP {status}") if response is not None else "unknown"
    if status == 429 or error == "ratelimited":
        headers = getattr(response, "headers", {}) or {}
        raw = headers.get("Retry-After") or headers.get("retry-after")
        try:
            retry_after = float(raw) if raw is not None else None
        except ValueError:
            retry_after = None
        return DeliveryError(f"Slack rate limit ({error})", retry_after=retry_after)
    if error in PERMANENT_ERRORS and status < 500:
        return DeliveryError(f"Slack refused the message: {error}", permanent=True)
    if error.startswith("HTTP"):
        return DeliveryError(f"Slack API error: {error}")
    return DeliveryError(f"Slack API error: {error} (HTTP {status})")


@contextmanager
def delivery_errors() -> Iterator[None]:
    """Web API calls inside raise Slack's refusals and network errors as DeliveryError."""
    try:
        yield
    except SlackApiError as exc:
        raise delivery_error(exc) from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise DeliveryError(f"Slack API unreachable: {exc!r}") from exc


class SlackSender:
    """The ``slack`` outbox Sender: one ``chat.postMessage`` per outbox message."""

    channel = CHANNEL

    def __init__(self, client: AsyncWebClient, renderer: Renderer) -> None:
        self.client = client
        self.renderer = renderer

    async def send(self, item: OutboxItem) -> None:
        """Post one outbox message in the customer's thread (``chat.postMessage``)."""
        channel = item.address.get("channel")
        thread_ts = item.address.get("thread_ts")
        if not isinstance(channel, str) or not channel:
            raise DeliveryError(
                f"outbox #{item.id} has no Slack channel in its address {dict(item.address)!r}",
                permanent=True,
            )
        thread = thread_ts if isinstance(thread_ts, str) and thread_ts else None
        rendered = self.renderer.render(item.message, item.lang)
        if not rendered.blocks and not rendered.text:
            logger.info("outbox #%d has nothing Slack can show; skipped", item.id)
            return
        if item.attempts > 0 and await self._already_posted(item, channel, thread):
            logger.info("outbox #%d was posted before its answer was lost; not sent again", item.id)
            return
        with delivery_errors():
            try:
                await self._post(item, channel, thread, rendered)
            except SlackApiError as exc:
                if not (rendered.has_images and exc.response.get("error") in IMAGE_ERRORS):
                    raise
                # Slack could not fetch a picture (a private public_url): links instead.
                logger.warning("outbox #%d: Slack refused an image; sending links", item.id)
                plain = self.renderer.render(item.message, item.lang, images=False)
                await self._post(item, channel, thread, plain)

    async def _post(
        self, item: OutboxItem, channel: str, thread_ts: str | None, rendered: Rendered
    ) -> None:
        await self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=rendered.text,
            blocks=list(rendered.blocks) or None,
            unfurl_links=False,
            unfurl_media=False,
            # Marks the message so a retry can see it was posted (see _already_posted).
            metadata={"event_type": OUTBOX_EVENT_TYPE, "event_payload": {"outbox_id": item.id}},
        )

    async def _already_posted(self, item: OutboxItem, channel: str, thread_ts: str | None) -> bool:
        """Whether an earlier attempt posted ``item`` although its answer never came back (a
        timeout), looked up by the message metadata in the thread or channel."""
        oldest = f"{item.created_at.timestamp() - 1:.6f}"
        try:
            with delivery_errors():
                if thread_ts is not None:
                    response = await self.client.conversations_replies(
                        channel=channel,
                        ts=thread_ts,
                        oldest=oldest,
                        include_all_metadata=True,
                        limit=200,
                    )
                else:
                    response = await self.client.conversations_history(
                        channel=channel, oldest=oldest, include_all_metadata=True, limit=200
                    )
        except DeliveryError as error:
            if error.retry_after is not None or not error.permanent:
                raise
            logger.warning(
                "cannot look for an earlier delivery of outbox #%d: %s", item.id, error.__cause__
            )
            return False
        for message in response.get("messages") or []:
            metadata = message.get("metadata") or {}
            payload = metadata.get("event_payload") or {}
            if (
                metadata.get("event_type") == OUTBOX_EVENT_TYPE
                and payload.get("outbox_id") == item.id
            ):
                return True
        return False
