"""Telegram channel: python-telegram-bot 22 against the Bot API (or a local Bot API server).

Updates come in by webhook (``POST /webhooks/telegram``, verified by the secret token Telegram
sends in ``X-Telegram-Bot-Api-Secret-Token``) or by long polling (``getUpdates``) for shops
without a public URL. Each update is stored once (dedupe key ``update:<update_id>``) and answered
through the outbox: texts split at Telegram's limit, buttons as an inline keyboard whose presses
come back as payloads, images and product cards as photos.

Only private chats are served: the conversation is the customer's, and order details must not
be posted into a group.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import warnings
from collections.abc import AsyncIterator, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeGuard

from aiohttp import web
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    PhotoSize,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    RetryAfter,
    TelegramError,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.config import Config, ConfigError
from bot.core import store
from bot.core.language import Lang
from bot.core.media import MediaError
from bot.core.message import Attachment, Button, IncomingMessage, OutgoingMessage, ProductCard
from bot.core.outbox import DeliveryError, NewMessage, OutboxItem
from bot.core.pipeline import Pipeline
from bot.core.render import split_text
from bot.gateway.context import ENGINE_KEY, MEDIA_KEY, PIPELINE_KEY, SENDERS_KEY
from bot.gateway.http import error_response, json_response, read_json_object
from bot.services.catalog import get_product
from bot.shop.images import render_product_png
from bot.storage.schema import telegram_callbacks

logger = logging.getLogger(__name__)

Mode = Literal["webhook", "polling"]
Outcome = Literal["queued", "duplicate", "answered", "ignored"]

CHANNEL = "telegram"
WEBHOOK_PATH = "/webhooks/telegram"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_API_ROOT = "https://api.telegram.org"
# Telegram's rules for the webhook secret token and its API limits.
SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
MAX_TEXT_CHARS = 4096
MAX_CAPTION_CHARS = 1024
MAX_CALLBACK_BYTES = 64
# Only these update kinds are asked for; anything else that still arrives is ignored.
ALLOWED_UPDATES = ("message", "callback_query")
MAX_UPDATE_BYTES = 1_000_000
POLL_TIMEOUT_S = 30  # long polling: Telegram holds getUpdates open this long when idle
# Polling: an update whose handling keeps failing (database down) is retried this often, then
# skipped so one bad update cannot block the customers behind it.
HANDLE_ATTEMPTS = 5
SEND_DRAIN_S = 5.0  # at shutdown, how long messages being sent may take to finish
# "/start", "/help@ShopBot", "/start ref42": a command is a leading /word, optionally @bot.
COMMAND_RE = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s|$)")
PRODUCT_IMAGE_RE = re.compile(r"^/products/([A-Za-z0-9_-]{1,32})\.(?:svg|png)$")
MEDIA_PREFIX = "/media/"

CHOOSE_TEXT: dict[Lang, str] = {"zh": "请选择：", "en": "Please choose:"}
DETAILS_TEXT: dict[Lang, str] = {"zh": "查看详情", "en": "Details"}
OUT_OF_STOCK_TEXT: dict[Lang, str] = {"zh": "暂时缺货", "en": "Out of stock"}
EXPIRED_BUTTON_TEXT: dict[Lang, str] = {
    "zh": "这个按钮已失效，请直接发消息告诉我您需要什么。",
    "en": "This button has expired; please just tell me what you need.",
}
HELP_TEXT: dict[Lang, str] = {
    "zh": (
        "我是{shop_zh}的智能客服，直接发消息就可以：查询或取消订单（例如“订单 260315004217 "
        "到哪了”）、咨询商品、了解配送、支付、退换货和发票。也可以发照片给我。"
        "需要人工客服时请输入“人工”。\n/start 开始对话 · /help 查看帮助"
    ),
    "en": (
        "I'm the {shop} assistant. Just write to me: track or cancel an order (e.g. "
        '"where is order 260315004217"), ask about products, delivery, payment, returns and '
        'invoices. You can send me photos too. Type "human" to reach our staff.\n'
        "/start – start the conversation · /help – this help"
    ),
}


# --- settings ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TelegramSettings:
    """The Telegram part of the configuration, checked once at start-up."""

    token: str
    secret_token: str | None
    mode: Mode
    api_root: str  # the Bot API server, without "/bot<token>"
    public_url: str  # the gateway's public base URL ("" when it has none)
    max_text_chars: int
    retry_base_s: float
    retry_max_s: float

    @classmethod
    def from_config(cls, cfg: Config) -> TelegramSettings:
        """Validate; a :class:`ConfigError` names the setting or variable to fix."""
        token = cfg.secrets.telegram_bot_token
        if not token:
            raise ConfigError(
                "the Telegram channel is on but the environment variable `TELEGRAM_BOT_TOKEN` "
                "is not set; create a bot with @BotFather and set the token it gives you"
            )
        secret = cfg.secrets.telegram_secret_token
        if secret is not None and not SECRET_TOKEN_RE.fullmatch(secret):
            raise ConfigError(
                "`TELEGRAM_SECRET_TOKEN` must be 1-256 characters of A-Z, a-z, 0-9, _ and - "
                f"(Telegram's rule), got {len(secret)} characters including others"
            )
        channels = cfg.channels
        raw_mode = channels.telegram_mode
        if raw_mode not in ("auto", "webhook", "polling"):
            raise ConfigError(
                f"`channels.telegram_mode` must be webhook, polling or auto, got {raw_mode!r}"
            )
        mode: Mode = (
            "webhook" if raw_mode == "webhook" or (raw_mode == "auto" and secret) else "polling"
        )
        if mode == "webhook" and not secret:
            raise ConfigError(
                "`channels.telegram_mode` is webhook but the environment variable "
                "`TELEGRAM_SECRET_TOKEN` is not set; set it to a random string of letters and "
                "digits (Telegram sends it back with every update), or use polling"
            )
        if not 8 <= channels.telegram_max_text_chars <= MAX_TEXT_CHARS:
            raise ConfigError(
                "`channels.telegram_max_text_chars` must be between 8 and Telegram's limit of "
                f"{MAX_TEXT_CHARS}, got {channels.telegram_max_text_chars}"
            )
        api_root = (channels.telegram_api_base_url or DEFAULT_API_ROOT).rstrip("/")
        if not api_root.startswith(("http://", "https://")):
            raise ConfigError(
                "`channels.telegram_api_base_url` (TELEGRAM_API_BASE_URL) must be an http(s) "
                f"URL like https://api.telegram.org, got {api_root!r}"
            )
        return cls(
            token=token,
            secret_token=secret,
            mode=mode,
            api_root=api_root,
            public_url=channels.public_url.rstrip("/"),
            max_text_chars=channels.telegram_max_text_chars,
            retry_base_s=cfg.delivery.retry_base_s,
            retry_max_s=cfg.delivery.retry_max_s,
        )

    def backoff(self, failures: int) -> float:
        return min(self.retry_max_s, self.retry_base_s * 2 ** max(0, failures - 1))


def language_hint(language_code: str | None) -> Lang | None:
    """The customer's Telegram app language ("zh-hans", "en-GB") as zh/en, if it is one."""
    code = (language_code or "").lower()
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return None


