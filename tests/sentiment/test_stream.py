"""``python -m bot sentiment``: one JSON line per input line, streamed, robust to junk."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import REPO_ROOT
from bot.sentiment.scoring import SentimentModel
from bot.sentiment.stream import stream_scores
from tests.sentiment.helpers import SmallModel


def test_stream_scores_in_process(model: SentimentModel) -> None:
    source = io.BytesIO(
        "谢谢，很满意\n\nterrible\r\n".encode() + b"\xff\xfe junk\n" + b"no newline at the end"
    )
    sink = io.StringIO()
    assert stream_scores(model, source, sink) == 5
    rows = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [set(row) for row in rows] == [{"score"}] * 5
    assert rows[0]["score"] > 0 > rows[2]["score"]
    assert rows[1]["score"] == 0.0
    assert all(-1 <= row["score"] <= 1 for row in rows)


def test_cli_streams_line_by_line(trained: SmallModel) -> None:
    """Each answer arrives before the next line is sent: the process does not wait for EOF."""
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "sentiment", "--model", str(trained.path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO_ROOT,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        answers = []
        for line in ["this is the worst service ever", "", "谢谢，很满意", "\x00 junk 😡"]:
            process.stdin.write(line.encode() + b"\n")
            process.stdin.flush()
            answers.append(json.loads(process.stdout.readline()))
        process.stdin.write(b"\xc3\x28 invalid utf-8\n")
        process.stdin.close()
        rest = process.stdout.read().decode().splitlines()
        assert process.wait(timeout=60) == 0, process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()
    answers += [json.loads(line) for line in rest]
    assert len(answers) == 5
    assert answers[0]["score"] < 0 < answers[2]["score"]
    assert answers[1] == {"score": 0.0}
    assert all(-1 <= a["score"] <= 1 for a in answers)


def test_cli_reports_unreadable_model(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_text("junk")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "sentiment", "--model", str(junk)],
        input=b"hello\n",
        capture_output=True,
        cwd=REPO_ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert b"make train-sentiment" in result.stderr
    assert result.stdout == b""
