"""Customer segments: K-Means, Ward and DBSCAN compared; the chosen one named in zh and en.

Features (:mod:`bot.insight.features`) are log-transformed where skewed (counts, money, days)
and standardised; constant columns are dropped.

Each method is scored by silhouette (higher is better), Davies-Bouldin (lower is better) and
stability: the mean adjusted Rand index between the fit on all customers and fits on bootstrap
resamples, each extended to all customers (K-Means: nearest centre; Ward: nearest centroid of
the resample's clusters; DBSCAN: the cluster of the nearest core point within eps, else noise).

Parameter choice. Eligible grid values have a stability of at least :data:`MIN_STABILITY` (an
ARI of 0.75 is the usual threshold for a reproducible partition); for DBSCAN also at least two
clusters and at most :data:`MAX_NOISE` noise. k (K-Means, Ward): the largest eligible k whose
silhouette is at least :data:`SIL_TOLERANCE` of the best eligible silhouette: silhouette nearly
always falls as k grows, and a few more segments are worth a small loss of separation as long as
they stay reproducible. eps (DBSCAN): the eligible eps with the best silhouette, on a grid of
quantiles of the distance to the min_samples-th neighbour (min_samples = features + 1). When the
chosen value is at the upper edge of its grid the grid is widened and the choice repeated; k
starts at 2, the smallest segmentation there is.
Method choice: the lowest sum of ranks over silhouette, Davies-Bouldin and stability, ties to the
better silhouette.

Names: each centroid is read as levels (high above +0.5, low below -0.5 standard deviations) of
spend, frequency, recency, returns and complaints, and the first matching rule of
:data:`NAME_RULES` names it; the explanation line lists the cluster's medians in plain units.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans
from sklearn.metrics import adjusted_rand_score, davies_bouldin_score, silhouette_score
from sklearn.neighbors import NearestNeighbors

from bot.insight.features import FeatureTable
from bot.insight.tabular import single_threaded

SEED = 15
MIN_STABILITY = 0.75
MAX_NOISE = 0.25
SIL_TOLERANCE = 0.85
K_GRID = tuple(range(2, 9))
EPS_QUANTILES = (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95)
MAX_FIT = 4000  # Ward and silhouette run on at most this many customers (a fixed sample)
_LOG_FEATURES = frozenset(
    {
        "recency_days",
        "frequency",
        "monetary",
        "avg_order_value",
        "tenure_days",
        "n_categories",
        "complaints",
        "tickets",
    }
)


@dataclass
class Fit:
    """One method at one parameter value."""

    method: str
    param: float
    labels: np.ndarray
    silhouette: float
    davies_bouldin: float
    stability: float = math.nan

    @property
    def n_clusters(self) -> int:
        return len({int(v) for v in self.labels if v >= 0})

    @property
    def noise(self) -> float:
        return float(np.mean(self.labels < 0))

    def sizes(self) -> dict[str, int]:
        values, counts = np.unique(self.labels, return_counts=True)
        return {
            ("noise" if v < 0 else str(int(v))): int(c) for v, c in zip(values, counts, strict=True)
        }

    def summary(self) -> dict[str, Any]:
        return {
            "param": self.param,
            "silhouette": _round(self.silhouette),
            "davies_bouldin": _round(self.davies_bouldin),
            "stability_ari": _round(self.stability),
            "n_clusters": self.n_clusters,
            "noise_fraction": round(self.noise, 4),
        }


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(float(value), 4)


# Preparing the matrix ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Prepared:
    x: np.ndarray
    names: list[str]
    mean: np.ndarray
    scale: np.ndarray


def prepare(table: FeatureTable) -> Prepared:
    """Log-transform skewed columns, drop constant ones, standardise."""
    cols, names = [], []
    for i, name in enumerate(table.names):
        col = table.values[:, i]
        if name in _LOG_FEATURES:
            col = np.log1p(np.maximum(col, 0.0))
        if np.std(col) > 1e-9:
            cols.append(col)
            names.append(name)
    if not cols:
        raise ValueError("every feature is constant; nothing to cluster")
    raw = np.column_stack(cols)
    mean, scale = raw.mean(axis=0), raw.std(axis=0)
    return Prepared((raw - mean) / scale, names, mean, scale)


# Fitting ----------------------------------------------------------------------------------------
def _score(x: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    keep = labels >= 0
    if len({int(v) for v in labels[keep]}) < 2 or keep.sum() < 3:
        return math.nan, math.nan
    xs, ls = x[keep], labels[keep]
    sample = min(len(ls), MAX_FIT)
    sil = silhouette_score(xs, ls, sample_size=sample, random_state=SEED)
    return float(sil), float(davies_bouldin_score(xs, ls))


def _nearest_centroid(x_fit: np.ndarray, labels: np.ndarray, x_all: np.ndarray) -> np.ndarray:
    groups = sorted({int(v) for v in labels if v >= 0})
    centres = np.array([x_fit[labels == g].mean(axis=0) for g in groups])
    dist = ((x_all[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return np.array(groups)[dist.argmin(axis=1)]


def kmeans_labels(x: np.ndarray, k: float, x_all: np.ndarray | None = None) -> np.ndarray:
    model = KMeans(n_clusters=int(k), n_init=10, random_state=SEED).fit(x)
    return np.asarray(model.predict(x if x_all is None else x_all))


def ward_labels(x: np.ndarray, k: float, x_all: np.ndarray | None = None) -> np.ndarray:
    rng = np.random.default_rng(SEED)
    fit_x = x if len(x) <= MAX_FIT else x[rng.choice(len(x), MAX_FIT, replace=False)]
    labels = AgglomerativeClustering(n_clusters=int(k), linkage="ward").fit_predict(fit_x)
    return _nearest_centroid(fit_x, labels, x if x_all is None else x_all)


def dbscan_labels(
    x: np.ndarray, eps: float, x_all: np.ndarray | None = None, min_samples: int = 0
) -> np.ndarray:
    ms = min_samples or default_min_samples(x)
    model = DBSCAN(eps=eps, min_samples=ms).fit(x)
    if x_all is None:
        return np.asarray(model.labels_)
    core = model.core_sample_indices_
    if len(core) == 0:
        return np.full(len(x_all), -1)
    nn = NearestNeighbors(n_neighbors=1).fit(x[core])
    dist, idx = nn.kneighbors(x_all)
    labels = model.labels_[core][idx[:, 0]]
    return np.where(dist[:, 0] <= eps, labels, -1)


def default_min_samples(x: np.ndarray) -> int:
    """The textbook lower bound: the number of features plus one (at least 4)."""
    return max(4, x.shape[1] + 1)


Labeller = Callable[[np.ndarray, float, np.ndarray | None], np.ndarray]
METHODS: dict[str, Labeller] = {
    "kmeans": kmeans_labels,
    "hierarchical": ward_labels,
    "dbscan": dbscan_labels,
}


def stability(
    x: np.ndarray, method: str, param: float, reference: np.ndarray, rounds: int
) -> float:
    """Mean ARI between ``reference`` and fits on ``rounds`` bootstrap resamples."""
    rng = np.random.default_rng(SEED + 1)
    labeller = METHODS[method]
    scores = []
    for _ in range(rounds):
        idx = rng.choice(len(x), size=len(x), replace=True)
        extended = labeller(x[idx], param, x)
        scores.append(adjusted_rand_score(reference, extended))
    return float(np.mean(scores))


def fit_one(x: np.ndarray, method: str, param: float, rounds: int) -> Fit:
    labels = METHODS[method](x, param, None)
    sil, db = _score(x, labels)
    fit = Fit(method, float(param), labels, sil, db)
    if not math.isnan(sil):
        fit.stability = stability(x, method, param, labels, rounds)
    return fit


# Choosing ---------------------------------------------------------------------------------------
def eligible(fit: Fit) -> bool:
    if math.isnan(fit.silhouette) or fit.stability < MIN_STABILITY:
        return False
    return not (fit.method == "dbscan" and (fit.noise > MAX_NOISE or fit.n_clusters < 2))


def choose(fits: Sequence[Fit]) -> Fit | None:
    """The parameter choice of the module docstring; None when no value is eligible."""
    pool = [f for f in fits if eligible(f)]
    if not pool:
        return None
    best = max(pool, key=lambda f: (f.silhouette, -f.param))
    if best.method == "dbscan":
        return best
    near = [f for f in pool if f.silhouette >= SIL_TOLERANCE * best.silhouette]
    return max(near, key=lambda f: f.param)


@dataclass
class Search:
    method: str
    grid: list[float]
    fits: list[Fit]
    chosen: Fit | None
    widened: int = 0

    def at_edge(self) -> bool:
        return self.chosen is not None and self.chosen.param == max(self.grid)

    def summary(self) -> dict[str, Any]:
        chosen = self.chosen
        return {
            "grid": self.grid,
            "widened": self.widened,
            "criterion": (
                f"best silhouette among stability >= {MIN_STABILITY}, noise <= {MAX_NOISE}, "
                ">= 2 clusters"
                if self.method == "dbscan"
                else f"largest k with stability >= {MIN_STABILITY} and silhouette >= "
                f"{SIL_TOLERANCE} x the best such silhouette"
            ),
            "chosen_at_edge": self.chosen is not None
            and self.chosen.param in (min(self.grid), max(self.grid)),
            "scores": [f.summary() for f in self.fits],
            "chosen_param": chosen.param if chosen else None,
            "silhouette": _round(chosen.silhouette) if chosen else None,
            "davies_bouldin": _round(chosen.davies_bouldin) if chosen else None,
            "stability_ari": _round(chosen.stability) if chosen else None,
            "n_clusters": chosen.n_clusters if chosen else 0,
            "sizes": chosen.sizes() if chosen else {},
        }


def eps_grid(x: np.ndarray, quantiles: Sequence[float]) -> list[float]:
    """eps candidates: quantiles of the distance to the min_samples-th neighbour."""
    k = default_min_samples(x)
    nn = NearestNeighbors(n_neighbors=min(k, len(x) - 1)).fit(x)
    dist = nn.kneighbors(x)[0][:, -1]
    return sorted({round(float(np.quantile(dist, q)), 4) for q in quantiles})


def search(x: np.ndarray, method: str, rounds: int, max_widen: int = 3) -> Search:
    """Grid search for one method, widening the grid while the choice sits at its upper edge."""
    if method == "dbscan":
        quantiles = list(EPS_QUANTILES)
        grid = eps_grid(x, quantiles)
    else:
        grid = [float(k) for k in K_GRID if k < len(x)]
    fits = [fit_one(x, method, p, rounds) for p in grid]
    result = Search(method, grid, fits, choose(fits))
    while result.at_edge() and result.widened < max_widen:
        extra = _wider(x, method, result.grid)
        if not extra:
            break
        result.fits += [fit_one(x, method, p, rounds) for p in extra]
        result.grid = sorted(result.grid + extra)
        result.chosen = choose(result.fits)
        result.widened += 1
    return result


def _wider(x: np.ndarray, method: str, grid: list[float]) -> list[float]:
    top = max(grid)
    if method == "dbscan":
        step = top - sorted(grid)[-2] if len(grid) > 1 else top * 0.1
        return [round(top + step * i, 4) for i in (1, 2, 3)]
    return [float(k) for k in range(int(top) + 1, int(top) + 4) if k < len(x)]


def rank_methods(searches: Sequence[Search]) -> str | None:
    """Lowest rank sum over silhouette, Davies-Bouldin and stability; ties to silhouette."""
    done = [(s.method, s.chosen) for s in searches if s.chosen is not None]
    if not done:
        return None

    def ranks(values: list[float], reverse: bool) -> list[int]:
        order = sorted(range(len(values)), key=lambda i: values[i], reverse=reverse)
        out = [0] * len(values)
        for rank, i in enumerate(order):
            out[i] = rank
        return out

    sil = ranks([f.silhouette for _, f in done], reverse=True)
    db = ranks([f.davies_bouldin for _, f in done], reverse=False)
    st = ranks([f.stability for _, f in done], reverse=True)
    best = min(range(len(done)), key=lambda i: (sil[i] + db[i] + st[i], -done[i][1].silhouette))
    return done[best][0]


# Naming -----------------------------------------------------------------------------------------
Levels = dict[str, str]  # feature -> "high" | "mid" | "low"


@dataclass(frozen=True)
class NameRule:
    key: str
    en: str
    zh: str
    when: Callable[[Levels], bool]


def _lv(levels: Levels, name: str) -> str:
    return levels.get(name, "mid")


NAME_RULES: tuple[NameRule, ...] = (
    NameRule(
        "frequent_complainers",
        "Frequent complainers",
        "投诉较多的客户",
        lambda v: _lv(v, "complaints") == "high",
    ),
    NameRule(
        "frequent_returners",
        "Frequent returners",
        "退货较多的客户",
        lambda v: _lv(v, "return_rate") == "high",
    ),
    NameRule(
        "loyal_big_spenders",
        "Loyal big spenders",
        "忠实高消费客户",
        lambda v: (
            _lv(v, "monetary") == "high"
            and _lv(v, "frequency") == "high"
            and _lv(v, "recency_days") != "high"
        ),
    ),
    NameRule(
        "lapsing_big_spenders",
        "Big spenders drifting away",
        "流失中的高价值客户",
        lambda v: _lv(v, "monetary") == "high" and _lv(v, "recency_days") == "high",
    ),
    NameRule(
        "dormant_light_buyers",
        "Dormant light buyers",
        "沉睡的低消费客户",
        lambda v: _lv(v, "recency_days") == "high" and _lv(v, "monetary") == "low",
    ),
    NameRule(
        "lapsing_regulars",
        "Regulars drifting away",
        "渐趋流失的老顾客",
        lambda v: _lv(v, "recency_days") == "high",
    ),
    NameRule(
        "recent_newcomers",
        "Recent newcomers",
        "近期新客",
        lambda v: _lv(v, "recency_days") == "low" and _lv(v, "frequency") == "low",
    ),
    NameRule(
        "frequent_small_baskets",
        "Frequent small-basket shoppers",
        "高频小额客户",
        lambda v: _lv(v, "frequency") == "high" and _lv(v, "avg_order_value") != "high",
    ),
    NameRule(
        "occasional_big_baskets",
        "Occasional big-basket buyers",
        "偶尔大额购买的客户",
        lambda v: _lv(v, "avg_order_value") == "high",
    ),
    NameRule(
        "active_regulars",
        "Active regulars",
        "活跃的老顾客",
        lambda v: _lv(v, "recency_days") == "low",
    ),
    NameRule(
        "light_occasional_buyers",
        "Light occasional buyers",
        "低频低消费客户",
        lambda v: _lv(v, "monetary") == "low",
    ),
    NameRule("steady_middle", "Steady middle", "稳定的中间客户", lambda v: True),
)

# How the explanation line states a cluster's medians.
_FACTS: tuple[tuple[str, str, str], ...] = (
    ("monetary", "spend {v:,.0f}", "消费 {v:,.0f}"),
    ("frequency", "{v:.0f} orders", "{v:.0f} 单"),
    ("recency_days", "last order {v:.0f} days ago", "最近一单 {v:.0f} 天前"),
    ("avg_order_value", "{v:,.0f} per order", "客单价 {v:,.0f}"),
    ("n_categories", "{v:.0f} categories", "{v:.0f} 个品类"),
    ("return_rate", "{p:.0f}% returned", "退货率 {p:.0f}%"),
    ("complaints", "{v:.1f} complaints", "投诉 {v:.1f} 次"),
)


FEATURE_WORDS: dict[str, tuple[str, str]] = {
    "recency_days": ("days since the last order", "距上次下单天数"),
    "frequency": ("number of orders", "下单次数"),
    "monetary": ("total spend", "总消费"),
    "avg_order_value": ("order value", "客单价"),
    "tenure_days": ("time as a customer", "成为顾客的时长"),
    "n_categories": ("categories bought", "购买品类数"),
    "return_rate": ("returns", "退货"),
    "complaints": ("complaints", "投诉"),
    "tickets": ("service requests", "服务工单"),
    "sentiment": ("mood in conversations", "对话情绪"),
}


def levels_of(centroid: np.ndarray, names: Sequence[str]) -> Levels:
    return {
        n: ("high" if c > 0.5 else "low" if c < -0.5 else "mid")
        for n, c in zip(names, centroid, strict=True)
    }


@dataclass
class Segment:
    key: str
    name_en: str
    name_zh: str
    explanation_en: str
    explanation_zh: str
    size: int
    levels: Levels = field(default_factory=dict)
    medians: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": {"en": self.name_en, "zh": self.name_zh},
            "explanation": {"en": self.explanation_en, "zh": self.explanation_zh},
            "size": self.size,
            "levels": self.levels,
            "medians": {k: round(v, 2) for k, v in self.medians.items()},
        }


def name_segments(
    labels: np.ndarray, prepared: Prepared, table: FeatureTable
) -> dict[int, Segment]:
    """A name and an explanation per cluster label, from its centroid and medians."""
    segments: dict[int, Segment] = {}
    groups = sorted({int(v) for v in labels})
    for g in groups:
        mask = labels == g
        if g < 0:
            segments[g] = _segment(
                NameRule("unusual", "Unusual customers", "特殊客户", lambda v: True),
                {},
                _medians(table, mask),
                int(mask.sum()),
            )
            continue
        levels = levels_of(prepared.x[mask].mean(axis=0), prepared.names)
        rule = next(r for r in NAME_RULES if r.when(levels))
        segments[g] = _segment(rule, levels, _medians(table, mask), int(mask.sum()))
    _dedupe(segments)
    return segments


def _medians(table: FeatureTable, mask: np.ndarray) -> dict[str, float]:
    return {n: float(np.median(table.values[mask, i])) for i, n in enumerate(table.names)}


def _segment(rule: NameRule, levels: Levels, medians: dict[str, float], size: int) -> Segment:
    en, zh = [], []
    for name, fmt_en, fmt_zh in _FACTS:
        if name in medians:
            value = medians[name]
            en.append(fmt_en.format(v=value, p=value * 100))
            zh.append(fmt_zh.format(v=value, p=value * 100))
    high = [FEATURE_WORDS.get(n, (n, n)) for n, lv in levels.items() if lv == "high"]
    low = [FEATURE_WORDS.get(n, (n, n)) for n, lv in levels.items() if lv == "low"]
    trail_en = (
        f"; above average: {', '.join(w[0] for w in high) or 'nothing'}"
        f"; below: {', '.join(w[0] for w in low) or 'nothing'}"
    )
    trail_zh = (
        f"；高于平均：{'、'.join(w[1] for w in high) or '无'}"
        f"；低于平均：{'、'.join(w[1] for w in low) or '无'}"
    )
    return Segment(
        rule.key,
        rule.en,
        rule.zh,
        f"{rule.en}: median " + ", ".join(en) + trail_en,
        f"{rule.zh}：中位" + "，".join(zh) + trail_zh,
        size,
        levels,
        medians,
    )


def _dedupe(segments: dict[int, Segment]) -> None:
    """Two clusters with one name: number them by median spend, biggest first."""
    by_key: dict[str, list[Segment]] = {}
    for seg in segments.values():
        by_key.setdefault(seg.key, []).append(seg)
    for same in by_key.values():
        if len(same) < 2:
            continue
        same.sort(key=lambda s: -s.medians.get("monetary", 0.0))
        for i, seg in enumerate(same, start=1):
            seg.key = f"{seg.key}_{i}"
            seg.name_en = f"{seg.name_en} ({i})"
            seg.name_zh = f"{seg.name_zh}（{i}）"


# The whole comparison ---------------------------------------------------------------------------
@dataclass
class Comparison:
    prepared: Prepared
    table: FeatureTable
    searches: dict[str, Search]
    chosen: str | None
    segments: dict[int, Segment]

    @property
    def labels(self) -> np.ndarray:
        search = self.searches[self.chosen] if self.chosen else None
        if search is None or search.chosen is None:
            return np.zeros(len(self.table.customer_ids), dtype=int)
        return search.chosen.labels

    def assignment(self) -> dict[str, str]:
        """customer id -> segment key."""
        return {
            cid: self.segments[int(label)].key
            for cid, label in zip(self.table.customer_ids, self.labels, strict=True)
        }

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {m: s.summary() for m, s in self.searches.items()}
        out["chosen"] = self.chosen
        out["features"] = self.prepared.names
        out["n_customers"] = len(self.table.customer_ids)
        out["segments"] = [s.to_json() for _, s in sorted(self.segments.items())]
        return out


@single_threaded
def compare(table: FeatureTable, rounds: int = 10) -> Comparison:
    """Search each method, pick the best, name the chosen method's clusters."""
    if len(table.customer_ids) < 10:
        raise ValueError(f"only {len(table.customer_ids)} customers; at least 10 are needed")
    prepared = prepare(table)
    searches = {m: search(prepared.x, m, rounds) for m in METHODS}
    chosen = rank_methods(list(searches.values()))
    labels = (
        searches[chosen].chosen.labels  # type: ignore[union-attr]
        if chosen
        else np.zeros(len(table.customer_ids), dtype=int)
    )
    return Comparison(prepared, table, searches, chosen, name_segments(labels, prepared, table))