# --- reading updates -----------------------------------------------------------------------
class MalformedUpdate(ValueError):
    """The body is not a Telegram update we can read; ``field`` names the part at fault."""

    def __init__(self, error: str, field: str) -> None:
        super().__init__(error)
        self.error = error
        self.field = field


@dataclass(frozen=True)
class Inbound:
    """What a customer sent in one update, before any I/O (download, lookup)."""

    update_id: int
    user_id: int
    chat_id: int
    language_code: str | None = None
    message_id: int | None = None
    text: str | None = None
    command: str | None = None  # "start", "help", ... (lower case, without "/" and "@bot")
    callback_query_id: str | None = None
    callback_data: str | None = None
    photo: PhotoSize | None = None

    @property
    def external_id(self) -> str:
        return str(self.user_id)


def parse_update(data: Mapping[str, Any], bot: Bot | None = None) -> Update:
    """A JSON object as a :class:`telegram.Update`; :class:`MalformedUpdate` if it is not one."""
    update_id = data.get("update_id")
    if not _is_int(update_id) or update_id < 0:
        raise MalformedUpdate(
            f"`update_id` must be a non-negative integer, got {update_id!r}", "update_id"
        )
    # Only the kinds the assistant reads are parsed: the library is strict about fields of
    # newer Bot API versions, and a poll or reaction it cannot read must still be ignored.
    kept = {k: data[k] for k in ("update_id", *ALLOWED_UPDATES) if k in data}
    try:
        return Update.de_json(kept, bot)
    except (TypeError, ValueError, AttributeError, KeyError) as exc:
        raise MalformedUpdate(f"the body is not a Telegram update: {exc}", "body") from None


