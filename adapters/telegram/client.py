"""The Bot API client: one python-telegram-bot :class:`~telegram.Bot` per running gateway,
created on first use, with the token check Telegram answered and its shutdown."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from adapters.telegram.settings import TelegramSettings

logger = logging.getLogger(__name__)


class BotClient:
    """Creates the :class:`Bot` lazily: the outbox worker may need it before the adapter's
    start-up hook ran. A token Telegram rejects is remembered for the start-up hook to report."""

    def __init__(self, settings: TelegramSettings) -> None:
        self.settings = settings
        self.token_rejected: InvalidToken | None = None
        self._bot: Bot | None = None
        self._lock = asyncio.Lock()

    async def get(self) -> Bot:
        """The Bot API client, initialised (or at least tried) once."""
        async with self._lock:
            if self._bot is None:
                bot = self._new_bot()
                try:
                    await bot.initialize()  # opens the HTTP clients, then checks the token
                except InvalidToken as exc:
                    self.token_rejected = exc
                except TelegramError as exc:
                    logger.warning("Telegram is not reachable yet (%s); will keep trying", exc)
                self._bot = bot
            return self._bot

    async def close(self, bot: Bot) -> None:
        """Shut ``bot`` down; the next :meth:`get` creates a new one."""
        self._bot = None
        await bot.shutdown()

    def _new_bot(self) -> Bot:
        root = self.settings.api_root
        return Bot(
            self.settings.token,
            base_url=f"{root}/bot",
            base_file_url=f"{root}/file/bot",
            request=HTTPXRequest(connection_pool_size=16, pool_timeout=10.0),
            get_updates_request=HTTPXRequest(connection_pool_size=1),
        )
