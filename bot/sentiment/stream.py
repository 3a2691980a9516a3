"""``python -m bot sentiment``: score standard input line by line.

Each input line (UTF-8; undecodable bytes are replaced, never fatal) gives one output line
``{"score": s}`` with s in [-1, 1], written and flushed before the next line is read, so a
caller can talk to the process interactively. Empty lines score 0.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import BinaryIO, TextIO

from bot.sentiment.scoring import DEFAULT_MODEL_PATH, SentimentModel


def stream_scores(model: SentimentModel, source: BinaryIO, sink: TextIO) -> int:
    """Score each line of ``source`` onto ``sink``; returns the number of lines scored."""
    count = 0
    for raw in iter(source.readline, b""):
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
        sink.write(json.dumps({"score": round(model.score(text), 4)}) + "\n")
        sink.flush()
        count += 1
    return count


def load_or_train(path: Path | None, retrain: bool) -> SentimentModel:
    """The model at ``path``; trained first (about a minute) when missing or ``retrain``."""
    path = path or DEFAULT_MODEL_PATH
    if retrain or not path.exists():
        from bot.sentiment.train import train_and_save  # training code loads only when needed

        reason = "retraining" if retrain else f"no model at {path}; training one"
        print(f"sentiment: {reason} (about a minute)...", file=sys.stderr, flush=True)
        info = train_and_save(path)
        print(f"sentiment: wrote {info.path}", file=sys.stderr, flush=True)
    return SentimentModel.load(path)


def run_cli(model_path: Path | None, retrain: bool) -> int:
    """Entry point of the ``sentiment`` command; 0 at end of input."""
    model = load_or_train(model_path, retrain)
    try:
        stream_scores(model, sys.stdin.buffer, sys.stdout)
    except BrokenPipeError:
        # The reader went away: nothing left to write to, not an error of ours.
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        return 130
    return 0