def read_update(update: Update) -> Inbound | None:
    """The customer's message or button press; None for what the assistant ignores (edited
    messages, channel posts, stickers, polls, group chats, other bots)."""
    if update.callback_query is not None:
        return _read_callback(update)
    message = update.message
    if message is None:
        return None
    chat, user = message.chat, message.from_user
    if chat is None or not _is_int(chat.id):
        raise MalformedUpdate("`message.chat.id` must be an integer", "message.chat")
    if chat.type != "private" or user is None or user.is_bot:
        return None
    if not _is_int(user.id):
        raise MalformedUpdate("`message.from.id` must be an integer", "message.from")
    text = message.text if message.text is not None else message.caption
    if text is not None and not isinstance(text, str):
        raise MalformedUpdate("`message.text` must be a string", "message.text")
    text = text.strip() if text else None
    command = None
    if message.text is not None and text and (match := COMMAND_RE.match(text)):
        command = match.group(1).lower()
    photo = _largest(message.photo) if message.photo else None
    if not text and photo is None:
        return None
    return Inbound(
        update_id=update.update_id,
        user_id=user.id,
        chat_id=chat.id,
        language_code=user.language_code,
        message_id=message.message_id,
        text=text or None,
        command=command,
        photo=photo,
    )


def _read_callback(update: Update) -> Inbound | None:
    query = update.callback_query
    if query is None:
        return None
    user = query.from_user
    if user is None or not _is_int(user.id):
        raise MalformedUpdate("`callback_query.from.id` must be an integer", "callback_query")
    if query.data is None or user.is_bot:
        return None  # a game button, or not a customer
    if not isinstance(query.data, str):
        raise MalformedUpdate("`callback_query.data` must be a string", "callback_query.data")
    chat_id: int = user.id  # a private chat's id is the user's id
    if query.message is not None and query.message.chat is not None:
        if query.message.chat.type != "private":
            return None
        chat_id = query.message.chat.id
    return Inbound(
        update_id=update.update_id,
        user_id=user.id,
        chat_id=chat_id,
        language_code=user.language_code,
        callback_query_id=str(query.id),
        callback_data=query.data,
    )


def _largest(sizes: Sequence[PhotoSize]) -> PhotoSize:
    return max(sizes, key=lambda p: (p.width * p.height, p.file_size or 0))


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


# --- callback data -------------------------------------------------------------------------
def callback_token(payload: str) -> str:
    """A 21-character stand-in for a payload too long for ``callback_data`` ("#" + hash)."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()[:15]
    return "#" + base64.urlsafe_b64encode(digest).decode("ascii")


class CallbackCodec:
    """Payloads <-> ``callback_data``: short payloads travel as they are, longer ones (or ones
    not starting with "/") as a token kept in the database, so buttons work after a restart."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._stored: set[str] = set()

    async def encode(self, payload: str) -> str:
        if payload.startswith("/") and len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES:
            return payload
        token = callback_token(payload)
        if token in self._stored:
            return token
        async with self.engine.connect() as conn:
            known = (
                await conn.execute(
                    select(telegram_callbacks.c.payload).where(telegram_callbacks.c.token == token)
                )
            ).scalar_one_or_none()
        if known is None:
            try:
                async with self.engine.begin() as conn:
                    await conn.execute(
                        insert(telegram_callbacks).values(
                            token=token, payload=payload, created_at=datetime.now(UTC)
                        )
                    )
            except IntegrityError:
                pass  # stored by a concurrent send of the same button
        if len(self._stored) > 10_000:
            self._stored.clear()
        self._stored.add(token)
        return token

    async def decode(self, data: str) -> str | None:
        """The payload (or text) of a pressed button; None for an unknown token."""
        if data.startswith("/"):
            return data
        if not data.startswith("#"):
            return None
        async with self.engine.connect() as conn:
            value = (
                await conn.execute(
                    select(telegram_callbacks.c.payload).where(telegram_callbacks.c.token == data)
                )
            ).scalar_one_or_none()
        return str(value) if value is not None else None


