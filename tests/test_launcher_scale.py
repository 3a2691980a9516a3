"""The scale profile's settings and command lines (bot/launcher_scale.py), without starting
anything: the children are recorded instead of run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import bot.launcher as launcher
import bot.launcher_scale as launcher_scale
from bot.launcher import Stack
from bot.launcher_scale import ScaleSettings, ScaleStack

Spawned = dict[str, tuple[list[str], dict[str, str]]]


def test_the_defaults_are_the_machines_services_and_two_of_each() -> None:
    settings = ScaleSettings.from_env({})
    assert settings.database_url == "postgresql+asyncpg://postgres@127.0.0.1:5432/shopbot_scale"
    assert settings.redis_url == "redis://127.0.0.1:6379/0"
    assert settings.rabbitmq_url == "amqp://guest:guest@127.0.0.1:5672/"
    assert [(p.rasa, p.actions, p.gateway) for p in settings.lanes()] == [
        (5005, 5055, 8000),
        (5006, 5056, 8001),
    ]


def test_everything_is_overridable_from_the_environment() -> None:
    settings = ScaleSettings.from_env(
        {
            "SCALE_DATABASE_URL": "postgresql+asyncpg://shop:p%40ss@db.internal:6432/shop",
            "SCALE_REDIS_URL": "redis://:secret@cache:6380/3",
            "SCALE_RABBITMQ_URL": "amqp://bot:pw@mq:5673/",
            "SCALE_EVENTS_QUEUE": "events_x",
            "SCALE_LOCK_PREFIX": "shopA",
            "SCALE_RASA_PORTS": "6005,6006,6007",
            "SCALE_ACTION_PORTS": "6055,6056,6057",
            "SCALE_GATEWAY_PORTS": "9000,9001,9002",
        }
    )
    assert len(settings.lanes()) == 3
    assert settings.rasa_env() == {
        "TRACKER_DB_HOST": "db.internal",
        "TRACKER_DB_PORT": "6432",
        "TRACKER_DB_NAME": "shop",
        "TRACKER_DB_USER": "shop",
        "TRACKER_DB_PASSWORD": "p@ss",
        "LOCK_REDIS_HOST": "cache",
        "LOCK_REDIS_PORT": "6380",
        "LOCK_REDIS_DB": "3",
        "LOCK_REDIS_PASSWORD": "secret",
        "LOCK_KEY_PREFIX": "shopA",
        "BROKER_HOST": "mq",
        "BROKER_PORT": "5673",
        "BROKER_USER": "bot",
        "BROKER_PASSWORD": "pw",
        "BROKER_QUEUE": "events_x",
    }


@pytest.mark.parametrize(
    ("env", "name"),
    [
        ({"SCALE_DATABASE_URL": "sqlite+aiosqlite:///x.db"}, "SCALE_DATABASE_URL"),
        ({"SCALE_REDIS_URL": "http://cache"}, "SCALE_REDIS_URL"),
        ({"SCALE_RABBITMQ_URL": "amqp://"}, "SCALE_RABBITMQ_URL"),
        ({"SCALE_RASA_PORTS": "5005,x"}, "SCALE_RASA_PORTS"),
        ({"SCALE_GATEWAY_PORTS": "70000"}, "SCALE_GATEWAY_PORTS"),
        ({"SCALE_ACTION_PORTS": "5055"}, "SCALE_ACTION_PORTS"),
        ({"SCALE_LOCK_PREFIX": "a-b"}, "SCALE_LOCK_PREFIX"),
    ],
)
def test_a_bad_setting_is_refused_naming_it(env: dict[str, str], name: str) -> None:
    with pytest.raises(ValueError, match=name):
        ScaleSettings.from_env(env)


def test_main_refuses_a_bad_setting_before_starting_anything(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SCALE_RASA_PORTS", "nope")
    assert launcher.main(["--profile", "scale"]) == 2
    assert "SCALE_RASA_PORTS" in capsys.readouterr().err


def _started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[ScaleStack, list[Spawned]]:
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    (tmp_path / "model.tar.gz").write_bytes(b"")
    fake_bin = tmp_path / "rasa"
    fake_bin.write_text("")
    monkeypatch.setattr(launcher, "RASA_BIN", fake_bin)
    monkeypatch.setattr(launcher, "RASA_PYTHON", fake_bin)
    prepared: list[str] = []

    async def prepare(url: str) -> bool:
        prepared.append(url)
        return True

    monkeypatch.setattr(launcher_scale, "prepare_database", prepare)
    spawned: dict[int, Spawned] = {}

    def record(self: Stack, name: str, cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
        spawned.setdefault(id(self), {})[name] = (cmd, env)

    monkeypatch.setattr(Stack, "_spawn", record)
    waited: list[tuple[int, tuple[str, ...]]] = []

    def wait(self: Stack, timeout_s: float = 0, *, only: tuple[str, ...] = ()) -> None:
        waited.append((self.ports.gateway, tuple(only)))

    monkeypatch.setattr(Stack, "wait_ready", wait)
    stack = ScaleStack(
        ScaleSettings.from_env({"SCALE_EVENTS_QUEUE": "q1", "SCALE_LOCK_PREFIX": "t1"}),
        tmp_path / "logs",
        tmp_path / "model.tar.gz",
    )
    stack.start()
    assert prepared == [stack.settings.database_url]
    # The gateways start one after another, each once the one before answers.
    assert waited == [(8000, ("gateway",)), (8001, ("gateway",))]
    assert stack.consumer is not None
    order = [*stack.lanes, stack.consumer]
    return stack, [spawned[id(s)] for s in order]


def test_two_lanes_and_a_consumer_with_their_command_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, (lane1, lane2, consumer) = _started(tmp_path, monkeypatch)
    assert set(lane1) == set(lane2) == {"actions", "rasa", "gateway"}
    tokens = set()
    for lane, (rasa_port, actions_port, gateway_port) in (
        (lane1, (5005, 5055, 8000)),
        (lane2, (5006, 5056, 8001)),
    ):
        rasa_cmd, rasa_env = lane["rasa"]
        assert rasa_cmd[rasa_cmd.index("--endpoints") + 1] == "endpoints.scale.yml"
        assert rasa_cmd[rasa_cmd.index("-p") + 1] == str(rasa_port)
        # Each Rasa calls its own lane's action server; its stores come from the settings.
        assert rasa_env["ACTION_ENDPOINT_URL"] == f"http://127.0.0.1:{actions_port}/webhook"
        assert rasa_env["TRACKER_DB_NAME"] == "shopbot_scale"
        assert rasa_env["BROKER_QUEUE"] == "q1" and rasa_env["LOCK_KEY_PREFIX"] == "t1"
        actions_cmd, _ = lane["actions"]
        assert actions_cmd[actions_cmd.index("-p") + 1] == str(actions_port)
        gateway_cmd, gateway_env = lane["gateway"]
        assert gateway_cmd == [sys.executable, "-m", "bot.gateway"]
        assert gateway_env["GATEWAY_PORT"] == str(gateway_port)
        assert gateway_env["SHOP_DATABASE_URL"] == stack.settings.database_url
        tokens |= {rasa_env["RASA_AUTH_TOKEN"], gateway_env["RASA_AUTH_TOKEN"]}
    # Any gateway may call any Rasa: one token, and each gateway's own lane first.
    assert len(tokens) == 1
    assert lane1["gateway"][1]["RASA_URLS"] == "http://127.0.0.1:5005,http://127.0.0.1:5006"
    assert lane2["gateway"][1]["RASA_URLS"] == "http://127.0.0.1:5006,http://127.0.0.1:5005"
    assert lane2["gateway"][1]["ACTION_SERVER_URLS"] == (
        "http://127.0.0.1:5056,http://127.0.0.1:5055"
    )
    cmd, env = consumer["analytics"]
    assert cmd == [sys.executable, "-m", "bot", "analytics-consumer"]
    assert env["RABBITMQ_URL"] == "amqp://guest:guest@127.0.0.1:5672/"
    assert env["RASA_EVENTS_QUEUE"] == "q1"
    assert env["SHOP_DATABASE_URL"] == stack.settings.database_url


def test_a_killed_rasa_restarts_with_the_scale_endpoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, (lane1, _lane2, _consumer) = _started(tmp_path, monkeypatch)
    first = lane1["rasa"]
    lane1.clear()
    stack.lanes[0].start_one("rasa")
    assert lane1["rasa"][0] == first[0]
    stack.lanes[0].start_one("gateway")
    assert lane1["gateway"][1]["RASA_URLS"].startswith("http://127.0.0.1:5005,")


def test_a_scratch_copy_has_its_own_database_queue_locks_and_ports() -> None:
    base = ScaleSettings(database_url="postgresql+asyncpg://shop:pw@db.internal:5433/shop")
    first, second = base.scratch("bench"), base.scratch("bench")
    assert first.database_url.startswith(
        "postgresql+asyncpg://shop:pw@db.internal:5433/shop_bench_"
    )
    assert first.database_url != second.database_url
    assert first.events_queue.startswith("bench_") and first.lock_prefix.startswith("bench")
    assert (first.redis_url, first.rabbitmq_url) == (base.redis_url, base.rabbitmq_url)
    assert len(first.rasa_ports) == len(base.rasa_ports) and first.gateway_host == "127.0.0.1"
    assert first.rasa_ports != base.rasa_ports
