"""Bot commands answered without Rasa: the bilingual /help text, and ``/start <token>`` from a
shop's deep link, which links the Telegram account to the customer the token names (stored with
its command through :meth:`~bot.core.pipeline.Pipeline.submit_answered`, so it is deduplicated
and delivered like any other reply)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.telegram.settings import CHANNEL
from bot.config import Config
from bot.i18n import Lang, fmt_datetime, known_language, t, variants
from bot.services import attempts, customers, linking

logger = logging.getLogger(__name__)

HELP_TEXT = variants("telegram.help")
REFUSALS = {"forged": "link.invalid", "expired": "link.expired", "used": "link.used"}


def help_text(lang: Lang, shop: str, shop_zh: str) -> str:
    """The /help answer in both languages, the customer's first."""
    other: Lang = "en" if lang == "zh" else "zh"
    texts = [t("telegram.help", x, shop=shop_zh if x == "zh" else shop) for x in (lang, other)]
    return "\n\n".join(texts)


def start_parameter(text: str | None) -> str | None:
    """The deep-link parameter of "/start <parameter>", if any."""
    parts = (text or "").split(maxsplit=1)
    return parts[1].strip() or None if len(parts) == 2 else None


@dataclass(frozen=True)
class Linker:
    """Answers ``/start <token>``: links the account once the token proves who the customer is;
    refuses forged, expired and used tokens, and counts them (``access.max_wrong`` per sender
    within ``access.window_minutes`` pause linking for ``access.lock_minutes``)."""

    secret: str | None
    limits: attempts.Limits
    shop: str
    shop_zh: str
    timezone: str

    @classmethod
    def from_config(cls, cfg: Config) -> Linker:
        return cls(
            secret=cfg.secrets.link_secret,
            limits=attempts.Limits.from_config(cfg.access),
            shop=cfg.shop.name,
            shop_zh=cfg.shop.name_zh,
            timezone=cfg.shop.timezone,
        )

    async def answer(
        self, engine: AsyncEngine, external_id: str, token: str, *, lang: Lang, now: datetime
    ) -> tuple[Lang, str]:
        """The answer's language (the customer's, once known) and text."""
        if not self.secret:
            logger.warning("a Telegram link token arrived but LINK_SECRET is not set")
            return lang, t("link.unavailable", lang)
        subject = attempts.subject_of(CHANNEL, external_id)
        kind = attempts.LINK
        locked = await attempts.locked_until(engine, kind, subject, "", now=now, limits=self.limits)
        if locked is not None:
            return lang, self._locked(locked, lang)
        try:
            customer_id, result = await linking.link_with_token(
                engine, self.secret, token, channel=CHANNEL, external_id=external_id, now=now
            )
        except linking.TokenError as exc:
            logger.info("Telegram user %s: link token refused (%s)", external_id, exc.reason)
            locked = await attempts.record_wrong(
                engine, kind, subject, "", now=now, limits=self.limits
            )
            if locked is not None:
                return lang, self._locked(locked, lang)
            return lang, t(REFUSALS[exc.reason], lang)
        await attempts.clear(engine, kind, subject, "")
        customer = await customers.get_customer(engine, customer_id)
        if customer is None:  # deleted in between
            return lang, t("link.invalid", lang)
        own = known_language(customer.language) or lang
        name = customer.name_zh if own == "zh" and customer.name_zh else customer.name
        key = "link.done" if result is linking.LinkResult.LINKED else "link.already"
        logger.info("Telegram user %s linked to customer %s", external_id, customer_id)
        return own, t(key, own, name=name, shop=self.shop_zh if own == "zh" else self.shop)

    def _locked(self, until: datetime, lang: Lang) -> str:
        when = fmt_datetime(until + timedelta(seconds=59), lang, self.timezone)
        return t("link.locked", lang, time=when)
