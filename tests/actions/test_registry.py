"""The action server registers exactly the custom actions the domain lists."""

from __future__ import annotations

from typing import Any

from rasa_sdk.executor import ActionExecutor


def test_domain_actions_are_the_registered_actions(domain: dict[str, Any]) -> None:
    executor = ActionExecutor()
    executor.register_package("bot.actions")
    registered = {name for name in executor.actions if not name.startswith("test")}
    assert set(domain["actions"]) == registered
