"""Progress bars and step lines for the first-run steps (bot/progress.py) and where they are
wired: seeding, the sentiment trainer, the launcher waiting for its processes."""

from __future__ import annotations

import http.server
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import launcher
from bot.config import Config
from bot.launcher import Stack, StackPorts
from bot.progress import Progress, step
from bot.shop.seed import seed_demo_shop
from bot.storage.db import create_engine
from tests.conftest import SHOP_TODAY, sqlite_url


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_one_line_per_tenth_and_the_last_line_says_all_done() -> None:
    out = io.StringIO()
    with Progress("Writing rows", 1000, unit="rows", stream=out) as bar:
        for _ in range(100):
            bar.update(10)
    lines = out.getvalue().splitlines()
    assert len(lines) == 11  # the first piece of work, then every tenth
    assert lines[0].startswith("Writing rows [") and "10/1000" in lines[0]
    assert "11%" in lines[1]
    assert "100%" in lines[-1] and "1000/1000 rows" in lines[-1]
    assert "\r" not in out.getvalue()


def test_a_terminal_gets_the_bar_redrawn_in_place() -> None:
    out = Tty()
    bar = Progress("Training", 5, unit="epochs", stream=out)
    for _ in range(5):
        bar.update()
    bar.close()
    text = out.getvalue()
    assert text.count("\n") == 1 and text.endswith("\n")
    assert text.startswith("\rTraining [")
    assert "5/5 epochs" in text.rsplit("\r", 1)[-1]


def test_the_bar_is_drawn_to_scale() -> None:
    bar = Progress("x", 4, stream=io.StringIO())
    bar.update(1)
    drawn = bar.render().split("[", 1)[1].split("]", 1)[0]
    assert drawn.count("#") == 7 and drawn.count(".") == 21
    assert " 25%" in bar.render()
    assert bar.render("note").endswith("  note")


def test_zero_work_is_done_and_negative_work_is_refused() -> None:
    assert Progress("x", 0, stream=io.StringIO()).fraction == 1.0
    with pytest.raises(ValueError, match="total"):
        Progress("x", -1)


def test_shop_progress_0_silences_bars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_PROGRESS", "0")
    out = io.StringIO()
    with Progress("x", 3, stream=out) as bar:
        bar.update(3)
    assert out.getvalue() == ""


def test_a_step_says_what_starts_and_how_it_ended() -> None:
    out = io.StringIO()
    with step("Generating the demo shop", stream=out):
        pass
    assert out.getvalue().splitlines()[0] == "==> Generating the demo shop ..."
    assert "Generating the demo shop: done in 0 s" in out.getvalue()
    out = io.StringIO()
    with pytest.raises(RuntimeError), step("Importing", stream=out):
        raise RuntimeError("bad file")
    assert "Importing: failed in" in out.getvalue()


async def test_seeding_with_progress_counts_every_row(
    tmp_path: Path, cfg: Config, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = create_engine(sqlite_url(tmp_path / "shop.db"))
    try:
        stats = await seed_demo_shop(engine, cfg, today=SHOP_TODAY, progress=True)
    finally:
        await engine.dispose()
    err = capsys.readouterr().err
    total = sum(
        [
            stats.products,
            stats.customers,
            stats.orders,
            stats.order_items,
            stats.shipment_events,
            stats.interactions,
        ]
    )
    assert "==> Generating the demo shop ..." in err
    last = [line for line in err.splitlines() if line.startswith("Writing the demo shop")][-1]
    done = int(last.split("/", 1)[0].rsplit(" ", 1)[-1])
    assert done >= total  # also the identities table
    assert "100%" in last


@pytest.fixture
def health_server() -> Iterator[int]:
    class Ok(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


def test_waiting_for_the_stack_names_each_process_as_it_becomes_ready(
    tmp_path: Path, health_server: int
) -> None:
    port = health_server
    stack = Stack(
        ports=StackPorts(port, port, port, "127.0.0.1"),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        log_dir=tmp_path / "logs",
        model_path=tmp_path / "model.tar.gz",
    )
    said: list[str] = []
    stack.wait_ready(5, say=said.append)
    assert sorted(said) == sorted(
        f"  {launcher.READY_NAMES[name]} ready after 0 s" for name in ("actions", "rasa", "gateway")
    )
