"""Personal product recommendations with reasons, and learning from the customer's reactions.

One request: parse the customer's words into filters (:mod:`bot.recsys.constraints`), score
the catalogue with the shop's sequential model given the customer's recent products (or, for
a customer without history, with popularity in their segment), keep products in stock that
pass the filters and that the customer has neither dismissed nor already bought (consumables
may be bought again), re-rank the best candidates with the feedback bandit
(:mod:`bot.recsys.bandit`) and explain each pick ("because you bought X").

Reactions ("more like this", "not interested", "buy") update the bandit, are stored as
``rec_click`` / ``rec_skip`` / ``rec_buy`` interactions of known customers (so a dismissed
product stays away and the next training sees the signals), and the bandit's posterior is
saved next to the model.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import REPO_ROOT, Config, resolve_repo_path
from bot.recsys.bandit import (
    BanditConfig,
    FeedbackKind,
    Observation,
    ThompsonReranker,
    save_merged,
    standardise,
)
from bot.recsys.constraints import Constraints, parse_constraints
from bot.recsys.serving import ModelStore, ServingModel
from bot.recsys.shop import DEFAULT_MODEL_PATH, SIGNAL_WEIGHTS
from bot.services.catalog import list_products, normalise_query, search_products
from bot.services.segment_buys import NO_ORDERS_SEGMENT, segment_buys
from bot.services.types import Product
from bot.storage.schema import (
    customer_segments,
    customers,
    interactions,
    order_items,
    orders,
    products,
)
from bot.storage.times import as_utc

logger = logging.getLogger(__name__)

ReasonKind = Literal[
    "bought",
    "viewed",
    "history",
    "similar",
    "gift",
    "popular_segment",
    "popular_category",
    "popular",
]
Reaction = Literal["more", "skip", "buy"]
# A chat reaction -> (bandit feedback, interaction kind stored for the customer).
REACTIONS: dict[Reaction, tuple[FeedbackKind, str]] = {
    "more": ("click", "rec_click"),
    "skip": ("dismiss", "rec_skip"),
    "buy": ("purchase", "rec_buy"),
}
# How well a past product must relate to a pick to be named as its reason: same type 1,
# same category 0.5, plus the cosine similarity of their embeddings.
REASON_MIN_RELATEDNESS = 0.6
SAVE_EVERY = 20  # impressions between bandit saves (feedback is saved at once)
MAX_PENDING = 100_000  # unsaved observations kept while the bandit file cannot be written


@dataclass(frozen=True)
class RecommendSettings:
    model_path: Path = DEFAULT_MODEL_PATH
    bandit_path: Path = REPO_ROOT / "var" / "recsys" / "bandit.json"
    cards: int = 4
    candidates: int = 20  # the bandit re-ranks this many of the best-scored products
    per_type: int = 2  # at most this many cards of one product type (unless one was asked for)
    history_limit: int = 50
    catalog_ttl_s: float = 60.0

    def __post_init__(self) -> None:
        if not 1 <= self.cards <= self.candidates:
            raise ValueError(
                f"need 1 <= cards <= candidates, got cards={self.cards}, "
                f"candidates={self.candidates}"
            )

    @classmethod
    def from_config(cls, config: Config) -> RecommendSettings:
        """Settings from the ``recommend`` section of config.yml."""
        section = config.recommend
        return cls(
            model_path=resolve_repo_path(section.model_path),
            bandit_path=resolve_repo_path(section.bandit_path),
            cards=section.cards,
            candidates=section.candidates,
        )


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    product: Product | None = None  # what was bought / viewed / is similar
    category: str | None = None
    segment: str | None = None
    recipient: str | None = None


@dataclass(frozen=True)
class Pick:
    product: Product
    reason: Reason
    score: float  # standardised among the candidates (what the bandit saw)


@dataclass(frozen=True)
class Recommendations:
    picks: tuple[Pick, ...]
    constraints: Constraints
    personal: bool  # ranked by the customer's own history
    anchor: Product | None = None  # "more like this" product
    relaxed_price: bool = False  # nothing was in the asked price range: the closest instead


@dataclass(frozen=True)
class CustomerSignals:
    """What the database knows about one customer's taste."""

    segment: str | None
    history: tuple[str, ...]  # product ids, oldest first, consecutive repeats collapsed
    bought: dict[str, datetime]  # product id -> latest purchase
    viewed: tuple[str, ...]  # most recent first
    dismissed: frozenset[str]
    # The customer's segment from `python -m bot segments` (customer_segments) and what its
    # customers bought in the last year: the cold start of a customer without history.
    cluster: str | None = None
    cluster_popularity: Mapping[str, float] = field(default_factory=dict)


