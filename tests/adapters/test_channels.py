"""Which channels the gateway serves (adapters/__init__.py) and how start-up fails without
their secrets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from adapters import enabled_channels
from bot.config import REPO_ROOT, Config, ConfigError, load_config


def cfg_with(tmp_path: Path, env: dict[str, str], **switches: str) -> Config:
    return load_config(path=tmp_path / "none.yml", env=env, overrides={"channels": dict(switches)})


@pytest.mark.parametrize(
    ("env", "switches", "expected"),
    [
        ({}, {}, []),
        ({"TELEGRAM_BOT_TOKEN": "1:x"}, {}, ["telegram"]),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "WECHAT_TOKEN": "t"}, {}, ["slack", "wechat"]),
        ({"TELEGRAM_BOT_TOKEN": "1:x"}, {"telegram": "off"}, []),
        ({"TELEGRAM_BOT_TOKEN": "1:x"}, {"telegram": "on"}, ["telegram"]),
        ({"TELEGRAM_BOT_TOKEN": ""}, {}, []),  # an empty variable is not a secret
    ],
)
def test_channels_follow_their_secrets_and_switches(
    tmp_path: Path, env: dict[str, str], switches: dict[str, str], expected: list[str]
) -> None:
    assert enabled_channels(cfg_with(tmp_path, env, **switches)) == expected


@pytest.mark.parametrize(
    ("channel", "variable"),
    [("telegram", "TELEGRAM_BOT_TOKEN"), ("slack", "SLACK_BOT_TOKEN"), ("wechat", "WECHAT_TOKEN")],
)
def test_a_channel_switched_on_without_its_secret_names_the_variable(
    tmp_path: Path, channel: str, variable: str
) -> None:
    with pytest.raises(ConfigError, match=variable):
        enabled_channels(cfg_with(tmp_path, {}, **{channel: "on"}))


def test_a_bad_switch_value_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"channels\.slack"):
        enabled_channels(cfg_with(tmp_path, {}, slack="sometimes"))


def test_yaml_booleans_are_switches(tmp_path: Path) -> None:
    path = tmp_path / "config.yml"
    path.write_text("channels:\n  telegram: off\n  wechat: on\n", encoding="utf-8")
    cfg = load_config(path=path, env={})
    assert (cfg.channels.telegram, cfg.channels.wechat) == ("off", "on")


def test_the_gateway_refuses_to_start_and_says_which_variable(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("channels:\n  wechat: on\n", encoding="utf-8")
    env = {"SHOP_CONFIG": str(config), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.gateway", "--port", "1"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "WECHAT_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr
