"""Progress for the long first-run steps (seeding, importing, training, starting the stack).

On a terminal a bar is redrawn in place; in a log (CI, ``make ... > file``) a line is written
at most every 10% so the log stays short. Output goes to stderr, so a command's own result
on stdout stays clean. ``SHOP_PROGRESS=0`` silences bars (the step lines stay).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

BAR_WIDTH = 28
LOG_STEP = 0.10  # without a terminal: one line per 10% done


def _enabled() -> bool:
    return os.environ.get("SHOP_PROGRESS", "1").strip().lower() not in {"0", "false", "no", "off"}


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.0f} s"
    minutes, seconds = divmod(int(value), 60)
    return f"{minutes} min {seconds:02d} s"


class Progress:
    """A bar for ``total`` units of work named ``label``; ``update(n)`` as work is done,
    ``close()`` at the end (or use it as a context manager)."""

    def __init__(
        self,
        label: str,
        total: int,
        *,
        unit: str = "",
        stream: TextIO | None = None,
        interactive: bool | None = None,
    ) -> None:
        if total < 0:
            raise ValueError(f"total must be 0 or more, not {total}")
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        if interactive is None:
            isatty = getattr(self.stream, "isatty", None)
            interactive = bool(isatty is not None and isatty())
        self.interactive = interactive
        self.enabled = _enabled()
        self.started = time.monotonic()
        self._last_logged = -1.0  # fraction last written without a terminal
        self._last_drawn = 0.0
        self._closed = False

    @property
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)

    def render(self, note: str = "") -> str:
        """The bar as text: ``label [#####.....]  40%  120/300 rows  12 s  note``."""
        filled = round(self.fraction * BAR_WIDTH)
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        unit = f" {self.unit}" if self.unit else ""
        elapsed = _seconds(time.monotonic() - self.started)
        count = f"{self.done}/{self.total}{unit}"
        text = f"{self.label} [{bar}] {self.fraction:4.0%}  {count}  {elapsed}"
        return f"{text}  {note}" if note else text

    def update(self, n: int = 1, note: str = "") -> None:
        self.done += n
        if not self.enabled or self._closed:
            return
        if self.interactive:
            now = time.monotonic()
            if now - self._last_drawn >= 0.1 or self.done >= self.total:
                self._last_drawn = now
                self.stream.write("\r" + self.render(note))
                self.stream.flush()
            return
        if self.fraction - self._last_logged >= LOG_STEP or (
            self.done >= self.total and self._last_logged < 1.0
        ):
            self._last_logged = self.fraction
            self.stream.write(self.render(note) + "\n")
            self.stream.flush()

    def close(self, note: str = "") -> None:
        """Finish the bar (a last line with the elapsed time)."""
        if self._closed:
            return
        self._closed = True
        if not self.enabled:
            return
        if self.interactive:
            self.stream.write("\r" + self.render(note) + "\n")
        elif self._last_logged < 1.0 or note:
            self.stream.write(self.render(note) + "\n")
        self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextmanager
def step(label: str, *, stream: TextIO | None = None) -> Iterator[None]:
    """Say what is starting and, when it ends, how long it took (also when it failed)."""
    out = stream if stream is not None else sys.stderr
    out.write(f"==> {label} ...\n")
    out.flush()
    started = time.monotonic()
    ok = False
    try:
        yield
        ok = True
    finally:
        took = _seconds(time.monotonic() - started)
        out.write(f"    {label}: {'done' if ok else 'failed'} in {took}\n")
        out.flush()
