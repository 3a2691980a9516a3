"""Wiring the handoff into the gateway: the staff desk only with Slack and a support channel,
the sentiment model only when it is built."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Config, ConfigError
from bot.gateway.__main__ import build_app
from bot.handoff.service import LazySentiment
from bot.handoff.setup import HANDOFF_KEY, load_sentiment
from tests.gateway.helpers import MakeClient, make_config


def test_sentiment_model_is_optional(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    def cfg(path: str) -> Config:
        return make_config(
            tmp_path, rasa_url="http://x", actions_url="http://x", handoff={"sentiment_model": path}
        )

    assert load_sentiment(cfg("")) is None
    with caplog.at_level(logging.WARNING):
        assert load_sentiment(cfg(str(tmp_path / "missing.pt"))) is None
    assert "missing.pt" in caplog.text and "trigger is off" in caplog.text
    built = tmp_path / "sentiment.pt"
    built.write_bytes(b"model")
    loaded = load_sentiment(cfg(str(built)))
    assert isinstance(loaded, LazySentiment) and loaded.path == built


def test_a_broken_model_file_is_named_when_used(tmp_path: Path) -> None:
    broken = tmp_path / "sentiment.pt"
    broken.write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="make train-sentiment"):
        LazySentiment(broken).score("hello")


def test_bad_handoff_settings_stop_the_app_being_built(tmp_path: Path) -> None:
    cfg = make_config(
        tmp_path, rasa_url="http://x", actions_url="http://x", shop={"service_hours": "9 to 5"}
    )
    with pytest.raises(ConfigError, match="service_hours"):
        build_app(cfg)


async def test_without_slack_there_is_no_desk_and_requests_become_tickets(
    make_client: MakeClient, engine: AsyncEngine
) -> None:
    client = await make_client()
    parts = client.app[HANDOFF_KEY]
    assert parts.desk is None and parts.service is not None and not parts.service.available
    response = await client.post(
        "/api/chat", json={"sender_id": "demo-emma", "text": "I want a real person"}
    )
    [message] = (await response.json())["messages"]
    assert "ticket TK-" in message["text"]
