"""A small SASRec-style transformer over the customer's recent items (next-item prediction).

- :class:`SASRecNet` (``nn.Module``): the forward pass only; sequence in, one hidden vector per
  position out; item scores are dot products with the (tied) item embeddings.
- :func:`sampled_softmax_loss`: a pure loss; the positive against a shared pool of sampled
  negatives with the log-sampling-probability correction, which approximates the full softmax
  cross-entropy at a fraction of its cost (the full softmax over tens of thousands of items is
  bound by memory bandwidth on a CPU).
- :class:`SequentialRecommender`: fit (seeded, time-bounded, early stopping on a validation
  split), score histories, save and load.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from bot.recsys.data import PAD, Split, subsample
from bot.recsys.metrics import hit_and_ndcg

# The clocks a time budget can count (see SASRecConfig.budget_clock).
BUDGET_CLOCKS: dict[str, Callable[[], float]] = {
    "wall": time.perf_counter,
    "cpu": time.process_time,
}


@dataclass(frozen=True)
class SASRecConfig:
    """Architecture and training settings; the defaults are meant for any data of the kind."""

    dim: int = 64
    max_len: int = 50
    layers: int = 2
    heads: int = 2
    dropout: float = 0.3
    lr: float = 4e-3
    weight_decay: float = 0.0
    batch_size: int = 256
    negatives: int = 1024
    max_epochs: int = 200
    patience: int = 6  # epochs without a better validation NDCG@10 before stopping
    min_epochs: int = 10  # never stop earlier: the first epochs can plateau before learning
    time_budget_s: float = 150.0  # no epoch starts after this long (the best epoch is kept)
    # What the budget counts: "wall" seconds, or "cpu" seconds of this process (all threads),
    # which a busy shared machine does not eat into.
    budget_clock: str = "wall"
    valid_users: int = 6000  # early stopping looks at this many validation users (seeded)
    bf16: bool = True  # bfloat16 autocast where the CPU supports it natively (about 2x faster)
    threads: int = 2

    def __post_init__(self) -> None:
        if self.dim % self.heads:
            raise ValueError(f"dim ({self.dim}) must be a multiple of heads ({self.heads})")
        for name in ("dim", "max_len", "layers", "heads", "batch_size", "negatives"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.budget_clock not in BUDGET_CLOCKS:
            raise ValueError(
                f"budget_clock must be one of {sorted(BUDGET_CLOCKS)}, got {self.budget_clock!r}"
            )


class _Block(nn.Module):
    """Pre-norm transformer block with causal self-attention."""

    def __init__(self, dim: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads = heads
        self.dropout = dropout
        self.norm1 = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.out = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, 2 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(2 * dim, dim)
        )
        self.drop = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        batch, length, dim = x.shape
        q, k, v = self.qkv(self.norm1(x)).chunk(3, dim=-1)

        def heads(t: torch.Tensor) -> torch.Tensor:
            return t.view(batch, length, self.heads, dim // self.heads).transpose(1, 2)

        attended = F.scaled_dot_product_attention(
            heads(q),
            heads(k),
            heads(v),
            attn_mask=mask,
            dropout_p=self.dropout if self.training else 0.0,
        )
        x = x + self.drop(self.out(attended.transpose(1, 2).reshape(batch, length, dim)))
        return x + self.drop(self.ff(self.norm2(x)))


class SASRecNet(nn.Module):
    """Left-padded item sequences (B, L) -> hidden states (B, L, dim)."""

    def __init__(self, n_items: int, config: SASRecConfig) -> None:
        super().__init__()
        self.item_embedding = nn.Embedding(n_items + 1, config.dim, padding_idx=PAD)
        self.position_embedding = nn.Embedding(config.max_len, config.dim)
        self.blocks = nn.ModuleList(
            _Block(config.dim, config.heads, config.dropout) for _ in range(config.layers)
        )
        self.norm = nn.LayerNorm(config.dim)
        self.drop = nn.Dropout(config.dropout)
        nn.init.normal_(self.item_embedding.weight, std=config.dim**-0.5)
        nn.init.normal_(self.position_embedding.weight, std=0.02)
        with torch.no_grad():
            self.item_embedding.weight[PAD].zero_()

    def forward(self, sequences: torch.Tensor) -> torch.Tensor:
        length = sequences.shape[1]
        # Positions count back from the newest item, so left padding does not shift them.
        positions = torch.arange(length - 1, -1, -1, device=sequences.device)
        x = self.item_embedding(sequences) + self.position_embedding(positions)[None]
        x = self.drop(x)
        real = sequences != PAD
        causal = torch.ones(length, length, dtype=torch.bool, device=sequences.device).tril()
        # Attend to earlier real items; padding attends to itself only (never an empty row).
        mask = (causal[None] & real[:, None, :]) | torch.eye(length, dtype=torch.bool)[None]
        mask = mask[:, None]  # one mask for all heads
        for block in self.blocks:
            x = block(x, mask)
        return self.norm(x)

    def item_weights(self) -> torch.Tensor:
        return self.item_embedding.weight


def sampled_softmax_loss(
    hidden: torch.Tensor,
    item_weights: torch.Tensor,
    targets: torch.Tensor,
    negatives: torch.Tensor,
    log_q: torch.Tensor,
) -> torch.Tensor:
    """Cross-entropy of each target against a shared pool of sampled negatives.

    ``hidden`` (N, d) predicts ``targets`` (N,); ``negatives`` (M,) were drawn with
    probabilities whose logs ``log_q`` (M,) are subtracted (logQ correction), so the estimate
    tends to the full softmax. A negative equal to the row's target is masked out.
    """
    positive = (hidden * item_weights[targets]).sum(-1, keepdim=True)
    negative = hidden @ item_weights[negatives].T - log_q[None]
    negative = negative.masked_fill(negatives[None] == targets[:, None], float("-inf"))
    logits = torch.cat([positive, negative], dim=1)
    return F.cross_entropy(logits, torch.zeros(len(targets), dtype=torch.long))


def full_softmax_loss(
    hidden: torch.Tensor, item_weights: torch.Tensor, targets: torch.Tensor
) -> torch.Tensor:
    """Cross-entropy of each target against every item (padding excluded)."""
    logits = hidden @ item_weights.T
    logits[:, PAD] = float("-inf")
    return F.cross_entropy(logits, targets)


def native_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX-512 BF16 or AMX); emulated is slower."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def pad_left(histories: Sequence[np.ndarray], max_len: int) -> np.ndarray:
    """The last ``max_len`` items of each history, left-padded to the longest of them."""
    width = max(1, min(max_len, max((len(h) for h in histories), default=1)))
    out = np.zeros((len(histories), width), dtype=np.int64)
    for row, history in enumerate(histories):
        tail = history[-width:]
        if len(tail):
            out[row, width - len(tail) :] = tail
    return out


@dataclass(frozen=True)
class EpochLog:
    epoch: int
    seconds: float
    loss: float
    valid_hr: float
    valid_ndcg: float


class SequentialRecommender:
    """Fit / score wrapper around :class:`SASRecNet` with an injected seed."""

    def __init__(self, n_items: int, config: SASRecConfig | None = None, seed: int = 0) -> None:
        if n_items < 1:
            raise ValueError(f"n_items must be at least 1, got {n_items}")
        self.n_items = n_items
        self.config = config or SASRecConfig()
        self.seed = seed
        torch.manual_seed(seed)
        self.net = SASRecNet(n_items, self.config)
        self.log: list[EpochLog] = []
        self.train_seconds = 0.0
        self.stopped = ""  # "patience", "budget" or "max_epochs" after fit

    # --- training -------------------------------------------------------------------------
    def fit(
        self,
        sequences: Sequence[np.ndarray],
        valid: Split | None = None,
        progress: Callable[[EpochLog], None] | None = None,
    ) -> SequentialRecommender:
        """Train next-item prediction on ``sequences`` (each item predicts the next).

        With ``valid`` the weights of the epoch with the best validation NDCG@10 are kept and
        training stops after ``patience`` epochs without improvement; no epoch starts once
        ``time_budget_s`` seconds have passed (the rule of :func:`bot.recsys.search.edge_search`
        for trials). :attr:`stopped` says why training ended.
        """
        cfg = self.config
        torch.set_num_threads(cfg.threads)
        torch.manual_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        usable = [s[-(cfg.max_len + 1) :] for s in sequences if len(s) >= 2]
        if not usable:
            raise ValueError("no sequence has two or more items; nothing to learn from")
        counts = np.bincount(np.concatenate(usable), minlength=self.n_items + 1).astype(np.float64)
        # Negatives are drawn by popularity smoothed with a 0.75 power (word2vec's choice).
        sampling = counts**0.75
        sampling[PAD] = 0.0
        sampling /= sampling.sum()
        sampling_t = torch.from_numpy(sampling)
        optimizer = torch.optim.AdamW(
            self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay
        )
        use_bf16 = cfg.bf16 and native_bf16()
        if valid is not None:
            valid = subsample(valid, cfg.valid_users, self.seed)
        best_ndcg, best_state, stale = -1.0, None, 0
        start = time.perf_counter()
        budget_clock = BUDGET_CLOCKS[cfg.budget_clock]
        budget_start = budget_clock()
        self.stopped = "max_epochs"
        for epoch in range(1, cfg.max_epochs + 1):
            self.net.train()
            losses = []
            for batch in _length_batches(usable, cfg.batch_size, rng):
                padded = torch.from_numpy(pad_left(batch, cfg.max_len + 1))
                inputs, targets = padded[:, :-1], padded[:, 1:]
                real = targets != PAD
                negatives = torch.multinomial(sampling_t, cfg.negatives, replacement=True)
                log_q = torch.log(sampling_t[negatives] * cfg.negatives).float()
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
                    hidden = self.net(inputs)
                    loss = sampled_softmax_loss(
                        hidden[real], self.net.item_weights(), targets[real], negatives, log_q
                    )
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
            hr, ndcg = self.validate(valid) if valid is not None else (math.nan, math.nan)
            entry = EpochLog(epoch, time.perf_counter() - start, float(np.mean(losses)), hr, ndcg)
            self.log.append(entry)
            if progress is not None:
                progress(entry)
            if valid is not None:
                if ndcg > best_ndcg:
                    best_ndcg, stale = ndcg, 0
                    best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}
                else:
                    stale += 1
                if stale >= cfg.patience and epoch >= cfg.min_epochs:
                    self.stopped = "patience"
                    break
            if epoch < cfg.max_epochs and budget_clock() - budget_start >= cfg.time_budget_s:
                self.stopped = "budget"
                break
        if best_state is not None:
            self.net.load_state_dict(best_state)
        self.net.eval()
        self.train_seconds = time.perf_counter() - start
        return self

    def validate(self, split: Split, k: int = 10) -> tuple[float, float]:
        """HR@k and NDCG@k on ``split`` (full ranking, history excluded)."""
        ranks = []
        for start in range(0, len(split.targets), 1024):
            histories = split.histories[start : start + 1024]
            targets = torch.from_numpy(split.targets[start : start + 1024])
            scores = self.score_tensor(histories)
            rows = np.repeat(np.arange(len(histories)), [len(h) for h in histories])
            columns = np.concatenate(histories)
            scores[torch.from_numpy(rows), torch.from_numpy(columns)] = float("-inf")
            target_scores = scores.gather(1, targets[:, None])
            ranks.append(((scores >= target_scores).sum(1) - 1).clamp(min=0).numpy())
        return hit_and_ndcg(np.concatenate(ranks), k)

    # --- scoring --------------------------------------------------------------------------
    @torch.no_grad()
    def score_tensor(self, histories: Sequence[np.ndarray]) -> torch.Tensor:
        """(batch, n_items + 1) scores of the next item; padding scores -inf."""
        self.net.eval()
        order = np.argsort([len(h) for h in histories], kind="stable")
        out = torch.empty(len(histories), self.n_items + 1)
        for start in range(0, len(order), 256):
            rows = order[start : start + 256]
            padded = torch.from_numpy(pad_left([histories[i] for i in rows], self.config.max_len))
            last = self.net(padded)[:, -1]
            out[torch.from_numpy(rows)] = last @ self.net.item_weights().T
        out[:, PAD] = float("-inf")
        return out

    def scores(self, histories: Sequence[np.ndarray], rows: np.ndarray | None = None) -> np.ndarray:
        """The :data:`bot.recsys.metrics.Scorer` interface (``rows`` is not needed)."""
        return self.score_tensor(histories).numpy()

    @torch.no_grad()
    def item_vectors(self) -> np.ndarray:
        """The item embeddings, (n_items + 1, dim), row 0 padding."""
        return self.net.item_weights().detach().numpy().copy()

    # --- persistence ----------------------------------------------------------------------
    def save(self, path: str | Path, extra: dict[str, Any] | None = None) -> None:
        """Write weights and settings to ``path`` atomically (readers never see half a file)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "state": self.net.state_dict(),
            "meta": json.dumps(
                {
                    "n_items": self.n_items,
                    "config": asdict(self.config),
                    "seed": self.seed,
                    "extra": extra or {},
                }
            ),
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        torch.save(payload, tmp)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | Path) -> tuple[SequentialRecommender, dict[str, Any]]:
        """A model saved with :meth:`save`, and the ``extra`` dict saved with it."""
        payload = torch.load(Path(path), weights_only=True)
        meta = json.loads(payload["meta"])
        model = cls(meta["n_items"], SASRecConfig(**meta["config"]), seed=meta["seed"])
        model.net.load_state_dict(payload["state"])
        model.net.eval()
        return model, dict(meta.get("extra") or {})


def _length_batches(
    sequences: list[np.ndarray], batch_size: int, rng: np.random.Generator
) -> list[list[np.ndarray]]:
    """Batches of similar-length sequences (little padding), in random order."""
    jitter = rng.random(len(sequences))
    lengths = np.asarray([len(s) for s in sequences])
    order = np.lexsort((jitter, lengths))
    batches = [
        [sequences[i] for i in order[start : start + batch_size]]
        for start in range(0, len(order), batch_size)
    ]
    rng.shuffle(batches)
    return batches
