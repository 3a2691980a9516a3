"""The stamp every report carries: the commit it was measured at, when, and on what machine.

Report writers put :func:`stamp` under the ``"stamp"`` key of their JSON and
:func:`stamp_line` near the top of their Markdown. Shell writers (``scripts/fresh-clone.sh``)
and reports written by code that does not stamp itself use the command line::

    python -m bot.report_stamp line          # the Markdown line
    python -m bot.report_stamp json          # the JSON object
    python -m bot.report_stamp add FILE.json [--md FILE.md]   # stamp a written report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.config import REPO_ROOT

STAMP_KEY = "stamp"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown CPU"


def machine() -> str:
    """``"<cores> cores, <CPU model>"``."""
    return f"{os.cpu_count()} cores, {cpu_model()}"


def commit() -> str:
    """The short hash of HEAD, with ``+changes`` when tracked files differ from it; reports/
    and README.md do not count (``make reports`` rewrites them: the reports and their numbers
    block, not what is measured)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        dirty = subprocess.run(
            [
                "git",
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!reports",
                ":!README.md",
            ],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip() + ("+changes" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def stamp(now: datetime | None = None) -> dict[str, Any]:
    """``{"commit", "date", "machine", "cores", "cpu"}`` for the report being written now."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "commit": commit(),
        "date": when.strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "cores": os.cpu_count() or 0,
        "cpu": cpu_model(),
    }


def format_stamp(value: dict[str, Any]) -> str:
    """The one-line Markdown form of a stamp."""
    return f"Generated {value['date']} at commit {value['commit']} on {value['machine']}."


def stamp_lines(value: dict[str, Any] | None) -> list[str]:
    """The stamp line and a blank line, for a Markdown report; nothing without a stamp."""
    return [format_stamp(value), ""] if value else []


def stamp_line(now: datetime | None = None) -> str:
    return format_stamp(stamp(now))


def add_stamp(json_path: Path, md_path: Path | None = None) -> dict[str, Any]:
    """Stamp a report that its writer left unstamped: the JSON object gets ``"stamp"`` (a
    list report is wrapped as ``{"stamp", "items"}``) and the Markdown gets the stamp line
    after its title. Returns the stamp."""
    value = stamp()
    data = json.loads(json_path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        data = {"items": data}
    data[STAMP_KEY] = value
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if md_path is not None:
        lines = md_path.read_text(encoding="utf-8").splitlines()
        lines = [ln for ln in lines if not ln.startswith("Generated ") or " at commit " not in ln]
        at = 1 if lines and lines[0].startswith("# ") else 0
        insert = ["", format_stamp(value)] if at else [format_stamp(value), ""]
        lines[at:at] = insert
        md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("line", help="print the Markdown stamp line")
    sub.add_parser("json", help="print the stamp as JSON")
    add = sub.add_parser("add", help="stamp a report written by unstamped code")
    add.add_argument("json_path", type=Path)
    add.add_argument("--md", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "line":
        print(stamp_line())
    elif args.command == "json":
        print(json.dumps(stamp()))
    else:
        for path in (args.json_path, args.md):
            if path is not None and not path.is_file():
                print(f"report_stamp: {path} does not exist", file=sys.stderr)
                return 2
        add_stamp(args.json_path, args.md)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