@dataclass
class _CatalogCache:
    engine: AsyncEngine | None = None
    loaded_at: float = -math.inf
    products: dict[str, Product] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()


class Recommender:
    """The recommendation service of one process (the action server holds one)."""

    def __init__(
        self,
        settings: RecommendSettings | None = None,
        *,
        store: ModelStore | None = None,
        bandit: ThompsonReranker | None = None,
        seed: int | None = None,
    ) -> None:
        self.settings = settings or RecommendSettings()
        self.store = store or ModelStore(self.settings.model_path)
        rng = np.random.default_rng(seed)
        self.bandit = bandit or _load_bandit(self.settings.bandit_path, rng)
        self._catalog = _CatalogCache()
        # segment -> (loaded at, product -> units bought by its customers)
        self._clusters: dict[str, tuple[float, dict[str, float]]] = {}
        # (session, product) -> standardised score when last shown, for feedback updates.
        self._shown: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._guest_dismissed: OrderedDict[str, set[str]] = OrderedDict()
        self._unsaved = 0
        self._pending: list[Observation] = []  # learnt since the last save

    def _learn(self, product_id: str, score: float, kind: FeedbackKind) -> None:
        self.bandit.record(product_id, score, kind)
        self._pending.append((product_id, score, kind))
        del self._pending[:-MAX_PENDING]

    # --- data ------------------------------------------------------------------------------
    async def catalogue(self, engine: AsyncEngine) -> dict[str, Product]:
        """All products, cached for ``catalog_ttl_s`` (stock is read fresh per request)."""
        cache = self._catalog
        now = time.monotonic()
        if cache.engine is not engine or now - cache.loaded_at > self.settings.catalog_ttl_s:
            items = await list_products(engine)
            cache.engine, cache.loaded_at = engine, now
            cache.products = {p.id: p for p in items}
            cache.aliases = tuple(sorted({a for p in items for a in p.aliases}))
        return cache.products

    async def signals(
        self, engine: AsyncEngine, customer_id: str | None, session: str
    ) -> CustomerSignals:
        dismissed = set(self._guest_dismissed.get(session, set()))
        if customer_id is None:
            return CustomerSignals(None, (), {}, (), frozenset(dismissed))
        kinds = [*SIGNAL_WEIGHTS, "rec_skip"]
        async with engine.connect() as conn:
            segment = (
                await conn.execute(select(customers.c.segment).where(customers.c.id == customer_id))
            ).scalar()
            cluster = (
                await conn.execute(
                    select(customer_segments.c.segment).where(
                        customer_segments.c.customer_id == customer_id
                    )
                )
            ).scalar()
            rows = (
                await conn.execute(
                    select(interactions.c.product_id, interactions.c.kind, interactions.c.ts)
                    .where(interactions.c.customer_id == customer_id)
                    .where(interactions.c.kind.in_(kinds))
                    .order_by(interactions.c.ts.desc(), interactions.c.id.desc())
                    .limit(4 * self.settings.history_limit)
                )
            ).all()
            bought_rows = (
                await conn.execute(
                    select(order_items.c.product_id, orders.c.created_at)
                    .join(orders, orders.c.id == order_items.c.order_id)
                    .where(orders.c.customer_id == customer_id)
                    .where(orders.c.status != "cancelled")
                )
            ).all()
        bought: dict[str, datetime] = {}
        for pid, ts in [(r.product_id, r.created_at) for r in bought_rows] + [
            (r.product_id, r.ts) for r in rows if r.kind == "purchase"
        ]:
            ts = as_utc(ts)
            if pid not in bought or bought[pid] < ts:
                bought[pid] = ts
        history: list[str] = []
        viewed: list[str] = []
        for row in reversed(rows):  # oldest first
            if row.kind == "rec_skip":
                dismissed.add(row.product_id)
                continue
            if not history or history[-1] != row.product_id:
                history.append(row.product_id)
            if row.kind in ("view", "rec_click", "cart"):
                viewed.append(row.product_id)
        popular = (
            await self.cluster_popularity(engine, cluster)
            if cluster and cluster != NO_ORDERS_SEGMENT and not history
            else {}
        )
        return CustomerSignals(
            segment=segment,
            history=tuple(history[-self.settings.history_limit :]),
            bought=bought,
            viewed=tuple(dict.fromkeys(reversed(viewed))),
            dismissed=frozenset(dismissed),
            cluster=cluster if popular else None,
            cluster_popularity=popular,
        )

    async def cluster_popularity(self, engine: AsyncEngine, cluster: str) -> dict[str, float]:
        """Units of each product bought by the customers of ``cluster`` (cached for
        ``catalog_ttl_s``)."""
        now = time.monotonic()
        cached = self._clusters.get(cluster)
        if cached is not None and now - cached[0] <= self.settings.catalog_ttl_s:
            return cached[1]
        table = await segment_buys(engine, cluster)
        self._clusters[cluster] = (now, table)
        return table

    async def _stock(self, engine: AsyncEngine) -> dict[str, int]:
        async with engine.connect() as conn:
            rows = (await conn.execute(select(products.c.id, products.c.stock))).all()
        return {r.id: int(r.stock) for r in rows}

    # --- recommending ----------------------------------------------------------------------
    async def recommend(
        self,
        engine: AsyncEngine,
        *,
        customer_id: str | None,
        session: str,
        text: str = "",
        product_query: str | None = None,
        like_product_id: str | None = None,
    ) -> Recommendations:
        """Up to ``cards`` products for this customer and request, each with a reason."""
        catalogue = await self.catalogue(engine)
        constraints = parse_constraints(text, self._catalog.aliases)
        allowed_ids: set[str] | None = None
        if product_query:
            constraints, allowed_ids = await self._product_filter(
                engine, constraints, product_query
            )
        signals = await self.signals(engine, customer_id, session)
        stock = await self._stock(engine)
        model = self.store.current()
        anchor = catalogue.get(like_product_id) if like_product_id else None

        available = [
            p
            for p in catalogue.values()
            if stock.get(p.id, 0) > 0
            and p.id not in signals.dismissed
            and (p.consumable or p.id not in signals.bought)
            and (anchor is None or p.id != anchor.id)
            and (allowed_ids is None or p.id in allowed_ids)
            and _passes(p, constraints, price=False)
        ]
        eligible = [p for p in available if constraints.price_ok(p.price_cents)]
        relaxed = False
        if not eligible and available and constraints.has_price:
            # Nothing in the price range: offer the products closest to it, and say so.
            relaxed = True
            available.sort(key=lambda p: (constraints.price_distance(p.price_cents), p.id))
            eligible = available[: 2 * self.settings.cards]
        if not eligible:
            return Recommendations((), constraints, personal=False, anchor=anchor)

        scores, personal = self._scores(model, signals, eligible, constraints, anchor)
        ranked = sorted(eligible, key=lambda p: (-scores[p.id], -p.rating, p.id))
        pool = ranked[: self.settings.candidates]
        raw = np.array([scores[p.id] for p in pool])
        order = self.bandit.rerank([p.id for p in pool], raw)
        standardised = standardise(raw)
        picks: list[Pick] = []
        per_type: dict[str, int] = {}
        limit_types = not constraints.type_words and allowed_ids is None
        for position in order:
            product = pool[position]
            kind = _product_type(product)
            if limit_types and per_type.get(kind, 0) >= self.settings.per_type:
                continue
            per_type[kind] = per_type.get(kind, 0) + 1
            reason = self._reason(product, model, signals, constraints, anchor, personal)
            picks.append(Pick(product, reason, float(standardised[position])))
            if len(picks) == self.settings.cards:
                break
        if relaxed:  # said to be "the closest in price": shown closest first
            picks.sort(key=lambda pick: constraints.price_distance(pick.product.price_cents))
        self._remember_shown(session, picks)
        return Recommendations(
            tuple(picks), constraints, personal=personal, anchor=anchor, relaxed_price=relaxed
        )

    async def _product_filter(
        self, engine: AsyncEngine, constraints: Constraints, query: str
    ) -> tuple[Constraints, set[str] | None]:
        """A product entity: a type word ("earbuds") filters by alias, a name by search."""
        wanted = normalise_query(query)
        aliases = {normalise_query(a) for a in self._catalog.aliases}
        if wanted in aliases:
            if wanted not in constraints.type_words:
                types = (*constraints.type_words, wanted)
                constraints = Constraints(**{**constraints.__dict__, "type_words": types})
            return constraints, None
        matches = await search_products(engine, query, limit=50)
        if not matches:
            return constraints, set()
        best = matches[0].score
        return constraints, {m.product.id for m in matches if m.score >= best - 8.0}

    def _scores(
        self,
        model: ServingModel | None,
        signals: CustomerSignals,
        eligible: Sequence[Product],
        constraints: Constraints,
        anchor: Product | None,
    ) -> tuple[dict[str, float], bool]:
        """Scores of the eligible products, and whether they are personal (model-based)."""
        if anchor is not None:
            similar = model.similar(anchor.id) if model is not None else {}
            anchor_types = set(map(normalise_query, anchor.aliases))
            scores = {
                p.id: similar.get(p.id, 0.0)
                + (1.0 if p.category == anchor.category else 0.0)
                + (1.0 if anchor_types & set(map(normalise_query, p.aliases)) else 0.0)
                + 0.1 * p.rating
                for p in eligible
            }
            return scores, False
        personal = model.scores(signals.history) if model is not None else {}
        preferred = set(constraints.preferred_categories)
        if personal:
            values = standardise(np.array([personal.get(p.id, -math.inf) for p in eligible]))
            scores = {p.id: float(v) for p, v in zip(eligible, values, strict=True)}
        else:
            table = self._popularity(model, signals)
            values = standardise(
                np.array([math.log1p(table.get(p.id, 0.0)) + 0.2 * p.rating for p in eligible])
            )
            scores = {p.id: float(v) for p, v in zip(eligible, values, strict=True)}
        if constraints.gift:
            # A gift for mum: her usual categories first, well-rated ones, then own taste.
            for p in eligible:
                scores[p.id] += 0.5 * (p.rating - 4.0) + (1.0 if p.category in preferred else 0.0)
        return scores, bool(personal)

    @staticmethod
    def _popularity(model: ServingModel | None, signals: CustomerSignals) -> Mapping[str, float]:
        """Cold start: what the customer's segment buys (customer_segments), else the
        popularity in their shop tier, else in the whole shop (the trained model's tables)."""
        if signals.cluster_popularity:
            return signals.cluster_popularity
        segment = signals.segment
        if model is None:
            return {}
        if segment and f"segment:{segment}" in model.popularity:
            return model.popularity[f"segment:{segment}"]
        return model.popularity.get("all", {})

    def _reason(
        self,
        product: Product,
        model: ServingModel | None,
        signals: CustomerSignals,
        constraints: Constraints,
        anchor: Product | None,
        personal: bool,
    ) -> Reason:
        if anchor is not None:
            return Reason("similar", product=anchor)
        catalogue = self._catalog.products
        if constraints.recipient and product.category in constraints.preferred_categories:
            return Reason("gift", recipient=constraints.recipient)
        if personal and model is not None:
            anchor_id = _explaining_product(product, model, signals, catalogue)
            if anchor_id is not None:
                kind: ReasonKind = "bought" if anchor_id in signals.bought else "viewed"
                return Reason(kind, product=catalogue[anchor_id])
            return Reason("history")
        if constraints.categories or constraints.type_words:
            return Reason("popular_category", category=product.category)
        if signals.cluster and not personal:
            return Reason("popular_segment", segment=signals.cluster)
        if signals.segment and model is not None and not personal:
            return Reason("popular_segment", segment=signals.segment)
        return Reason("popular", category=product.category)

    # --- feedback --------------------------------------------------------------------------
    def _remember_shown(self, session: str, picks: Sequence[Pick]) -> None:
        for pick in picks:
            key = (session, pick.product.id)
            self._shown[key] = pick.score
            self._shown.move_to_end(key)
            self._learn(pick.product.id, pick.score, "shown")
        while len(self._shown) > 10_000:
            self._shown.popitem(last=False)
        self._unsaved += len(picks)
        if self._unsaved >= SAVE_EVERY:
            self._save_bandit()

    async def react(
        self,
        engine: AsyncEngine,
        *,
        customer_id: str | None,
        session: str,
        product_id: str,
        reaction: Reaction,
        now: datetime | None = None,
    ) -> Product | None:
        """Record a reaction to a shown product; the product, or None if it does not exist."""
        if reaction not in REACTIONS:
            raise ValueError(f"reaction must be one of {sorted(REACTIONS)}, got {reaction!r}")
        product = (await self.catalogue(engine)).get(product_id)
        if product is None:
            return None
        feedback, kind = REACTIONS[reaction]
        score = self._shown.get((session, product_id), 0.0)
        self._learn(product_id, score, feedback)
        self._save_bandit()
        if customer_id is not None:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(interactions).values(
                        customer_id=customer_id,
                        product_id=product_id,
                        kind=kind,
                        ts=now or datetime.now(UTC),
                    )
                )
        elif reaction == "skip":
            self._guest_dismissed.setdefault(session, set()).add(product_id)
            self._guest_dismissed.move_to_end(session)
            while len(self._guest_dismissed) > 10_000:
                self._guest_dismissed.popitem(last=False)
        return product

    def _save_bandit(self) -> None:
        """Merge this process's learning into the shared bandit file (other action servers
        write it too) and take theirs."""
        try:
            save_merged(self.bandit, self.settings.bandit_path, self._pending)
            self._pending.clear()
            self._unsaved = 0
        except OSError as exc:
            logger.warning(
                "could not save the bandit state to %s: %s", self.settings.bandit_path, exc
            )