# --- rendering -----------------------------------------------------------------------------
@dataclass(frozen=True)
class TextPart:
    text: str
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class PhotoPart:
    image: str
    caption: str | None = None
    buttons: tuple[Button, ...] = ()


Part = TextPart | PhotoPart


def plan_parts(message: OutgoingMessage, lang: Lang, max_text_chars: int) -> list[Part]:
    """The Telegram messages one outgoing message becomes, in order: its text (split at the
    limit, the buttons under the last piece), its image, then one photo per product card."""
    parts: list[Part] = []
    chunks = split_text(message.text, max_text_chars) if message.text else []
    if message.buttons and not chunks:
        chunks = [CHOOSE_TEXT[lang]]
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        parts.append(TextPart(chunk, message.buttons if last else ()))
    if message.image:
        parts.append(PhotoPart(message.image))
    for card in message.product_cards:
        caption = card_caption(card, lang)
        buttons = card.buttons or (
            (Button(DETAILS_TEXT[lang], card.payload),) if card.payload else ()
        )
        if card.image:
            parts.append(PhotoPart(card.image, caption, buttons))
        else:
            parts.append(TextPart(caption, buttons))
    return parts


def card_caption(card: ProductCard, lang: Lang) -> str:
    """Name, then price and rating (and a stock warning), within Telegram's caption limit."""
    details = []
    if card.price_text:
        details.append(card.price_text)
    elif card.price is not None:
        details.append(
            f"¥{card.price:,.2f}"
            if card.currency == "CNY"
            else f"{card.price:,.2f} {card.currency}"
        )
    if card.rating is not None:
        details.append(f"★ {card.rating:.1f}")
    if card.stock is not None and card.stock <= 0:
        details.append(OUT_OF_STOCK_TEXT[lang])
    caption = card.name if not details else f"{card.name}\n{' · '.join(details)}"
    if card.reason:
        caption += f"\n{card.reason}"
    if len(caption) > MAX_CAPTION_CHARS:
        caption = caption[: MAX_CAPTION_CHARS - 1] + "…"
    return caption


def help_text(lang: Lang, shop: str, shop_zh: str) -> str:
    """The /help answer in both languages, the customer's first."""
    other: Lang = "en" if lang == "zh" else "zh"
    texts = [HELP_TEXT[x].format(shop=shop, shop_zh=shop_zh) for x in (lang, other)]
    return "\n\n".join(texts)


def delivery_error(exc: TelegramError) -> DeliveryError:
    """Telegram's refusal as the outbox understands it: wait, retry, or give up."""
    if isinstance(exc, RetryAfter):
        return DeliveryError(f"Telegram rate limit: {exc}", retry_after=_retry_after_s(exc))
    if isinstance(exc, Forbidden):
        return DeliveryError(
            f"Telegram refused (the customer blocked the bot?): {exc}", permanent=True
        )
    if isinstance(exc, ChatMigrated | BadRequest):
        # The same request cannot succeed later (chat not found, message malformed).
        return DeliveryError(f"Telegram rejected the message: {exc}", permanent=True)
    return DeliveryError(f"Telegram API error ({type(exc).__name__}): {exc}")


