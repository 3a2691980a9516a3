"""Write a lock file: every package a requirement set needs, at the version installed here.

Run with the Python of the environment to lock (`make lock` runs it for both):

    .venv/bin/python scripts/lock.py --pyproject pyproject.toml --out requirements.lock
    .venv-rasa/bin/python scripts/lock.py --requirements requirements-rasa.txt \
        --out requirements-rasa.lock

It walks the installed distributions' metadata from the top-level requirements (extras and
environment markers evaluated for this interpreter and platform) and writes `name==version`
for each, sorted. A requirement that is not installed, or installed at a version its specifier
refuses, stops it with an error: the environment is out of date (`make env` / `make rasa-env`).
Runs on Python 3.10 and 3.11 with the standard library and `packaging`.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

# packaging is installed in both environments (matplotlib and rasa need it).
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


class LockError(Exception):
    """The environment does not satisfy the requirements; the message names the package."""


def pyproject_requirements(path: Path) -> list[str]:
    """``[project].dependencies`` of a pyproject.toml (tomllib on 3.11, a small reader on 3.10)."""
    text = path.read_text(encoding="utf-8")
    try:
        import tomllib

        return list(tomllib.loads(text)["project"]["dependencies"])
    except ImportError:  # pragma: no cover - Python 3.10
        block = re.search(r"^dependencies\s*=\s*\[(.*?)^\]", text, re.S | re.M)
        if block is None:
            raise LockError(f"{path}: no [project] dependencies list") from None
        return re.findall(r'^\s*"([^"]+)"', block.group(1), re.M)


def requirements_file(path: Path) -> list[str]:
    lines = (
        line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines()
    )
    return [line for line in lines if line and not line.startswith("-")]


def resolve(top_level: list[str], exclude: set[str]) -> dict[str, str]:
    """Installed name -> version for the requirements and everything they need."""
    pinned: dict[str, str] = {}
    seen: set[tuple[str, frozenset[str]]] = set()
    queue = [(Requirement(text), frozenset[str]()) for text in top_level]
    while queue:
        req, parent_extras = queue.pop()
        env = {"extra": ""}
        if req.marker is not None and not any(
            req.marker.evaluate({**env, "extra": extra}) for extra in (parent_extras or {""})
        ):
            continue
        name = canonicalize_name(req.name)
        key = (name, frozenset(req.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(req.name)
        except metadata.PackageNotFoundError:
            raise LockError(f"{req.name} is required but not installed") from None
        version = dist.version
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            raise LockError(f"{req.name} {version} is installed but {req} is required")
        if name not in exclude:
            pinned[name] = version.split("+", 1)[0]
        queue.extend((Requirement(text), frozenset(req.extras)) for text in dist.requires or [])
    return pinned


def render(pinned: dict[str, str], command: str, source: str) -> str:
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    header = [
        f"# Lock file for {source} on Python {python} ({sys.platform}); generated, do not edit.",
        "# Every package the requirements need, at the version installed in the environment.",
        f"# Regenerate with `make lock` (runs: {command}).",
    ]
    return "\n".join([*header, *(f"{n}=={v}" for n, v in sorted(pinned.items())), ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pyproject", type=Path, help="lock [project].dependencies of this file")
    source.add_argument("--requirements", type=Path, help="lock this requirements file")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument(
        "--exclude", action="append", default=[], help="leave out this package (repeatable)"
    )
    args = parser.parse_args(argv)
    if args.pyproject is not None:
        top, origin = pyproject_requirements(args.pyproject), f"{args.pyproject}"
    else:
        top, origin = requirements_file(args.requirements), f"{args.requirements}"
    try:
        pinned = resolve(top, {canonicalize_name(n) for n in args.exclude})
    except LockError as exc:
        print(f"lock: {exc}; rebuild the environment first", file=sys.stderr)
        return 1
    command = " ".join(["python scripts/lock.py", *(argv if argv is not None else sys.argv[1:])])
    args.out.write_text(render(pinned, command, origin), encoding="utf-8")
    print(f"Wrote {args.out}: {len(pinned)} packages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
