"""The internal message type every channel adapter converts to and from.

An adapter turns a platform's native update into an :class:`IncomingMessage`, hands it to the
gateway's dispatcher, and renders the :class:`OutgoingMessage` replies in the platform's own
format (buttons, photos, cards, or numbered text where a platform has none). Nothing here knows
about a particular platform or about HTTP.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, Literal, TypedDict

logger = logging.getLogger(__name__)

# Channel names are short lowercase keys ("web", "telegram"); they prefix conversation ids.
CHANNEL_RE = re.compile(r"[a-z][a-z0-9_]{0,19}")
# What may follow "<channel>:" in a conversation id (Rasa's sender id). Platform user ids
# (numbers, "U024BE7LH", "oVx3_abc-") and web ids ("web-<uuid>", "demo-liwei") all fit.
EXTERNAL_ID_RE = re.compile(r"[A-Za-z0-9._:@-]{1,128}")

AttachmentKind = Literal["image", "audio", "video", "file", "location"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _frozen_mapping(value: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class Attachment:
    """Media a customer sent (a photo of a broken item). ``url`` is where the gateway keeps it."""

    kind: AttachmentKind
    url: str
    mime_type: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class IncomingMessage:
    """One customer message from any channel.

    ``text`` is what the customer typed; ``payload`` is a button's payload (a Rasa intent
    string such as ``/order_status{"order_id": "260315004217"}``). A message carries one of the
    two, or neither when it only carries attachments.
    """

    channel: str
    external_id: str
    text: str | None = None
    payload: str | None = None
    attachments: tuple[Attachment, ...] = ()
    metadata: Mapping[str, Any] = field(default_factory=dict)
    received_at: datetime = field(default_factory=_utcnow)

    def __post_init__(self) -> None:
        if not CHANNEL_RE.fullmatch(self.channel):
            raise ValueError(
                f"channel must be a short lowercase key like 'web', got {self.channel!r}"
            )
        if not EXTERNAL_ID_RE.fullmatch(self.external_id):
            raise ValueError(
                "external_id must be 1-128 letters, digits or ._:@- characters, "
                f"got {self.external_id!r}"
            )
        if self.text is not None and self.payload is not None:
            raise ValueError("an IncomingMessage carries text or a payload, not both")
        if self.text is None and self.payload is None and not self.attachments:
            raise ValueError("an IncomingMessage needs text, a payload or an attachment")
        if self.payload is not None and not self.payload.startswith("/"):
            raise ValueError(f"a payload must start with '/', got {self.payload!r}")
        if self.received_at.tzinfo is None:
            raise ValueError("received_at must be timezone-aware")
        object.__setattr__(self, "metadata", _frozen_mapping(self.metadata))

    @property
    def conversation_id(self) -> str:
        """The id Rasa knows the conversation by: ``"<channel>:<external_id>"``."""
        return f"{self.channel}:{self.external_id}"

    @property
    def content(self) -> str:
        """What is sent to Rasa as the message: the text, else the payload."""
        if self.text is not None:
            return self.text
        return self.payload or ""


@dataclass(frozen=True)
class Button:
    title: str
    payload: str


@dataclass(frozen=True)
class ProductCard:
    """One product of a ``{"type": "product_cards"}`` custom message, for channel renderers."""

    id: str
    name: str
    price: float | None = None  # in currency units (yuan), not cents
    currency: str = "CNY"
    price_text: str | None = None  # formatted by the bot, e.g. "¥399.00"
    image: str | None = None
    rating: float | None = None
    stock: int | None = None
    payload: str | None = None
    buttons: tuple[Button, ...] = ()
    reason: str | None = None  # why it was recommended ("because you bought ...")

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ProductCard | None:
        """Read a card leniently; None when it lacks an id or a name."""
        pid, name = data.get("id"), data.get("name")
        if not isinstance(pid, str) or not isinstance(name, str):
            return None
        price = data.get("price")
        if price is None and isinstance(data.get("price_cents"), int):
            price = data["price_cents"] / 100
        rating, stock = data.get("rating"), data.get("stock")
        payload, image = data.get("payload"), data.get("image")
        price_text = data.get("price_text")
        reason = data.get("reason")
        return cls(
            id=pid,
            name=name,
            price=float(price) if isinstance(price, int | float) else None,
            currency=str(data.get("currency") or "CNY"),
            price_text=price_text if isinstance(price_text, str) and price_text else None,
            image=image if isinstance(image, str) and image else None,
            rating=float(rating) if isinstance(rating, int | float) else None,
            stock=stock if isinstance(stock, int) and not isinstance(stock, bool) else None,
            payload=payload if isinstance(payload, str) and payload.startswith("/") else None,
            buttons=_buttons_from_json(data.get("buttons")),
            reason=reason if isinstance(reason, str) and reason else None,
        )


class ButtonJson(TypedDict):
    title: str
    payload: str


class OutgoingJson(TypedDict, total=False):
    """One bot message as the web chat API returns it (every key optional)."""

    text: str
    buttons: list[ButtonJson]
    image: str
    custom: dict[str, Any]


@dataclass(frozen=True)
class OutgoingMessage:
    """One bot message: text, buttons, an image URL and/or a custom JSON object."""

    text: str | None = None
    buttons: tuple[Button, ...] = ()
    image: str | None = None
    custom: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.custom is not None:
            object.__setattr__(self, "custom", _frozen_mapping(self.custom))

    @property
    def is_empty(self) -> bool:
        return not (self.text or self.buttons or self.image or self.custom)

    @property
    def product_cards(self) -> tuple[ProductCard, ...]:
        """The cards of a ``product_cards`` custom message; empty for anything else."""
        if self.custom is None or self.custom.get("type") != "product_cards":
            return ()
        products = self.custom.get("products")
        if not isinstance(products, list):
            return ()
        cards = (ProductCard.from_json(p) for p in products if isinstance(p, Mapping))
        return tuple(c for c in cards if c is not None)

    @classmethod
    def from_rasa(cls, data: Mapping[str, Any]) -> OutgoingMessage:
        """Convert one entry of Rasa's REST channel response."""
        text, image, custom = data.get("text"), data.get("image"), data.get("custom")
        return cls(
            text=text if isinstance(text, str) and text else None,
            buttons=_buttons_from_json(data.get("buttons")),
            image=image if isinstance(image, str) and image else None,
            custom=custom if isinstance(custom, Mapping) else None,
        )

    def to_json(self) -> OutgoingJson:
        out: OutgoingJson = {}
        if self.text is not None:
            out["text"] = self.text
        if self.buttons:
            out["buttons"] = [{"title": b.title, "payload": b.payload} for b in self.buttons]
        if self.image is not None:
            out["image"] = self.image
        if self.custom is not None:
            out["custom"] = _thaw(self.custom)
        return out


