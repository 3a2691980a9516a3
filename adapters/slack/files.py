"""Files people send in Slack: :class:`SlackFiles` downloads their photos (customers' and staff
replies') into the media store, sending the bot token only to Slack's own file host."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from adapters.slack.settings import SlackSettings
from bot.core.media import MediaError, MediaStore
from bot.core.message import Attachment

logger = logging.getLogger(__name__)


class SlackFiles:
    """Downloads Slack files while the adapter runs (between :meth:`start` and :meth:`stop`)."""

    def __init__(self, settings: SlackSettings) -> None:
        self.settings = settings
        self._session: aiohttp.ClientSession | None = None
        self._media: MediaStore | None = None

    def start(self, session: aiohttp.ClientSession, media: MediaStore) -> None:
        self._session = session
        self._media = media

    def stop(self) -> None:
        self._session = None
        self._media = None

    async def download_all(self, files: Sequence[Mapping[str, Any]]) -> tuple[Attachment, ...]:
        """The photos among ``files``, in order; what is not kept is left out."""
        attachments = []
        for file in files:
            attachment = await self.download_image(file)
            if attachment is not None:
                attachments.append(attachment)
        return tuple(attachments)

    async def download_image(self, file: Mapping[str, Any]) -> Attachment | None:
        """A photo into the media store; None for what it does not keep.

        The bot token goes only to Slack's file host (or the configured API host). A server
        error raises, so the update is not acknowledged and Slack sends it again.
        """
        if self._session is None or self._media is None:
            raise RuntimeError("the Slack adapter is not started")
        name = str(file.get("name") or file.get("id") or "file")
        url = self._photo_url(file, name)
        if url is None:
            return None
        data = await self._fetch(self._session, url, name)
        if data is None:
            return None
        try:
            path, mime = await asyncio.to_thread(self._media.save, data)
        except MediaError as exc:
            logger.info("Slack file %r not kept: %s", name, exc)
            return None
        return Attachment(kind="image", url=path, mime_type=mime, name=name[:200])

    def _photo_url(self, file: Mapping[str, Any], name: str) -> str | None:
        """The download URL of a photo the bot keeps; None (logged) for any other file."""
        mimetype = str(file.get("mimetype") or "")
        url = file.get("url_private_download") or file.get("url_private")
        size = file.get("size")
        max_bytes = self.settings.max_media_bytes
        if not mimetype.startswith("image/") or not isinstance(url, str):
            logger.info("Slack file %r (%s) is not a photo; not kept", name, mimetype)
            return None
        if isinstance(size, int) and size > max_bytes:
            logger.info("Slack file %r is %d bytes, over %d; not kept", name, size, max_bytes)
            return None
        if not self._is_slack_file_url(url):
            logger.warning("Slack file URL on an unexpected host refused: %r", url)
            return None
        return url

    async def _fetch(self, session: aiohttp.ClientSession, url: str, name: str) -> bytes | None:
        """The file's bytes (at most one over the limit, for the media store to refuse)."""
        headers = {"Authorization": f"Bearer {self.settings.bot_token}"}
        async with session.get(url, headers=headers) as response:
            if response.status >= 500:
                raise aiohttp.ClientResponseError(
                    response.request_info, (), status=response.status, message="file download"
                )
            if response.status != 200:
                logger.warning("Slack file %r: HTTP %d; not kept", name, response.status)
                return None
            return await response.content.read(self.settings.max_media_bytes + 1)

    def _is_slack_file_url(self, url: str) -> bool:
        parts = urlsplit(url)
        allowed = {"files.slack.com", urlsplit(self.settings.api_base_url).netloc}
        return parts.scheme in ("https", "http") and parts.netloc in allowed
