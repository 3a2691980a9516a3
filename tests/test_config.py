from pathlib import Path

import pytest

from bot.config import ConfigError, load_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_repository_config_loads_with_documented_defaults() -> None:
    cfg = load_config(env={})
    assert cfg.gateway.port == 8000
    assert cfg.database.url.startswith("sqlite+aiosqlite:///")
    assert cfg.secrets.admin_token is None


def test_environment_overrides_file_and_explicit_overrides_win(tmp_path: Path) -> None:
    path = write(tmp_path, "gateway:\n  port: 8100\n")
    assert load_config(path, env={}).gateway.port == 8100
    assert load_config(path, env={"GATEWAY_PORT": "8200"}).gateway.port == 8200
    cfg = load_config(path, env={"GATEWAY_PORT": "8200"}, overrides={"gateway": {"port": 8300}})
    assert cfg.gateway.port == 8300


def test_secrets_come_only_from_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "shop:\n  name: X\n")
    cfg = load_config(path, env={"ADMIN_TOKEN": "s3cret"})
    assert cfg.require_admin_token() == "s3cret"
    with pytest.raises(ConfigError, match="ADMIN_TOKEN"):
        load_config(path, env={}).require_admin_token()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("gateway:\n  port: eighty\n", "gateway.port"),
        ("nope:\n  a: 1\n", "unknown section"),
        ("gateway:\n  prot: 1\n", "unknown key"),
        ("orders:\n  cancellable_statuses: paid\n", "must be a list"),
        ("- a\n- b\n", "mapping of sections"),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), env={})


def test_several_rasa_servers_come_from_comma_separated_variables() -> None:
    cfg = load_config(
        path="/nonexistent.yml",
        env={
            "RASA_URLS": "http://127.0.0.1:5005, http://127.0.0.1:5006",
            "ACTION_SERVER_URLS": "http://127.0.0.1:5055,http://127.0.0.1:5056",
            "RASA_TIMEOUT_S": "12.5",
        },
    )
    assert cfg.rasa.urls == ("http://127.0.0.1:5005", "http://127.0.0.1:5006")
    assert cfg.actions.urls == ("http://127.0.0.1:5055", "http://127.0.0.1:5056")
    assert cfg.rasa.timeout_s == 12.5
    assert load_config(path="/nonexistent.yml", env={}).rasa.urls == ()


def test_each_rasa_is_paired_with_the_action_server_it_calls() -> None:
    from bot.gateway.app import rasa_pairs

    def pairs(env: dict[str, str]) -> list[tuple[str, str]]:
        return rasa_pairs(load_config(path="/nonexistent.yml", env=env))

    assert pairs({}) == [("http://127.0.0.1:5005", "http://127.0.0.1:5055")]
    assert pairs(
        {"RASA_URLS": "http://a:1,http://b:2", "ACTION_SERVER_URLS": "http://c:3,http://d:4"}
    ) == [
        ("http://a:1", "http://c:3"),
        ("http://b:2", "http://d:4"),
    ]
    with pytest.raises(ConfigError, match="ACTION_SERVER_URLS"):
        pairs({"RASA_URLS": "http://a:1,http://b:2", "ACTION_SERVER_URLS": "http://c:3"})
