"""The lock files pin every dependency at the version pyproject.toml / requirements-rasa.txt ask
for, and scripts/lock.py (make lock) resolves what an environment has installed."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.lock import LockError, render, requirements_file, resolve

ROOT = Path(__file__).resolve().parents[2]


def _lock(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, version = line.split("==")
            assert canonicalize_name(name) == name, f"{path.name}: {name} is not normalised"
            assert name not in pins, f"{path.name}: {name} twice"
            pins[name] = version
    return pins


def _assert_pins(requirements: list[str], pins: dict[str, str], lock: str) -> None:
    for text in requirements:
        req = Requirement(text)
        name = canonicalize_name(req.name)
        assert name in pins, f"{lock} does not pin {name}"
        assert req.specifier.contains(pins[name], prereleases=True), (lock, text, pins[name])


def test_requirements_lock_pins_pyproject() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = _lock(ROOT / "requirements.lock")
    _assert_pins(pyproject["project"]["dependencies"], pins, "requirements.lock")
    assert pins["torch"] == "2.13.0"  # the CPU build of the image has this version
    assert not any(n.startswith("nvidia-") or n == "triton" for n in pins), "CUDA packages"
    assert "python 3.11" in (ROOT / "requirements.lock").read_text().lower()


def test_requirements_rasa_lock_pins_requirements_rasa() -> None:
    pins = _lock(ROOT / "requirements-rasa.lock")
    top = requirements_file(ROOT / "requirements-rasa.txt")
    _assert_pins(top, pins, "requirements-rasa.lock")
    assert pins["rasa"] == "3.6.21"
    assert "jieba" in pins  # rasa[jieba]
    # What endpoints.scale.yml needs: PostgreSQL tracker store, Redis lock store, RabbitMQ.
    assert {"psycopg2-binary", "redis", "aio-pika"} <= set(pins)
    assert "python 3.10" in (ROOT / "requirements-rasa.lock").read_text().lower()


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-rasa.lock"])
def test_lock_header_says_how_to_regenerate(lock: str) -> None:
    head = (ROOT / lock).read_text(encoding="utf-8").splitlines()[:3]
    assert all(line.startswith("#") for line in head)
    assert any("make lock" in line for line in head)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    target = makefile[makefile.index("\nlock:") :].split("\n\n", 1)[0]
    assert f"--out {lock}" in target


def test_resolve_follows_the_installed_requirements() -> None:
    pins = resolve(["aiohttp==3.14.5"], exclude=set())
    assert pins["aiohttp"] == "3.14.5"
    for text in metadata.requires("aiohttp") or []:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            assert canonicalize_name(req.name) in pins, req.name
    assert "pytest" not in pins
    assert "multidict" not in resolve(["aiohttp==3.14.5"], exclude={"multidict"})


def test_resolve_refuses_an_environment_that_does_not_match() -> None:
    with pytest.raises(
        LockError, match=r"aiohttp 3\.14\.5 is installed but aiohttp==1\.0 is required"
    ):
        resolve(["aiohttp==1.0"], exclude=set())
    with pytest.raises(LockError, match="not-a-package-here is required but not installed"):
        resolve(["not-a-package-here==1.0"], exclude=set())


def test_render_writes_a_sorted_lock_with_a_header() -> None:
    text = render({"b": "2", "a": "1"}, "python scripts/lock.py --out x", "pyproject.toml")
    lines = text.splitlines()
    assert lines[-2:] == ["a==1", "b==2"]
    assert re.search(r"make lock.*scripts/lock.py --out x", lines[2])
