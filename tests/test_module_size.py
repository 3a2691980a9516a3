"""No Python module in bot/ or adapters/ is longer than MAX_LINES, except pure data tables.

A module that grows past the limit is split along a real seam (see docs/architecture.md), not
given an exception: the allow-list is for modules that only hold data.

``python tests/test_module_size.py`` prints the offenders.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters")
MAX_LINES = 600
# Pure data tables (no logic), allowed to be longer; paths relative to the repository root.
DATA_MODULES = frozenset({"bot/shop/catalog_data.py"})


def line_count(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def oversized(
    root: Path,
    packages: tuple[str, ...] = PACKAGES,
    limit: int = MAX_LINES,
    allowed: frozenset[str] = DATA_MODULES,
) -> list[tuple[str, int]]:
    """(path relative to ``root``, lines) of every module over ``limit`` lines, longest first."""
    found = []
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root).as_posix()
            if name in allowed:
                continue
            lines = line_count(path)
            if lines > limit:
                found.append((name, lines))
    return sorted(found, key=lambda item: (-item[1], item[0]))


def report(offenders: list[tuple[str, int]], limit: int = MAX_LINES) -> str:
    listed = "\n".join(f"  {name}: {lines} lines" for name, lines in offenders)
    return (
        f"{len(offenders)} module(s) over {limit} lines (split them along a real seam):\n{listed}"
    )


def test_no_module_over_the_limit() -> None:
    offenders = oversized(REPO)
    assert not offenders, report(offenders)


def test_the_allowed_data_modules_exist() -> None:
    # A stale entry would silently allow a future module of that name.
    for name in DATA_MODULES:
        assert (REPO / name).is_file(), f"{name} is allow-listed but does not exist"


def test_the_check_catches_an_oversized_module(tmp_path: Path) -> None:
    package = tmp_path / "bot" / "sub"
    package.mkdir(parents=True)
    (package / "big.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    (package / "at_limit.py").write_text("x = 1\n" * MAX_LINES, encoding="utf-8")
    (package / "data.py").write_text("x = 1\n" * (MAX_LINES + 5), encoding="utf-8")
    (tmp_path / "adapters").mkdir()
    (tmp_path / "adapters" / "long.py").write_text("x = 1\n" * 700, encoding="utf-8")
    (tmp_path / "scripts").mkdir()
    (tmp_path / "scripts" / "elsewhere.py").write_text("x = 1\n" * 900, encoding="utf-8")

    offenders = oversized(tmp_path, allowed=frozenset({"bot/sub/data.py"}))

    assert offenders == [("adapters/long.py", 700), ("bot/sub/big.py", MAX_LINES + 1)]
    message = report(offenders)
    assert "adapters/long.py: 700 lines" in message
    assert f"bot/sub/big.py: {MAX_LINES + 1} lines" in message


if __name__ == "__main__":
    found = oversized(REPO)
    print(report(found) if found else f"no module over {MAX_LINES} lines")
    raise SystemExit(1 if found else 0)