def _retry_after_s(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 returns an int unless PTB_TIMEDELTA is set, and warns about that; both work.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class MediaUnavailable(Exception):
    """A photo could not be fetched from Telegram right now (try the update again later)."""


# --- the adapter ---------------------------------------------------------------------------
class TelegramAdapter:
    """Webhook or long polling in, Bot API out; registered as the ``telegram`` Sender."""

    channel = CHANNEL

    def __init__(self, cfg: Config, *, poll_timeout_s: int = POLL_TIMEOUT_S) -> None:
        self.settings = TelegramSettings.from_config(cfg)
        self.shop_name = cfg.shop.name
        self.shop_name_zh = cfg.shop.name_zh
        self.poll_timeout_s = poll_timeout_s
        self._app: web.Application | None = None
        self._bot: Bot | None = None
        self._bot_lock = asyncio.Lock()
        self._token_rejected: InvalidToken | None = None
        self._closed = False
        self._tasks: set[asyncio.Task[None]] = set()
        self._sending: set[asyncio.Task[Any]] = set()  # outbox sends in progress
        self._codec: CallbackCodec | None = None
        # Outbox id -> Telegram messages of it already delivered, so a retry after a failure
        # halfway through a split text or a list of cards does not repeat the first ones.
        self._progress: dict[int, int] = {}

    def setup(self, app: web.Application) -> None:
        self._app = app
        if self.settings.mode == "webhook":
            app.router.add_post(WEBHOOK_PATH, self.webhook)
        app[SENDERS_KEY][self.channel] = self
        app.cleanup_ctx.append(self._lifecycle)

    # --- life cycle ---------------------------------------------------------------------------
    async def _lifecycle(self, app: web.Application) -> AsyncIterator[None]:
        self._closed = False
        bot = await self.bot()
        if self._token_rejected is not None:
            self._bot = None
            await bot.shutdown()
            raise ConfigError(
                "Telegram rejected `TELEGRAM_BOT_TOKEN` (getMe failed: "
                f"{self._token_rejected}); copy the token from @BotFather again"
            )
        if self.settings.mode == "polling":
            self._spawn(self._poll(bot))
        elif self.settings.public_url:
            self._spawn(self._register_webhook(bot))
        else:
            logger.info(
                "Telegram webhook mode without channels.public_url: register %s on your public "
                "URL yourself (setWebhook with the secret token)",
                WEBHOOK_PATH,
            )
        try:
            yield
        finally:
            self._closed = True
            tasks = list(self._tasks)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._sending:
                # A message cut off mid-request may have reached the customer and would be
                # sent again after the restart: let the sends under way finish first.
                await asyncio.wait(set(self._sending), timeout=SEND_DRAIN_S)
            self._bot = None
            await bot.shutdown()

    async def bot(self) -> Bot:
        """The Bot API client, created on first use (the outbox worker may need it before the
        start-up hook ran)."""
        async with self._bot_lock:
            if self._bot is None:
                root = self.settings.api_root
                bot = Bot(
                    self.settings.token,
                    base_url=f"{root}/bot",
                    base_file_url=f"{root}/file/bot",
                    request=HTTPXRequest(connection_pool_size=16, pool_timeout=10.0),
                    get_updates_request=HTTPXRequest(connection_pool_size=1),
                )
                try:
                    await bot.initialize()  # opens the HTTP clients, then checks the token
                except InvalidToken as exc:
                    self._token_rejected = exc
                except TelegramError as exc:
                    logger.warning("Telegram is not reachable yet (%s); will keep trying", exc)
                self._bot = bot
            return self._bot

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            logger.error("Telegram background task failed", exc_info=exc)

    def _pipeline(self) -> Pipeline:
        if self._app is None:
            raise RuntimeError("TelegramAdapter.setup(app) was not called")
        return self._app[PIPELINE_KEY]

    def callbacks(self) -> CallbackCodec:
        if self._codec is None:
            if self._app is None:
                raise RuntimeError("TelegramAdapter.setup(app) was not called")
            self._codec = CallbackCodec(self._app[ENGINE_KEY])
        return self._codec

    async def _register_webhook(self, bot: Bot) -> None:
        """setWebhook with the public URL and secret token, retried until Telegram takes it."""
        url = self.settings.public_url + WEBHOOK_PATH
        failures = 0
        while True:
            try:
                await bot.set_webhook(
                    url=url,
                    secret_token=self.settings.secret_token,
                    allowed_updates=ALLOWED_UPDATES,
                )
                logger.info("Telegram webhook set to %s", url)
                return
            except TelegramError as exc:
                failures += 1
                delay = self.settings.backoff(failures)
                logger.warning(
                    "setting the Telegram webhook failed (%s); retry in %.1fs", exc, delay
                )
                await asyncio.sleep(delay)

    async def _poll(self, bot: Bot) -> None:
        """Long polling: fetch the updates after the last handled one and handle each.

        The offset only moves past an update once it is stored, so an update is never lost;
        one Telegram delivers again (after a restart) is recognised by its update id.
        """
        offset: int | None = None
        webhook_cleared = False
        failures = 0
        tries: dict[int, int] = {}
        while True:
            batch: list[tuple[int, Update | None]]
            try:
                if not webhook_cleared:
                    await bot.delete_webhook()  # getUpdates is refused while a webhook is set
                    webhook_cleared = True
                try:
                    updates = await bot.get_updates(
                        offset=offset, timeout=self.poll_timeout_s, allowed_updates=ALLOWED_UPDATES
                    )
                    batch = [(u.update_id, u) for u in updates]
                except TelegramError:
                    raise
                except Exception as exc:
                    # The library could not read one of the updates; read them one by one so
                    # that only the unreadable one is skipped instead of polling stalling on it.
                    logger.warning("Telegram sent an update the library cannot read: %r", exc)
                    batch = await self._raw_updates(bot, offset)
            except Exception as exc:  # network, 5xx, a bad token: keep the channel alive
                if isinstance(exc, Conflict):
                    webhook_cleared = False
                failures += 1
                delay = self.settings.backoff(failures)
                logger.warning("Telegram getUpdates failed (%s); retry in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            for update_id, update in batch:
                try:
                    if update is not None:
                        await self.handle_update(update)
                except MalformedUpdate as exc:
                    logger.warning("skipping Telegram update %d: %s", update_id, exc)
                except Exception:
                    count = tries[update_id] = tries.get(update_id, 0) + 1
                    if count < HANDLE_ATTEMPTS:
                        delay = self.settings.backoff(count)
                        logger.exception(
                            "handling Telegram update %d failed; retry in %.1fs", update_id, delay
                        )
                        await asyncio.sleep(delay)
                        break  # fetch it again: the offset stays before it
                    logger.exception(
                        "giving up Telegram update %d after %d attempts", update_id, count
                    )
                tries.pop(update_id, None)
                offset = update_id + 1

    async def _raw_updates(self, bot: Bot, offset: int | None) -> list[tuple[int, Update | None]]:
        """The pending updates as JSON, each parsed on its own (None: unreadable, skipped)."""
        params: dict[str, Any] = {"timeout": 0, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        raw = await bot.do_api_request("get_updates", api_kwargs=params)
        batch: list[tuple[int, Update | None]] = []
        for data in raw if isinstance(raw, list) else []:
            if not isinstance(data, dict) or not _is_int(data.get("update_id")):
                continue
            try:
                batch.append((data["update_id"], parse_update(data, bot)))
            except MalformedUpdate as exc:
                logger.warning("skipping Telegram update %d: %s", data["update_id"], exc)
                batch.append((data["update_id"], None))
        return batch

    # --- incoming -----------------------------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        """``POST /webhooks/telegram``: verify the secret token, store the update, ack."""
        secret = request.headers.get(SECRET_HEADER)
        if secret is None:
            return error_response(
                401,
                f"the {SECRET_HEADER} header is missing; Telegram sends it when the webhook "
                "was set with the secret token",
                SECRET_HEADER,
            )
        expected = (self.settings.secret_token or "").encode()
        if not hmac.compare_digest(secret.encode("utf-8", "replace"), expected):
            return error_response(
                403,
                f"the {SECRET_HEADER} header does not match TELEGRAM_SECRET_TOKEN",
                SECRET_HEADER,
            )
        body = await read_json_object(request, max_bytes=MAX_UPDATE_BYTES)
        try:
            outcome = await self.handle_update(parse_update(body, await self.bot()))
        except MalformedUpdate as exc:
            return error_response(400, exc.error, exc.field)
        except MediaUnavailable as exc:
            # Not stored yet: Telegram delivers the update again after a 5xx.
            return error_response(503, str(exc))
        return json_response({"ok": True, "outcome": outcome})

    async def handle_update(self, update: Update) -> Outcome:
        """Store what a customer sent (once per update id) for the pipeline to answer."""
        inbound = read_update(update)
        if inbound is None:
            logger.debug("Telegram update %d ignored (not a customer message)", update.update_id)
            return "ignored"
        pipeline = self._pipeline()
        dedupe_key = f"update:{inbound.update_id}"
        address: dict[str, Any] = {"chat_id": inbound.chat_id}
        hint = language_hint(inbound.language_code)
        metadata: dict[str, Any] = {"update_id": inbound.update_id}
        if inbound.message_id is not None:
            metadata["message_id"] = inbound.message_id
        if inbound.language_code:
            metadata["language_code"] = inbound.language_code
        if hint is not None:
            metadata["language_hint"] = hint

        def incoming(
            text: str | None = None,
            payload: str | None = None,
            attachments: tuple[Attachment, ...] = (),
        ) -> IncomingMessage:
            return IncomingMessage(
                channel=CHANNEL,
                external_id=inbound.external_id,
                text=text,
                payload=payload,
                attachments=attachments,
                metadata=metadata,
            )

        if inbound.callback_query_id is not None:
            resolved = await self.callbacks().decode(inbound.callback_data or "")
            if resolved is None:
                self._spawn(
                    self._answer_callback(
                        inbound.callback_query_id, EXPIRED_BUTTON_TEXT[hint or "en"]
                    )
                )
                return "ignored"
            if resolved.startswith("/"):
                message = incoming(payload=resolved)
            else:
                message = incoming(text=resolved)
            reply = await pipeline.submit(message, address=address, dedupe_key=dedupe_key)
            if reply.outcome != "duplicate":
                self._spawn(self._answer_callback(inbound.callback_query_id))
            return "duplicate" if reply.outcome == "duplicate" else "queued"

        if inbound.command == "start":
            # Telegram's Start button: the bot greets (deep-link parameters are not used).
            message = incoming(payload="/greet")
        elif inbound.command is not None:
            # /help, and commands we do not have, get the help text without a trip to Rasa.
            message = incoming(payload="/help")
            lang = pipeline.languages.get(message.conversation_id) or hint or "en"
            text = help_text(lang, self.shop_name, self.shop_name_zh)
            return await answer_without_rasa(
                pipeline, message, [OutgoingMessage(text=text)], address, dedupe_key, lang
            )
        else:
            attachments: tuple[Attachment, ...] = ()
            if inbound.photo is not None:
                attachment = await self._download_photo(inbound.photo)
                attachments = (attachment,) if attachment is not None else ()
            if inbound.text is None and not attachments:
                return "ignored"
            message = incoming(text=inbound.text, attachments=attachments)
        reply = await pipeline.submit(message, address=address, dedupe_key=dedupe_key)
        return "duplicate" if reply.outcome == "duplicate" else "queued"

    async def _answer_callback(self, query_id: str, text: str | None = None) -> None:
        """Stop the button's spinner; failing here must not lose the press itself."""
        try:
            bot = await self.bot()
            await bot.answer_callback_query(query_id, text=text)
        except TelegramError as exc:
            logger.warning("answerCallbackQuery %s failed: %s", query_id, exc)

    async def _download_photo(self, photo: PhotoSize) -> Attachment | None:
        """Fetch the photo into the media store; None when it cannot be kept (too large, not
        an image), MediaUnavailable when Telegram cannot be reached."""
        if self._app is None:
            raise RuntimeError("TelegramAdapter.setup(app) was not called")
        media = self._app[MEDIA_KEY]
        if photo.file_size is not None and photo.file_size > media.max_bytes:
            logger.warning("Telegram photo of %d bytes is over the limit", photo.file_size)
            return None
        try:
            bot = await self.bot()
            file = await bot.get_file(photo.file_id)
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:  # e.g. "file is too big": asking again will not help
            logger.warning("Telegram photo %s cannot be downloaded: %s", photo.file_id, exc)
            return None
        except TelegramError as exc:
            raise MediaUnavailable(
                f"could not download the photo from Telegram ({exc}); deliver the update again"
            ) from exc
        try:
            url, mime = await asyncio.to_thread(media.save, data)
        except MediaError as exc:
            logger.warning("Telegram photo %s not kept: %s", photo.file_id, exc)
            return None
        return Attachment(kind="image", url=url, mime_type=mime)

    # --- outgoing (Sender) --------------------------------------------------------------------
    async def send(self, item: OutboxItem) -> None:
        """Deliver one outbox message; Telegram's refusals become :class:`DeliveryError`."""
        if self._closed:
            raise DeliveryError("the Telegram channel is stopping; sent after the restart")
        task = asyncio.current_task()
        if task is not None:
            self._sending.add(task)
        try:
            await self._deliver(item)
        finally:
            if task is not None:
                self._sending.discard(task)

    async def _deliver(self, item: OutboxItem) -> None:
        chat_id = item.address.get("chat_id")
        if not _is_int(chat_id):
            if not item.external_id.isdigit():
                raise DeliveryError(
                    f"no Telegram chat_id in the address {dict(item.address)!r}", permanent=True
                )
            chat_id = int(item.external_id)  # a private chat's id is the user's id
        parts = plan_parts(item.message, item.lang, self.settings.max_text_chars)
        start = self._progress.get(item.id, 0)
        bot = await self.bot()
        for index in range(start, len(parts)):
            try:
                await self._send_part(bot, chat_id, parts[index], item.lang)
            except TelegramError as exc:
                error = delivery_error(exc)
                if error.permanent:
                    self._progress.pop(item.id, None)
                else:
                    if len(self._progress) > 1000:  # rows given up by the pipeline
                        self._progress.pop(next(iter(self._progress)))
                    self._progress[item.id] = index
                raise error from exc
        self._progress.pop(item.id, None)

    async def _send_part(self, bot: Bot, chat_id: int, part: Part, lang: Lang) -> None:
        markup = await self._keyboard(part.buttons)
        if isinstance(part, TextPart):
            await bot.send_message(chat_id, part.text, reply_markup=markup)
            return
        photo = await self._photo(part.image)
        if photo is not None:
            try:
                await bot.send_photo(chat_id, photo, caption=part.caption, reply_markup=markup)
                return
            except BadRequest as exc:
                # Telegram could not use the picture (a URL it cannot fetch, a format it does
                # not take); the caption and buttons still matter. A bad chat fails below too.
                logger.warning("Telegram refused photo %s: %s; sending text", part.image, exc)
        else:
            logger.warning("image %r cannot be sent to Telegram; sending text", part.image)
        if part.caption:
            await bot.send_message(chat_id, part.caption, reply_markup=markup)
        elif markup is not None:
            await bot.send_message(chat_id, CHOOSE_TEXT[lang], reply_markup=markup)

    async def _keyboard(self, buttons: Sequence[Button]) -> InlineKeyboardMarkup | None:
        if not buttons:
            return None
        codec = self.callbacks()
        rows = [
            [InlineKeyboardButton(b.title, callback_data=await codec.encode(b.payload))]
            for b in buttons
        ]
        return InlineKeyboardMarkup(rows)

    async def _photo(self, image: str) -> str | InputFile | None:
        """What send_photo gets for an image URL: our product pictures as uploaded PNGs
        (Telegram takes no SVG), stored media as uploads, absolute URLs as they are."""
        if self._app is None:
            raise RuntimeError("TelegramAdapter.setup(app) was not called")
        public = self.settings.public_url
        path = image[len(public) :] if public and image.startswith(public + "/") else image
        if path.startswith("/"):
            if match := PRODUCT_IMAGE_RE.match(path):
                product = await get_product(self._app[ENGINE_KEY], match.group(1))
                if product is None:
                    return None
                data = await asyncio.to_thread(render_product_png, product)
                return InputFile(data, filename=f"{product.id}.png")
            if path.startswith(MEDIA_PREFIX):
                file = self._app[MEDIA_KEY].path_of(path[len(MEDIA_PREFIX) :])
                if file is not None:
                    content = await asyncio.to_thread(file.read_bytes)
                    return InputFile(content, filename=file.name)
            return public + path if public else None
        if image.startswith(("http://", "https://")):
            return image
        return None


async def answer_without_rasa(
    pipeline: Pipeline,
    message: IncomingMessage,
    replies: Sequence[OutgoingMessage],
    address: Mapping[str, Any],
    dedupe_key: str,
    lang: Lang,
) -> Outcome:
    """Store a message and its ready answer (the help text): the inbox row makes a repeated
    update a duplicate, the outbox delivers with retries. The conversation's lock keeps the
    pipeline from forwarding the message to Rasa in between."""
    conversation_id = message.conversation_id
    address = {**address, "lang": lang}
    async with pipeline.locks.hold(conversation_id):
        accepted = await pipeline.inbox.accept(message, address=address, dedupe_key=dedupe_key)
        if accepted.duplicate:
            return "duplicate"
        await store.save_incoming(pipeline.engine, message, lang)
        rows = [
            NewMessage(
                conversation_id,
                message.channel,
                message.external_id,
                reply,
                "reply",
                address,
                inbox_id=accepted.id,
            )
            for reply in replies
        ]
        async with pipeline.engine.begin() as conn:
            await pipeline.outbox.add(rows, conn=conn)
            await pipeline.inbox.complete(conn, accepted.id)
            await store.save_outgoing(
                conn,
                conversation_id=conversation_id,
                channel=message.channel,
                replies=list(replies),
                language=lang,
            )
    pipeline.wake()
    return "answered"
