from pathlib import Path

from bot.launcher import load_dotenv


def test_dotenv_generates_missing_admin_token_once(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    env: dict[str, str] = {}
    assert load_dotenv(path, env) == ["ADMIN_TOKEN"]
    token = env["ADMIN_TOKEN"]
    assert len(token) >= 24
    again: dict[str, str] = {}
    assert load_dotenv(path, again) == []
    assert again["ADMIN_TOKEN"] == token


def test_dotenv_never_overrides_the_environment(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("ADMIN_TOKEN=from-file\n# comment\nOTHER='x'\n", encoding="utf-8")
    env = {"ADMIN_TOKEN": "from-env"}
    assert load_dotenv(path, env) == []
    assert env == {"ADMIN_TOKEN": "from-env", "OTHER": "x"}
