"""Sentiment for the handoff: the scorer protocol, the lazily loaded model and the scores of a
conversation's recent messages.

:class:`RecentSentiment` scores the customer's latest typed messages for the negative sentiment
trigger and the staff snapshot, keeping recent texts' scores in memory so each text is scored
once while the window slides on. A scorer that fails is switched off (``scorer`` becomes None):
customers are still answered, only the trigger stops.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol

from bot.handoff.store import HandoffStore

logger = logging.getLogger(__name__)

SCORE_CACHE = 4096  # sentiment scores of recent customer texts kept in memory


class SentimentScorer(Protocol):
    """A sentiment model: a score in [-1, 1] per text, negative below 0."""

    def score(self, text: str) -> float: ...


_LOAD_LOCK = threading.Lock()
_LOADED: dict[tuple[Path, int], SentimentScorer] = {}


def _load_model(path: Path) -> SentimentScorer:
    from bot.sentiment.scoring import SentimentModel

    # The lexical model alone: customers' short requests ("I want to return the shoes") score
    # near 0 with it, while the English review-sentence head pushes them towards "annoyed"; and
    # it scores in 0.3 ms where the sentence encoder takes 13 ms before every answer.
    model = SentimentModel.load(path, encoder=False)
    logger.info("sentiment model loaded from %s (lexical model, without the English encoder)", path)
    return model


class LazySentiment:
    """The trained sentiment model, loaded on first use (in whatever thread scores first)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._model: SentimentScorer | None = None

    def load(self) -> SentimentScorer:
        """Load the model now (blocking: torch and the weights); later calls return it.

        One copy per model file and process, shared by every gateway app in it (tests start
        hundreds of apps in one process)."""
        if self._model is None:
            with _LOAD_LOCK:
                if self._model is None:
                    key = (self.path.resolve(), self.path.stat().st_mtime_ns)
                    model = _LOADED.get(key)
                    if model is None:
                        model = _load_model(self.path)
                        _LOADED.clear()  # a retrained file replaces the old copy
                        _LOADED[key] = model
                    self._model = model
        return self._model

    def score(self, text: str) -> float:
        return self.load().score(text)


class RecentSentiment:
    """Scores of a conversation's recent customer messages, each text scored once."""

    def __init__(self, store: HandoffStore, scorer: SentimentScorer | None, window: int) -> None:
        self.store = store
        self.scorer = scorer  # None: no model, or it failed (the trigger is off)
        self.window = window
        self._scores: OrderedDict[str, float] = OrderedDict()

    async def recent(
        self, conversation_id: str, *, since: datetime | Literal["last_handoff"] | None
    ) -> list[float]:
        """Scores of the customer's latest ``window`` typed messages after ``since`` (a time,
        or ``"last_handoff"``: since the conversation's last handoff ended)."""
        texts = await self.store.recent_customer_texts(
            conversation_id, since=since, limit=self.window
        )
        return await self.score(texts)

    async def score(self, texts: Sequence[str]) -> list[float]:
        """Scores of ``texts``; each text is scored once (the window slides one message on)."""
        scorer = self.scorer
        if scorer is None or not texts:
            return []
        todo = [text for text in texts if text not in self._scores]

        def run() -> list[float]:
            return [max(-1.0, min(1.0, float(scorer.score(text)))) for text in todo]

        try:
            fresh = await asyncio.to_thread(run) if todo else []
        except Exception:
            # A broken model must not stop customers from being answered.
            logger.exception("sentiment scoring failed; sentiment triggers are off until restart")
            self.scorer = None
            return []
        for text, score in zip(todo, fresh, strict=True):
            self._scores[text] = score
        scores = []
        for text in texts:
            self._scores.move_to_end(text)
            scores.append(self._scores[text])
        while len(self._scores) > SCORE_CACHE:
            self._scores.popitem(last=False)
        return scores
