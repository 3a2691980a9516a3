"""Shop policies edited on the admin pages: return windows, shipping, service hours, the return
phone (``bot.config.POLICY_FIELDS``).

Their values live in config.yml; what an editor saves goes to a YAML overlay next to it
(``studio.policies_file``, by default ``config.policies.yml``), which :func:`bot.config.
load_config` reads over config.yml. So the gateway's FAQ answers use a saved value at once
(:class:`LivePolicies` re-reads the overlay when it changes), and every other process (the action
server's return windows, the handoff's service hours) at its next start. Every save is an audit
row (kind ``policy``).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.config import POLICY_FIELDS, Config, ConfigError, read_policies_overlay
from bot.handoff.rules import ServiceHours
from bot.studio.project import atomic_write, policy_values
from bot.studio.validate import Invalid, Problem

# name -> (lowest, highest) for the whole-number policies
RANGES: dict[str, tuple[int, int]] = {
    "return_days": (1, 365),
    "quality_return_days": (1, 365),
    "quality_exchange_days": (1, 365),
    "free_shipping_threshold": (0, 1_000_000),
    "shipping_fee": (0, 10_000),
}
PHONE = re.compile(r"\+?[0-9][0-9 ()-]{2,28}[0-9]")
HEADER = (
    '# Shop policies saved on the admin pages (README "Admin studio"); read over config.yml.\n'
    "# Delete a line to go back to config.yml's value.\n"
)


def check_policies(body: Mapping[str, Any], timezone: str) -> dict[str, int | str]:
    """The policy values in ``body`` (any subset of POLICY_FIELDS), or :class:`Invalid`."""
    problems: list[Problem] = []
    unknown = sorted(set(body) - set(POLICY_FIELDS))
    if unknown:
        problems.append(
            Problem(unknown[0], f"unknown policy {unknown}; known: {sorted(POLICY_FIELDS)}")
        )
    if not body:
        problems.append(Problem("policies", f"send at least one of {sorted(POLICY_FIELDS)}"))
    clean: dict[str, int | str] = {}
    for name, value in body.items():
        if name in RANGES:
            low, high = RANGES[name]
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(Problem(name, f"must be a whole number, got {value!r}"[:200]))
            elif not low <= value <= high:
                problems.append(Problem(name, f"must be between {low} and {high}, got {value}"))
            else:
                clean[name] = value
        elif name == "service_hours":
            if not isinstance(value, str) or len(value) > 100:
                problems.append(Problem(name, "must be a text like 09:00-21:00"))
                continue
            try:
                ServiceHours.parse(value, timezone)
            except ConfigError as exc:
                problems.append(Problem(name, str(exc).replace("`shop.service_hours` ", "")))
                continue
            clean[name] = value.strip()
        elif name == "return_phone":
            if not isinstance(value, str) or not PHONE.fullmatch(value.strip()):
                problems.append(
                    Problem(name, "must be a phone number like 400-820-8820 (digits, + - ( ))")
                )
                continue
            clean[name] = value.strip()
    if problems:
        raise Invalid(problems)
    return clean


@dataclass
class LivePolicies(Mapping[str, str]):
    """The placeholder values of FAQ answers: config's, with the overlay's saved values over
    them, re-read whenever the overlay file changes (another gateway may have saved)."""

    base: dict[str, str]
    path: Path
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stamp: tuple[int, int] | None = field(default=None, repr=False)
    _values: dict[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_config(cls, cfg: Config) -> LivePolicies:
        return cls(policy_values(cfg), Path(cfg.studio.policies_file))

    def overlay(self) -> dict[str, Any]:
        return read_policies_overlay(self.path)

    def current(self) -> dict[str, str]:
        try:
            stat = self.path.stat()
            stamp: tuple[int, int] | None = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            stamp = None
        with self._lock:
            if stamp != self._stamp or not self._values:
                saved = self.overlay() if stamp is not None else {}
                self._values = {**self.base, **{k: str(v) for k, v in saved.items()}}
                self._stamp = stamp
            return dict(self._values)

    def __getitem__(self, key: str) -> str:
        return self.current()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.current())

    def __len__(self) -> int:
        return len(self.current())

    def save(self, values: Mapping[str, int | str]) -> tuple[dict[str, str], dict[str, str]]:
        """Write ``values`` into the overlay (the others it holds stay); (before, after) of
        every policy's value."""
        before = self.current()
        y = YAML()
        y.width = 4096
        doc = y.load(self.path.read_text("utf-8")) if self.path.exists() else None
        if not isinstance(doc, dict) or not isinstance(doc.get("policies"), dict):
            doc = y.load(HEADER + "policies: {}\n")
        for name, value in values.items():
            doc["policies"][name] = value
        out = io.StringIO()
        y.dump(doc, out)
        atomic_write(self.path, out.getvalue())
        return before, self.current()

    def describe(self) -> dict[str, Any]:
        """Every policy: its value, whether it was saved on the admin pages (else it is
        config.yml's), its key in config.yml and its range."""
        saved = self.overlay()
        values = self.current()
        return {
            "policies": {
                name: {
                    "value": _typed(name, values[name]),
                    "saved": name in saved,
                    "config_key": ".".join(POLICY_FIELDS[name]),
                    **({"min": RANGES[name][0], "max": RANGES[name][1]} if name in RANGES else {}),
                }
                for name in POLICY_FIELDS
            },
            "file": str(self.path),
        }


def _typed(name: str, value: str) -> int | str:
    return int(value) if name in RANGES else value
