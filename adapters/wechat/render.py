"""Outgoing messages the WeChat way.

Owns the passive XML reply (and its safe-mode envelope), the customer-service API's JSON body
for a text, and :class:`Composer`: messages as plain text cut into byte-limited parts, their
buttons and product cards as numbered options shared by one answer and remembered per
conversation, so a later "2" sends the second option's payload.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from adapters.wechat.crypto import WeChatCipher, wechat_signature
from bot.core.message import Button, OutgoingMessage
from bot.core.outbox import Outbox, OutboxItem
from bot.core.pipeline import Reply
from bot.core.render import OptionsMemory, as_plain_text, split_text, utf8_len
from bot.i18n import Lang

# Characters XML 1.0 cannot carry at all (even in CDATA); dropped from replies.
_XML_ILLEGAL_RE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


# --- passive XML and API JSON ---------------------------------------------------------------
def _cdata(text: str) -> str:
    clean = _XML_ILLEGAL_RE.sub("", text)
    # "]]>" would end the section early: split it across two sections.
    return "<![CDATA[" + clean.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def passive_text_xml(*, to_user: str, from_user: str, content: str, create_time: int) -> str:
    """A passive text reply (``to_user`` is the customer's openid, ``from_user`` the account)."""
    return (
        f"<xml><ToUserName>{_cdata(to_user)}</ToUserName>"
        f"<FromUserName>{_cdata(from_user)}</FromUserName>"
        f"<CreateTime>{create_time}</CreateTime>"
        f"<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{_cdata(content)}</Content></xml>"
    )


def encrypted_reply_xml(*, encrypt: str, signature: str, timestamp: str, nonce: str) -> str:
    """The safe-mode envelope around an encrypted passive reply."""
    return (
        f"<xml><Encrypt>{_cdata(encrypt)}</Encrypt>"
        f"<MsgSignature>{_cdata(signature)}</MsgSignature>"
        f"<TimeStamp>{timestamp}</TimeStamp>"
        f"<Nonce>{_cdata(nonce)}</Nonce></xml>"
    )


def passive_reply(
    *,
    openid: str,
    account: str,
    content: str,
    token: str,
    cipher: WeChatCipher | None,
    clock: Callable[[], float],
) -> str:
    """The passive reply's XML to ``openid``, encrypted and signed in safe mode."""
    xml = passive_text_xml(
        to_user=openid, from_user=account, content=content, create_time=int(clock())
    )
    if cipher is None:
        return xml
    encrypt = cipher.encrypt(xml.encode("utf-8"))
    timestamp, nonce = str(int(clock())), str(secrets.randbelow(10**10))
    return encrypted_reply_xml(
        encrypt=encrypt,
        signature=wechat_signature(token, timestamp, nonce, encrypt),
        timestamp=timestamp,
        nonce=nonce,
    )


def text_message_body(openid: str, content: str) -> dict[str, Any]:
    """The customer-service API's JSON body for one text message."""
    return {"touser": openid, "msgtype": "text", "text": {"content": content}}


# --- text and numbered options --------------------------------------------------------------
def ready_messages(reply: Reply) -> tuple[OutgoingMessage, ...]:
    """The replies to answer passively with.

    On a timeout the pipeline hands back a holding text for the web chat when nothing was
    ready; WeChat answers ``success`` instead and the answer follows through the sender.
    """
    return () if reply.stand_in else reply.messages


@dataclass(frozen=True)
class Numbering:
    """Where a message's numbered options start within its answer (one inbox message's
    replies share one numbering, so "3" is the third option shown in the whole answer)."""

    start: int = 1
    before: tuple[Button, ...] = ()  # the options of the answer's earlier messages
    first: bool = True  # the answer's first message


class Composer:
    """Messages as WeChat text parts of at most ``max_text_bytes``; images as absolute URLs
    under ``public_url``."""

    def __init__(self, *, public_url: str, max_text_bytes: int) -> None:
        self.public_url = public_url
        self.max_text_bytes = max_text_bytes

    def _absolute(self, message: OutgoingMessage) -> OutgoingMessage:
        image = message.image
        if image and not image.startswith(("http://", "https://")) and self.public_url:
            return replace(message, image=f"{self.public_url}/{image.lstrip('/')}")
        return message

    def render(
        self, messages: Sequence[OutgoingMessage], lang: Lang, start: int = 1
    ) -> tuple[str, list[Button]]:
        """Messages as one text; their options numbered on from ``start``."""
        blocks: list[str] = []
        options: list[Button] = []
        for message in messages:
            text, opts = as_plain_text(self._absolute(message), lang, start=start + len(options))
            if text.strip():
                blocks.append(text)
            options += opts
        return "\n\n".join(blocks), options

    async def numbering(self, outbox: Outbox, item: OutboxItem) -> Numbering:
        """Where ``item``'s options start: after those of its answer's earlier messages."""
        if item.inbox_id is None:
            return Numbering()
        earlier = [
            i for i in await outbox.for_inbox(item.inbox_id) if i.id < item.id and i.kind == "reply"
        ]
        before: list[Button] = []
        for previous in earlier:
            before += self.render([previous.message], previous.lang, len(before) + 1)[1]
        return Numbering(start=len(before) + 1, before=tuple(before), first=not earlier)

    async def compose(
        self,
        memory: OptionsMemory,
        conversation_id: str,
        messages: Sequence[OutgoingMessage],
        lang: Lang,
        numbering: Numbering,
        *,
        remember: bool,
    ) -> list[str]:
        """``messages`` as text parts (none when there is nothing to show); with ``remember``
        their options become the conversation's numbered options."""
        text, options = self.render(messages, lang, numbering.start)
        if remember:
            await remember_options(memory, conversation_id, numbering, options)
        return split_text(text, self.max_text_bytes, utf8_len) if text.strip() else []


async def remember_options(
    memory: OptionsMemory, conversation_id: str, numbering: Numbering, options: Sequence[Button]
) -> None:
    """Keep the options shown so far in this answer; a new answer without any forgets
    the previous ones (a "2" then is just text, not a stale choice)."""
    if options:
        await memory.remember(conversation_id, [*numbering.before, *options])
    elif numbering.first:
        await memory.remember(conversation_id, [])
