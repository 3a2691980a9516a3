"""Bot commands answered without Rasa: the bilingual /help text, and storing a message together
with its ready answer so it is deduplicated and delivered like any other reply."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from bot.core import store
from bot.core.message import IncomingMessage, OutgoingMessage
from bot.core.outbox import NewMessage
from bot.core.pipeline import Pipeline
from bot.i18n import Lang, t, variants

HELP_TEXT = variants("telegram.help")


def help_text(lang: Lang, shop: str, shop_zh: str) -> str:
    """The /help answer in both languages, the customer's first."""
    other: Lang = "en" if lang == "zh" else "zh"
    texts = [t("telegram.help", x, shop=shop_zh if x == "zh" else shop) for x in (lang, other)]
    return "\n\n".join(texts)


async def answer_without_rasa(
    pipeline: Pipeline,
    message: IncomingMessage,
    replies: Sequence[OutgoingMessage],
    address: Mapping[str, Any],
    dedupe_key: str,
    lang: Lang,
) -> Literal["duplicate", "answered"]:
    """Store a message and its ready answer (the help text): the inbox row makes a repeated
    update a duplicate, the outbox delivers with retries. The conversation's lock keeps the
    pipeline from forwarding the message to Rasa in between.

    This repeats what the pipeline's private ``_finish`` does for an answered message; the
    pipeline has no public method that stores a message with a ready answer.
    """
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
