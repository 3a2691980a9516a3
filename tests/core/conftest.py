"""The core's pipeline tests reuse the gateway's fakes: a scripted Rasa and action server; the
handoff tests here use the handoff harness."""

from tests.gateway.conftest import actions_url, engine, fake_rasa
from tests.handoff.harness import make_harness

__all__ = ["actions_url", "engine", "fake_rasa", "make_harness"]
