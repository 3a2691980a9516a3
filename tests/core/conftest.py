"""The core's pipeline tests reuse the gateway's fakes: a scripted Rasa and action server."""

from tests.gateway.conftest import actions_url, engine, fake_rasa

__all__ = ["actions_url", "engine", "fake_rasa"]
