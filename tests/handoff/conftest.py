"""The handoff's tests run the service on the real pipeline with the gateway's fakes."""

from tests.gateway.conftest import actions_url, engine, fake_rasa
from tests.handoff.harness import make_harness

__all__ = ["actions_url", "engine", "fake_rasa", "make_harness"]
