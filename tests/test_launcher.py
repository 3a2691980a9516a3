import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import bot.launcher as launcher
from bot.launcher import (
    GENERATED_SECRETS,
    RASA_TOKEN_SHIM,
    Stack,
    StackPorts,
    load_dotenv,
    redact,
)


def test_dotenv_generates_missing_secrets_once(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    env: dict[str, str] = {}
    generated = load_dotenv(path, env)
    assert generated == list(GENERATED_SECRETS)
    assert "ADMIN_TOKEN" in generated and "RASA_AUTH_TOKEN" in generated
    token = env["ADMIN_TOKEN"]
    rasa_token = env["RASA_AUTH_TOKEN"]
    assert len(token) >= 24 and len(rasa_token) >= 24 and token != rasa_token
    again: dict[str, str] = {}
    assert load_dotenv(path, again) == []
    assert again["ADMIN_TOKEN"] == token
    assert again["RASA_AUTH_TOKEN"] == rasa_token
    assert path.stat().st_mode & 0o077 == 0


def test_dotenv_generates_the_web_identity_secret_once(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    env = {"ADMIN_TOKEN": "set"}
    assert "WEB_IDENTITY_SECRET" in load_dotenv(path, env)
    secret = env["WEB_IDENTITY_SECRET"]
    assert len(secret) >= 24 and secret != env["ADMIN_TOKEN"]
    again = {"ADMIN_TOKEN": "set"}
    assert load_dotenv(path, again) == []
    assert again["WEB_IDENTITY_SECRET"] == secret


def test_dotenv_never_overrides_the_environment(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    others = {name: f"{name.lower()}-from-file" for name in GENERATED_SECRETS[1:]}
    lines = "".join(f"{name}={value}\n" for name, value in others.items())
    path.write_text(f"ADMIN_TOKEN=from-file\n# comment\nOTHER='x'\n{lines}", encoding="utf-8")
    env = {"ADMIN_TOKEN": "from-env"}
    assert load_dotenv(path, env) == []
    assert env == {"ADMIN_TOKEN": "from-env", "OTHER": "x", **others}


def _stack(tmp_path: Path, **extra_env: str) -> Stack:
    return Stack(
        ports=StackPorts(15005, 15055, 18000, "127.0.0.1"),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        log_dir=tmp_path / "logs",
        model_path=tmp_path / "model.tar.gz",
        extra_env=extra_env,
    )


def _started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **extra_env: str
) -> tuple[Stack, dict[str, tuple[list[str], dict[str, str]]]]:
    """Start a stack whose children are only recorded, not run."""
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    (tmp_path / "model.tar.gz").write_bytes(b"")
    fake_bin = tmp_path / "rasa"
    fake_bin.write_text("")
    monkeypatch.setattr(launcher, "RASA_BIN", fake_bin)
    monkeypatch.setattr(launcher, "RASA_PYTHON", fake_bin)
    spawned: dict[str, tuple[list[str], dict[str, str]]] = {}

    def record(self: Stack, name: str, cmd: list[str], cwd: Path, env: dict[str, str]) -> None:
        spawned[name] = (cmd, env)

    monkeypatch.setattr(Stack, "_spawn", record)
    stack = _stack(tmp_path, **extra_env)
    stack.start()
    return stack, spawned


def test_rasa_always_gets_a_token_and_the_gateway_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack, spawned = _started(tmp_path, monkeypatch)
    token = stack.rasa_auth_token
    assert len(token) >= 24
    rasa_cmd, rasa_env = spawned["rasa"]
    assert rasa_env["RASA_AUTH_TOKEN"] == token
    assert spawned["gateway"][1]["RASA_AUTH_TOKEN"] == token
    assert "--enable-api" in rasa_cmd
    # Never on a command line (ps, /proc/<pid>/cmdline): the shim adds it inside the process.
    for cmd, _env in spawned.values():
        assert not any(token in part for part in cmd)
        assert not any(part.startswith("--auth-token") for part in cmd)
    # Another stack gets another random token.
    other, _ = _started(tmp_path, monkeypatch)
    assert other.rasa_auth_token != token


def test_a_configured_token_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stack, spawned = _started(tmp_path, monkeypatch, RASA_AUTH_TOKEN="configured-token-123")
    assert stack.rasa_auth_token == "configured-token-123"
    assert spawned["rasa"][1]["RASA_AUTH_TOKEN"] == "configured-token-123"
    assert spawned["gateway"][1]["RASA_AUTH_TOKEN"] == "configured-token-123"


def test_the_shim_passes_the_token_to_rasa_and_drops_the_variable(tmp_path: Path) -> None:
    fake = tmp_path / "rasa"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        "import os, sys\n"
        "def main():\n"
        "    print(repr(sys.argv[1:]), 'RASA_AUTH_TOKEN' in os.environ)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path), RASA_AUTH_TOKEN="secret-token-xyz")
    out = subprocess.run(
        [sys.executable, "-c", RASA_TOKEN_SHIM, "run", "--enable-api"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "['run', '--enable-api', '--auth-token=secret-token-xyz'] False"


def test_the_token_never_reaches_a_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A child that prints the token (as Rasa's debug access log would print ?token=...) and the
    launcher's own log lines: the token is redacted everywhere."""
    monkeypatch.delenv("RASA_AUTH_TOKEN", raising=False)
    stack = _stack(tmp_path, RASA_AUTH_TOKEN="very-secret-rasa-token")
    env = stack._env()
    script = (
        "import os, sys; t = os.environ['RASA_AUTH_TOKEN']; "
        "print('GET /conversations/x/tracker?token=' + t); "
        "print('token again', t, file=sys.stderr)"
    )
    with caplog.at_level(logging.DEBUG, logger="bot.launcher"):
        stack._spawn(
            "child", [sys.executable, "-c", script, "very-secret-rasa-token"], tmp_path, env
        )
        proc = stack.procs["child"]
        proc.wait(timeout=20)
        deadline = time.monotonic() + 10
        log = stack.log_dir / "child.log"
        while time.monotonic() < deadline and "token again" not in log.read_text():
            time.sleep(0.05)
        stack.stop()
    text = log.read_text()
    assert "GET /conversations/x/tracker?token=***" in text
    assert "token again ***" in text
    assert "very-secret-rasa-token" not in text
    assert "Starting child" in caplog.text
    assert "very-secret-rasa-token" not in caplog.text


def test_a_token_that_starts_with_a_dash_reaches_rasa_as_the_tokens_value(
    tmp_path: Path,
) -> None:
    """token_urlsafe may start with "-": given as a separate argument it would read as an
    option and Rasa would refuse to start."""
    fake = tmp_path / "rasa"
    fake.mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "__main__.py").write_text(
        "import argparse\n"
        "def main():\n"
        "    parser = argparse.ArgumentParser()\n"
        "    parser.add_argument('--auth-token')\n"
        "    print(parser.parse_args().auth_token)\n"
    )
    env = dict(os.environ, PYTHONPATH=str(tmp_path), RASA_AUTH_TOKEN="-dash-first-token")
    out = subprocess.run(
        [sys.executable, "-c", RASA_TOKEN_SHIM], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "-dash-first-token"


def test_redact_ignores_short_or_empty_values() -> None:
    assert redact("a-b-c token=abcdefgh123", ["abcdefgh123", "", None, "a"]) == "a-b-c token=***"
