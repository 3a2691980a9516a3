"""The bench's arithmetic and report (the stacks it starts are exercised by `make bench`)."""

from __future__ import annotations

import threading

import pytest

from bot import bench, report_stamp
from bot.bench import Cell, findings, load, percentile, report


def cell(profile: str, target: str, customers: int, p50: float, per_second: float) -> Cell:
    return Cell(profile, target, customers, 100, 0, p50, p50 * 2, p50 * 3, per_second)


def test_percentile_is_nearest_rank() -> None:
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile(values, 99) == 99
    assert percentile([7.0], 99) == 7.0


def test_load_counts_errors_apart_and_spreads_customers_over_the_senders() -> None:
    seen: dict[str, set[str]] = {"a": set(), "b": set()}
    lock = threading.Lock()

    def sender(name: str, status: int):
        def send(who: str, text: str) -> int:
            with lock:
                seen[name].add(who)
            return 500 if text == "thanks, bye" else status

        return send

    latencies, errors, wall = load([sender("a", 200), sender("b", 200)], 4, 2, "t")
    per_customer = len(bench.MESSAGES) * 2
    assert errors == 4 * 2  # the one failing message, twice per customer
    assert len(latencies) == 4 * per_customer - errors
    # Round robin; each customer's rounds are conversations of their own.
    assert len(seen["a"]) == len(seen["b"]) == 2 * 2
    assert wall > 0


def test_the_long_conversation_is_one_sender_and_compares_its_first_and_last_round(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    senders: list[str] = []
    now = [0.0]
    monkeypatch.setattr(bench.time, "perf_counter", lambda: now[0])

    def fake_rasa(url: str):
        def send(who: str, text: str) -> int:
            senders.append(who)
            now[0] += len(senders) / 1000  # the n-th message takes n ms
            return 200

        return send

    monkeypatch.setattr(bench, "bare_rasa", fake_rasa)
    long = bench.long_conversation(bench.Endpoints(rasa=["http://rasa"], gateways=[]), 3)
    assert len(set(senders)) == 1 and len(senders) == 3 * len(bench.MESSAGES)
    assert long.messages == 24
    assert long.first_round_p50_ms == 4.5  # messages 1..8
    assert long.last_round_p50_ms == 20.5  # messages 17..24
    note = bench.long_conversation_notes({"embedded": long})[0]
    assert note.startswith("embedded: one conversation of 24 messages through bare Rasa: p50 4.5")


def test_findings_state_the_overhead_and_the_scale_ratio() -> None:
    cells = [
        cell("embedded", "rasa", 1, 50.0, 18.0),
        cell("embedded", "gateway", 1, 54.0, 16.0),
        cell("embedded", "gateway", 32, 900.0, 20.0),
        cell("embedded", "rasa", 32, 800.0, 25.0),
        cell("scale", "rasa", 1, 60.0, 15.0),
        cell("scale", "gateway", 1, 75.0, 12.0),
        cell("scale", "gateway", 32, 600.0, 34.0),
        cell("scale", "rasa", 32, 500.0, 40.0),
    ]
    text = "\n".join(findings(cells))
    assert "embedded: at 1 customer the gateway's p50 is 54.0 ms" in text
    assert "+8%" in text and "+25%" in text
    assert "34.0 vs 20.0 messages/s = 1.70x" in text
    assert "bare Rasa, without the gateway: 40.0 vs 25.0 messages/s = 1.60x" in text


def test_the_report_is_stamped_and_has_a_row_per_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_stamp, "commit", lambda: "abc1234")
    cells = [cell("embedded", "rasa", 1, 50.0, 18.0), cell("embedded", "gateway", 1, 54.0, 16.0)]
    text = report(cells, ["a note"], report_stamp.stamp())
    assert "at commit abc1234 on" in text and "cores" in text
    assert "| embedded | bare Rasa REST | 1 | 100 | 0 | 50.0 |" in text
    assert "| embedded | /api/chat | 1 | 100 | 0 | 54.0 |" in text
    assert "- a note" in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--concurrency", "1,x"], "--concurrency must be comma-separated integers"),
        (["--concurrency", "0"], "at least 1"),
        (["--profiles", "huge"], "unknown ['huge']"),
        (["--long-rounds", "0"], "--long-rounds must be at least 1"),
    ],
)
def test_bad_arguments_are_refused_naming_them(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        bench.main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_measure_alternates_the_targets_round_by_round_and_sums_each_ones_rounds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order: list[str] = []

    def target(name: str):
        def make(url: str):
            def send(who: str, text: str) -> int:
                if not order or order[-1] != who:
                    order.append(who)
                return 200

            return send

        return make

    monkeypatch.setattr(bench, "bare_rasa", target("rasa"))
    monkeypatch.setattr(bench, "gateway_chat", target("gateway"))
    monkeypatch.setattr(bench, "rasa_call_totals", lambda gateways: (0.0, 0.0))
    endpoints = bench.Endpoints(rasa=["http://rasa"], gateways=["http://gateway"])
    cells = bench.measure("embedded", endpoints, [1], 4 * len(bench.MESSAGES))
    # One unmeasured conversation on each server first; then one customer, four rounds of one
    # conversation per target, the first target changing every round: A B B A A B B A.
    assert [who.split("-")[1:3] for who in order] == [
        ["warmup", "rasa"],
        ["warmup", "gateway"],
        ["rasa", "0"],
        ["gateway", "0"],
        ["gateway", "1"],
        ["rasa", "1"],
        ["rasa", "2"],
        ["gateway", "2"],
        ["gateway", "3"],
        ["rasa", "3"],
    ]
    assert [(c.target, c.requests, c.errors) for c in cells] == [
        ("rasa", 4 * len(bench.MESSAGES), 0),
        ("gateway", 4 * len(bench.MESSAGES), 0),
    ]


def test_the_gateways_own_time_is_its_requests_minus_its_rasa_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    scraped = iter(
        [
            'shop_rasa_request_duration_seconds_sum{outcome="ok"} 1.5\n'
            'shop_rasa_request_duration_seconds_count{outcome="ok"} 10.0\n'
            'shop_rasa_request_duration_seconds_sum{outcome="error"} 0.5\n'
            "# HELP shop_rasa_request_duration_seconds_sum nothing\n"
        ]
    )

    class Response:
        def __init__(self, text: str) -> None:
            self.text = text

        def __enter__(self) -> Response:
            return self

        def __exit__(self, *exc: object) -> None:
            return None

        def read(self) -> bytes:
            return self.text.encode()

    monkeypatch.setattr(
        bench.urllib.request, "urlopen", lambda url, timeout: Response(next(scraped))
    )
    assert bench.rasa_call_totals(["http://gateway"]) == (2.0, 10.0)
    # 4 messages of 600 ms each, 2 s of it in Rasa: 100 ms per message outside Rasa.
    assert bench.own_time_ms([600.0] * 4, 2.0) == 100.0
    assert bench.own_time_ms([], 0.0) is None
    cells = [
        Cell("embedded", "rasa", 1, 100, 0, 50.0, 60.0, 70.0, 18.0),
        Cell("embedded", "gateway", 1, 100, 0, 60.0, 70.0, 80.0, 16.0, own_ms=5.0),
    ]
    text = "\n".join(findings(cells))
    assert "+20%" in text and "spent 5.0 ms per message outside its calls to Rasa: +10%" in text
    assert "| 16.0 | 5.0 |" in report(cells, [], {"commit": "abc", "date": "d", "machine": "m"})
