"""Hyper-parameter search that does not stop at the edge of its grid.

:func:`edge_search` is a coordinate search: each parameter (an :class:`Axis`) starts from a
coarse grid; the parameters are searched one at a time with the others at their best values so
far, and when the best value of a parameter lies on the edge of the values tried, the grid is
extended in that direction (multiplying or dividing by the axis' ``factor``) until the best
value is interior, the axis' domain ends, or the time budget is spent. Passes over all axes
repeat until a pass changes nothing, so the final choice is a line optimum along every axis.

Every configuration tried is recorded (settings, score, extra metrics, seconds), and each
chosen value is marked :data:`INTERIOR`, :data:`AT_BOUND` (the domain ends there, e.g. 0
shrinkage) or :data:`AT_EDGE` (the budget ran out before a value beyond it was tried).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

INTERIOR = "interior"
AT_BOUND = "at domain bound"
AT_EDGE = "at edge (budget spent)"

Value = int | float
Config = dict[str, Value]
# An objective scores one configuration: (the score to maximise, other metrics to record).
Objective = Callable[[Config], tuple[float, dict[str, Any]]]


@dataclass(frozen=True)
class Axis:
    """One searched parameter: a coarse ``grid`` (ascending) and how to go beyond it.

    Beyond the largest value tried comes ``value * factor``, below the smallest
    ``value / factor``; values outside ``[lower, upper]`` are never tried (``lower`` itself is
    tried when the step would cross it, so 0 is reached from 10 when ``lower`` is 0).
    """

    name: str
    grid: tuple[Value, ...]
    factor: float = 2.0
    lower: Value = 0
    upper: Value = math.inf
    integer: bool = False

    def __post_init__(self) -> None:
        if not self.grid:
            raise ValueError(f"axis {self.name}: the grid is empty")
        if list(self.grid) != sorted(set(self.grid)):
            raise ValueError(f"axis {self.name}: the grid must be ascending without repeats")
        if self.factor <= 1.0:
            raise ValueError(f"axis {self.name}: factor must be above 1, got {self.factor}")
        if self.grid[0] < self.lower or self.grid[-1] > self.upper:
            raise ValueError(f"axis {self.name}: the grid leaves [{self.lower}, {self.upper}]")

    def _cast(self, value: float) -> Value:
        return round(value) if self.integer else float(f"{value:.6g}")

    def above(self, value: Value) -> Value | None:
        """The next value to try above ``value``; None where the domain ends."""
        if value >= self.upper:
            return None
        step = value * self.factor if value > 0 else self._first_positive()
        nxt = self._cast(min(step, self.upper))
        if nxt <= value and self.integer:
            nxt = value + 1
        return nxt if value < nxt <= self.upper else None

    def below(self, value: Value) -> Value | None:
        """The next value to try below ``value``; None where the domain ends."""
        if value <= self.lower:
            return None
        step = value / self.factor
        positive = [v for v in self.grid if v > 0]
        # Dividing never reaches 0: once far below the grid's smallest positive value, jump
        # to the lower bound (0 shrinkage, say) itself.
        if self.lower == 0 and positive and step < min(positive) / self.factor**3:
            return self.lower
        nxt = self._cast(max(step, self.lower))
        if nxt >= value:
            nxt = self._cast(value - 1) if self.integer else self.lower
        return nxt if nxt >= self.lower and nxt < value else None

    def _first_positive(self) -> float:
        positive = [v for v in self.grid if v > 0]
        return float(min(positive)) if positive else 1.0


@dataclass(frozen=True)
class Trial:
    config: Config
    score: float
    metrics: dict[str, Any]
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            **self.config,
            **self.metrics,
            "score": round(self.score, 6),
            "seconds": round(self.seconds, 2),
        }


@dataclass
class SearchResult:
    """The best configuration, every trial, and where each chosen value lies."""

    best: Config
    best_score: float
    trials: list[Trial]
    position: dict[str, str]  # axis name -> INTERIOR / AT_BOUND / AT_EDGE
    seconds: float
    budget_s: float
    stopped: str  # "converged" or "budget"
    clock: str = "wall"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "chosen": dict(self.best),
            "chosen_score": round(self.best_score, 6),
            "position": dict(self.position),
            "stopped": self.stopped,
            "budget_s": self.budget_s,
            "clock": self.clock,
            "seconds": round(self.seconds, 2),
            "trials": [t.as_json() for t in self.trials],
            **self.extra,
        }


def _key(config: Config, axes: Sequence[Axis]) -> tuple[Value, ...]:
    return tuple(config[a.name] for a in axes)


def edge_search(
    axes: Sequence[Axis],
    objective: Objective,
    *,
    budget_s: float,
    start: Config | None = None,
    max_passes: int = 4,
    clock: Callable[[], float] = time.perf_counter,
    clock_name: str = "wall",
) -> SearchResult:
    """Coordinate search extending any edge winner (see the module docstring).

    ``start`` defaults to the middle of each coarse grid. No trial starts once ``budget_s``
    seconds of ``clock`` have passed (the one running finishes); the first trial always runs.
    Trials' ``seconds`` are counted on ``clock`` too (``clock_name`` labels it in the record).
    """
    if not axes:
        raise ValueError("edge_search needs at least one axis")
    if budget_s <= 0:
        raise ValueError(f"budget_s must be positive, got {budget_s}")
    began = clock()
    current: Config = dict(start) if start else {a.name: a.grid[len(a.grid) // 2] for a in axes}
    trials: dict[tuple[Value, ...], Trial] = {}
    out_of_time = False

    def run(config: Config) -> Trial | None:
        nonlocal out_of_time
        key = _key(config, axes)
        if key in trials:
            return trials[key]
        if trials and clock() - began >= budget_s:
            out_of_time = True
            return None
        t0 = clock()
        score, metrics = objective(dict(config))
        trials[key] = Trial(dict(config), float(score), metrics, clock() - t0)
        return trials[key]

    def line(axis: Axis) -> Value:
        """Best value of ``axis`` with the others at ``current``, extending edge winners."""
        scored: dict[Value, float] = {}
        for value in sorted(set(axis.grid) | {current[axis.name]}):
            trial = run({**current, axis.name: value})
            if trial is not None:
                scored[value] = trial.score
        while scored:
            best = max(sorted(scored), key=lambda v: scored[v])
            beyond = []
            if best == min(scored):
                beyond.append(axis.below(best))
            if best == max(scored):
                beyond.append(axis.above(best))
            nxt = next((v for v in beyond if v is not None and v not in scored), None)
            if nxt is None:
                return best
            trial = run({**current, axis.name: nxt})
            if trial is None:
                return best
            scored[nxt] = trial.score
        return current[axis.name]

    stopped = "budget"
    for _ in range(max_passes):
        changed = False
        for axis in axes:
            chosen = line(axis)
            if chosen != current[axis.name]:
                current[axis.name] = chosen
                changed = True
        if out_of_time:
            break
        if not changed:
            stopped = "converged"
            break
    best_trial = max(trials.values(), key=lambda t: t.score)
    best = dict(best_trial.config)
    return SearchResult(
        best=best,
        best_score=best_trial.score,
        trials=list(trials.values()),
        position={a.name: position(a, best, trials.values(), axes) for a in axes},
        seconds=clock() - began,
        budget_s=budget_s,
        stopped=stopped,
        clock=clock_name,
    )


def position(axis: Axis, best: Config, trials: Any, axes: Sequence[Axis]) -> str:
    """Whether ``best[axis]`` has a tried, no better value on each side (others equal)."""
    others = {a.name: best[a.name] for a in axes if a.name != axis.name}
    line = [t for t in trials if all(t.config[name] == value for name, value in others.items())]
    value = best[axis.name]
    score = max(t.score for t in line if t.config[axis.name] == value)
    below = [t for t in line if t.config[axis.name] < value]
    above = [t for t in line if t.config[axis.name] > value]
    low_ok = bool(below) and all(t.score <= score for t in below)
    high_ok = bool(above) and all(t.score <= score for t in above)
    if low_ok and high_ok:
        return INTERIOR
    if (not below and axis.below(value) is None) or (not above and axis.above(value) is None):
        return AT_BOUND
    return AT_EDGE
