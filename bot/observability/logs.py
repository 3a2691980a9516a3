"""Log lines that name the message being handled, as text or as one JSON object per line.

The pipeline calls :func:`bind_message` when it picks up an inbox row and the action server when
it runs an action (from the tracker's sender id and the inbox id in the message metadata); the
ids live in context variables, so every line written while that message is handled carries
them, in the task that handles it and in the tasks it starts. :func:`configure_logging` installs
the format chosen by ``logging.format`` (``SHOP_LOG_FORMAT``) on the root logger.

Secret values (tokens, passwords: :data:`bot.config.SECRET_ENV`) are replaced by ``***`` in
every line, in both formats, before it is written. With ``privacy.redact_logs`` (on by default)
personal data in the message and the traceback (phones, e-mails, ID and card numbers, street
addresses, recipients' names) is replaced by markers (:func:`bot.entities.redact.redact`);
order numbers stay.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import IO, Any

from bot.config import LOG_FORMATS, LOG_LEVELS, Config, ConfigError
from bot.entities.redact import redact as redact_personal

REDACTED = "***"
MIN_SECRET_LENGTH = 8  # shorter values are not worth matching (and would mangle lines)

conversation_var: ContextVar[str | None] = ContextVar("conversation_id", default=None)
inbox_var: ContextVar[int | None] = ContextVar("inbox_id", default=None)


def bind_message(conversation_id: str | None, inbox_id: int | None) -> tuple[Token[Any], ...]:
    """Name the message the current task handles in every log line it writes from now on.

    Returns the tokens for :func:`unbind`; a task that handles one message and ends (the
    pipeline's drain, an action server request) need not call it.
    """
    return conversation_var.set(conversation_id), inbox_var.set(inbox_id)


def unbind(tokens: tuple[Token[Any], ...]) -> None:
    """Restore the ids from before :func:`bind_message`."""
    conversation_token, inbox_token = tokens
    conversation_var.reset(conversation_token)
    inbox_var.reset(inbox_token)


class MessageContext(logging.Filter):
    """Puts ``conversation_id`` and ``inbox_id`` of the message being handled on each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "conversation_id"):
            record.conversation_id = conversation_var.get()
        if not hasattr(record, "inbox_id"):
            record.inbox_id = inbox_var.get()
        return True


class _Redacting(logging.Formatter):
    def __init__(
        self, secrets: Iterable[str | None] = (), personal: bool = True, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.secrets = sorted(
            {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )
        self.personal = personal

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def private(self, text: str) -> str:
        """Personal data out of a message or traceback (when ``personal``)."""
        return redact_personal(text) if self.personal else text

    def formatException(self, ei: Any) -> str:
        return self.private(super().formatException(ei))

    def with_private_message(self, record: logging.LogRecord) -> logging.LogRecord:
        """A copy of ``record`` whose message has its personal data replaced."""
        if not self.personal:
            return record
        exc_text = None if record.exc_info else record.exc_text  # formatted again, redacted
        return logging.makeLogRecord(
            {
                **record.__dict__,
                "msg": self.private(record.getMessage()),
                "args": None,
                "exc_text": self.private(exc_text) if exc_text else None,
            }
        )


class TextFormatter(_Redacting):
    """``time LEVEL logger [conversation #inbox]: message`` (the ids only while one is handled)."""

    def __init__(self, secrets: Iterable[str | None] = (), personal: bool = True) -> None:
        super().__init__(
            secrets, personal, fmt="%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s"
        )

    def format(self, record: logging.LogRecord) -> str:
        conversation_id = getattr(record, "conversation_id", None) or conversation_var.get()
        inbox_id = getattr(record, "inbox_id", None) or inbox_var.get()
        parts = [str(conversation_id)] if conversation_id else []
        if inbox_id is not None:
            parts.append(f"#{inbox_id}")
        record.ids = f" [{' '.join(parts)}]" if parts else ""
        return self.redact(super().format(self.with_private_message(record)))


class JsonFormatter(_Redacting):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the ids of the
    message being handled (null outside one) and the exception's traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        conversation_id = getattr(record, "conversation_id", None) or conversation_var.get()
        inbox_id = getattr(record, "inbox_id", None) or inbox_var.get()
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.redact(self.private(record.getMessage())),
            "conversation_id": conversation_id,
            "inbox_id": inbox_id,
        }
        if record.exc_info:
            entry["exception"] = self.redact(self.formatException(record.exc_info))
        elif record.exc_text:
            entry["exception"] = self.redact(self.private(record.exc_text))
        if record.stack_info:
            entry["stack"] = self.redact(self.formatStack(record.stack_info))
        return json.dumps(entry, ensure_ascii=False, default=str)


def make_formatter(
    fmt: str, secrets: Iterable[str | None] = (), personal: bool = True
) -> logging.Formatter:
    """The formatter for ``logging.format`` (``text`` or ``json``); ``personal``: replace
    personal data in messages (``privacy.redact_logs``)."""
    if fmt == "json":
        return JsonFormatter(secrets, personal)
    if fmt == "text":
        return TextFormatter(secrets, personal)
    raise ValueError(f"`logging.format` must be one of {', '.join(LOG_FORMATS)}, got {fmt!r}")


def configure_logging(
    cfg: Config, *, level: str | None = None, stream: IO[str] | None = None
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) in ``cfg.logging.format``, replacing the
    root logger's handlers (rasa-sdk installs its own coloured one); ``level`` overrides
    ``logging.level`` (a :class:`ConfigError` when it is not a level). Returns the handler."""
    chosen = (level or cfg.logging.level).upper()
    if chosen not in LOG_LEVELS:
        raise ConfigError(f"the log level must be one of {', '.join(LOG_LEVELS)}, got {level!r}")
    secrets = [getattr(cfg.secrets, name) for name in cfg.secrets.__dataclass_fields__]
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(make_formatter(cfg.logging.format, secrets, cfg.privacy.redact_logs))
    handler.addFilter(MessageContext())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(chosen)
    return handler
