"""How updates reach the gateway from Telegram besides the webhook route: registering the webhook
(``setWebhook``) in webhook mode, and long polling (``getUpdates``) for shops without a public
URL. Both retry with backoff until Telegram answers; neither loses an update."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Bot, Update
from telegram.error import Conflict, TelegramError

from adapters.telegram.inbound import ALLOWED_UPDATES, MalformedUpdate, is_int, parse_update
from adapters.telegram.settings import WEBHOOK_PATH, TelegramSettings

logger = logging.getLogger(__name__)

POLL_LOCK = "telegram-polling"  # the cluster lock of the replica that polls
POLL_TIMEOUT_S = 30  # long polling: Telegram holds getUpdates open this long when idle
# Polling: an update whose handling keeps failing (database down) is retried this often, then
# skipped so one bad update cannot block the customers behind it.
HANDLE_ATTEMPTS = 5

UpdateHandler = Callable[[Update], Awaitable[object]]
Batch = list[tuple[int, Update | None]]  # update id, and the update (None: unreadable)


async def register_webhook(bot: Bot, settings: TelegramSettings) -> None:
    """setWebhook with the public URL and secret token, retried until Telegram takes it."""
    url = settings.public_url + WEBHOOK_PATH
    failures = 0
    while True:
        try:
            await bot.set_webhook(
                url=url, secret_token=settings.secret_token, allowed_updates=ALLOWED_UPDATES
            )
            logger.info("Telegram webhook set to %s", url)
            return
        except TelegramError as exc:
            failures += 1
            delay = settings.backoff(failures)
            logger.warning("setting the Telegram webhook failed (%s); retry in %.1fs", exc, delay)
            await asyncio.sleep(delay)


class LongPoller:
    """Long polling: fetch the updates after the last handled one and handle each.

    The offset only moves past an update once it is stored, so an update is never lost;
    one Telegram delivers again (after a restart) is recognised by its update id.
    """

    def __init__(
        self, bot: Bot, handle: UpdateHandler, settings: TelegramSettings, timeout_s: int
    ) -> None:
        self.bot = bot
        self.handle = handle
        self.settings = settings
        self.timeout_s = timeout_s
        self.offset: int | None = None
        self._webhook_cleared = False
        self._tries: dict[int, int] = {}  # update id -> failed attempts to handle it

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                if not self._webhook_cleared:
                    await self.bot.delete_webhook()  # getUpdates is refused while one is set
                    self._webhook_cleared = True
                batch = await self._fetch()
            except Exception as exc:  # network, 5xx, a bad token: keep the channel alive
                if isinstance(exc, Conflict):
                    self._webhook_cleared = False
                failures += 1
                delay = self.settings.backoff(failures)
                logger.warning("Telegram getUpdates failed (%s); retry in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            await self._handle_batch(batch)

    async def _fetch(self) -> Batch:
        try:
            updates = await self.bot.get_updates(
                offset=self.offset, timeout=self.timeout_s, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError:
            raise
        except Exception as exc:
            # The library could not read one of the updates; read them one by one so that
            # only the unreadable one is skipped instead of polling stalling on it.
            logger.warning("Telegram sent an update the library cannot read: %r", exc)
            return await self._raw_updates()
        return [(u.update_id, u) for u in updates]

    async def _raw_updates(self) -> Batch:
        """The pending updates as JSON, each parsed on its own (None: unreadable, skipped)."""
        params: dict[str, Any] = {"timeout": 0, "allowed_updates": ALLOWED_UPDATES}
        if self.offset is not None:
            params["offset"] = self.offset
        raw = await self.bot.do_api_request("get_updates", api_kwargs=params)
        batch: Batch = []
        for data in raw if isinstance(raw, list) else []:
            if not isinstance(data, dict) or not is_int(data.get("update_id")):
                continue
            try:
                batch.append((data["update_id"], parse_update(data, self.bot)))
            except MalformedUpdate as exc:
                _log_skipped(data["update_id"], exc)
                batch.append((data["update_id"], None))
        return batch

    async def _handle_batch(self, batch: Batch) -> None:
        """Handle the updates in order; stop at one that failed so it is fetched again."""
        for update_id, update in batch:
            try:
                if update is not None:
                    await self.handle(update)
            except MalformedUpdate as exc:
                _log_skipped(update_id, exc)
            except Exception:
                count = self._tries[update_id] = self._tries.get(update_id, 0) + 1
                if count < HANDLE_ATTEMPTS:
                    delay = self.settings.backoff(count)
                    logger.exception(
                        "handling Telegram update %d failed; retry in %.1fs", update_id, delay
                    )
                    await asyncio.sleep(delay)
                    return  # fetch it again: the offset stays before it
                logger.exception("giving up Telegram update %d after %d attempts", update_id, count)
            self._tries.pop(update_id, None)
            self.offset = update_id + 1


def _log_skipped(update_id: int, exc: MalformedUpdate) -> None:
    logger.warning("skipping Telegram update %d: %s", update_id, exc)