def _thaw(value: Any) -> Any:
    """A JSON-serialisable copy of a (possibly read-only) mapping."""
    if isinstance(value, Mapping):
        return {str(k): _thaw(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_thaw(v) for v in value]
    return value


def _buttons_from_json(raw: object) -> tuple[Button, ...]:
    if not isinstance(raw, list):
        return ()
    buttons = []
    for item in raw:
        if not isinstance(item, Mapping):
            continue
        title, payload = item.get("title"), item.get("payload")
        if isinstance(title, str) and isinstance(payload, str) and title and payload:
            buttons.append(Button(title=title, payload=payload))
        else:
            # URL buttons and the like have no payload to send back; skip rather than fail.
            logger.warning("skipping a button without a title and payload: %r", item)
    return tuple(buttons)


def messages_from_rasa(data: object) -> list[OutgoingMessage]:
    """Convert Rasa's REST channel response (a JSON list); ValueError if it is not a list."""
    if not isinstance(data, list):
        raise ValueError(
            f"Rasa's REST channel should answer with a JSON list, got {type(data).__name__}"
        )
    messages = []
    for item in data:
        if not isinstance(item, Mapping):
            logger.warning("skipping a Rasa message that is not an object: %r", item)
            continue
        message = OutgoingMessage.from_rasa(item)
        if not message.is_empty:
            messages.append(message)
    return messages