def _load_bandit(path: Path, rng: np.random.Generator) -> ThompsonReranker:
    import json

    bandit = ThompsonReranker(BanditConfig(), rng=rng)
    if path.exists():
        try:
            bandit.load_state(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as exc:
            logger.warning("ignoring the bandit state in %s: %s", path, exc)
    return bandit


def _explaining_product(
    product: Product,
    model: ServingModel,
    signals: CustomerSignals,
    catalogue: dict[str, Product],
) -> str | None:
    """The bought (else viewed) product that best explains ``product``, if one is related."""
    pick_types = set(map(normalise_query, product.aliases))
    for pool in (list(signals.bought), list(signals.viewed)):
        best, best_score = None, REASON_MIN_RELATEDNESS
        for pid in pool:
            past = catalogue.get(pid)
            if past is None or pid == product.id:
                continue
            score = model.similarity(pid, product.id)
            score += 0.5 if past.category == product.category else 0.0
            score += 1.0 if pick_types & set(map(normalise_query, past.aliases)) else 0.0
            if score > best_score:
                best, best_score = pid, score
        if best is not None:
            return best
    return None


def _product_type(product: Product) -> str:
    """The product's type: its first alias ("wireless earbuds"), else its category."""
    return normalise_query(product.aliases[0]) if product.aliases else product.category


def _passes(product: Product, constraints: Constraints, *, price: bool = True) -> bool:
    if constraints.categories and product.category not in constraints.categories:
        return False
    if constraints.type_words:
        aliases = {normalise_query(a) for a in product.aliases}
        if not any(normalise_query(w) in aliases for w in constraints.type_words):
            return False
    return not price or constraints.price_ok(product.price_cents)


_instances: dict[tuple[Path, Path], Recommender] = {}
_override: Recommender | None = None


def recommender_for(config: Config) -> Recommender:
    """The process's recommender for ``config`` (created on first use, never at import)."""
    if _override is not None:
        return _override
    settings = RecommendSettings.from_config(config)
    key = (settings.model_path, settings.bandit_path)
    if key not in _instances:
        _instances[key] = Recommender(settings)
    return _instances[key]


@contextmanager
def use_recommender(recommender: Recommender) -> Iterator[Recommender]:
    """Make the actions use ``recommender`` inside the ``with`` block (tests, benchmarks)."""
    global _override
    previous, _override = _override, recommender
    try:
        yield recommender
    finally:
        _override = previous
