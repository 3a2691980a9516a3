from pathlib import Path

from bot.launcher import GENERATED_SECRETS, load_dotenv


def test_dotenv_generates_missing_admin_token_once(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    env: dict[str, str] = {}
    assert load_dotenv(path, env) == list(GENERATED_SECRETS)
    token = env["ADMIN_TOKEN"]
    assert len(token) >= 24
    again: dict[str, str] = {}
    assert load_dotenv(path, again) == []
    assert again["ADMIN_TOKEN"] == token


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
