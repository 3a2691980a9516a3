"""``python -m bot entities``: entities of standard input, line by line.

Each input line (UTF-8; undecodable bytes are replaced, never fatal) gives one output line
``{"entities": [{"type", "text", "start", "end", "value"}, ...]}``, written and flushed before
the next line is read. Offsets count characters of the line as decoded (without its line
break). A blank line gives ``{"entities": []}``; so does a line the extractor fails on (the
error goes to standard error), so one bad line never ends the stream.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from typing import BinaryIO, TextIO

from bot.entities.pipeline import EntityExtractor


def line_json(extractor: EntityExtractor, text: str, today: date) -> str:
    try:
        entities = extractor.extract_dicts(text, today)
    except Exception as exc:
        print(f"entities: skipped a line: {type(exc).__name__}: {exc}", file=sys.stderr)
        entities = []
    return json.dumps({"entities": entities}, ensure_ascii=False)


def stream_entities(
    extractor: EntityExtractor, source: BinaryIO, sink: TextIO, today: Callable[[], date]
) -> int:
    """One JSON line on ``sink`` per line of ``source``; returns the number of lines."""
    count = 0
    for raw in iter(source.readline, b""):
        text = raw.decode("utf-8", errors="replace").lstrip("\ufeff").rstrip("\r\n")
        sink.write(line_json(extractor, text, today()) + "\n")
        sink.flush()
        count += 1
    return count


def run_cli(extractor: EntityExtractor, today: Callable[[], date]) -> int:
    """Entry point of the ``entities`` command; 0 at end of input."""
    out = sys.stdout
    if hasattr(out, "reconfigure"):
        out.reconfigure(encoding="utf-8", errors="replace")
    try:
        stream_entities(extractor, sys.stdin.buffer, out, today)
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away
        return 0
    except KeyboardInterrupt:
        return 130
    return 0
