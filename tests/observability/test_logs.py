"""Log lines: JSON or text by `logging.format`, with the conversation and inbox ids of the message
being handled; a wrong format is refused naming the setting; secrets never appear."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bot import launcher
from bot.config import ConfigError, load_config
from bot.core.outbox import DeliveryError
from bot.gateway import __main__ as gateway_main
from bot.observability import logs
from tests.core.test_pipeline import RecordingSender, eventually, tg
from tests.observability.conftest import PipelineFactory

pytestmark = pytest.mark.usefixtures("root_logging")


def configured(tmp_path: Path, fmt: str, **env: str) -> io.StringIO:
    cfg = load_config(path=tmp_path / "none.yml", env={"SHOP_LOG_FORMAT": fmt, **env})
    stream = io.StringIO()
    logs.configure_logging(cfg, stream=stream)
    return stream


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


async def answered_twice(make_pipeline: PipelineFactory) -> tuple[int, int]:
    """Two customers' messages through a pipeline; their inbox ids."""
    sender = RecordingSender()
    pipeline = await make_pipeline(sender)
    first = await pipeline.submit(tg("where is my parcel", user="logs-1"))
    second = await pipeline.submit(tg("hello", user="logs-2"))

    async def sent() -> bool:
        return len(sender.sent) == 4

    await eventually(sent)
    return first.inbox_id, second.inbox_id


async def test_json_lines_parse_and_carry_the_message_ids(
    tmp_path: Path, make_pipeline: PipelineFactory
) -> None:
    stream = configured(tmp_path, "json")
    logging.getLogger("bot.test").info("before any message")
    first, second = await answered_twice(make_pipeline)
    lines = json_lines(stream)  # every line is one JSON object
    assert lines, "nothing was logged"
    for line in lines:
        assert {"time", "level", "logger", "message", "conversation_id", "inbox_id"} <= set(line)
    outside = next(line for line in lines if line["message"] == "before any message")
    assert (outside["conversation_id"], outside["inbox_id"]) == (None, None)
    assert outside["level"] == "INFO" and outside["logger"] == "bot.test"
    assert outside["time"].endswith("+00:00")
    answers = {
        line["conversation_id"]: line
        for line in lines
        if line["logger"] == "bot.core.pipeline" and "replies=2" in line["message"]
    }
    assert answers["telegram:logs-1"]["inbox_id"] == first
    assert answers["telegram:logs-2"]["inbox_id"] == second
    assert answers["telegram:logs-1"]["message"].startswith("telegram:logs-1 lang=en")


async def test_text_lines_show_the_ids_too(tmp_path: Path, make_pipeline: PipelineFactory) -> None:
    stream = configured(tmp_path, "text")
    first, _second = await answered_twice(make_pipeline)
    answer = next(
        line
        for line in stream.getvalue().splitlines()
        if "bot.core.pipeline" in line and "telegram:logs-1 lang=" in line
    )
    assert f" INFO bot.core.pipeline [telegram:logs-1 #{first}]: " in answer
    with pytest.raises(json.JSONDecodeError):
        json.loads(answer)


async def test_a_reply_being_sent_carries_its_message_ids(
    tmp_path: Path, make_pipeline: PipelineFactory
) -> None:
    stream = configured(tmp_path, "json")
    sender = RecordingSender()
    sender.failures = [DeliveryError("HTTP 502")]
    pipeline = await make_pipeline(sender)
    reply = await pipeline.submit(tg("hello", user="logs-3"))

    async def sent() -> bool:
        return len(sender.sent) == 2

    await eventually(sent)
    retry = next(line for line in json_lines(stream) if "HTTP 502; retry in" in line["message"])
    assert retry["logger"] == "bot.core.delivery" and retry["level"] == "WARNING"
    assert (retry["conversation_id"], retry["inbox_id"]) == ("telegram:logs-3", reply.inbox_id)


def test_an_exception_is_one_json_line(tmp_path: Path) -> None:
    stream = configured(tmp_path, "json")
    tokens = logs.bind_message("web:u1", 7)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("bot.test").exception("it failed")
    finally:
        logs.unbind(tokens)
    (line,) = json_lines(stream)
    assert line["level"] == "ERROR" and line["message"] == "it failed"
    assert (line["conversation_id"], line["inbox_id"]) == ("web:u1", 7)
    assert "RuntimeError: boom" in line["exception"]
    assert logs.conversation_var.get() is None and logs.inbox_var.get() is None


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_secrets_never_appear_in_a_line(tmp_path: Path, fmt: str) -> None:
    secrets = {
        "METRICS_TOKEN": "metrics-secret-value-1",
        "ADMIN_TOKEN": "admin-secret-value-22",
        "TELEGRAM_BOT_TOKEN": "123456:telegram-secret-333",
    }
    stream = configured(tmp_path, fmt, **secrets)
    log = logging.getLogger("bot.test")
    log.warning("calling https://api.telegram.org/bot%s/sendMessage", secrets["TELEGRAM_BOT_TOKEN"])
    log.info("admin=%s metrics=%s", secrets["ADMIN_TOKEN"], secrets["METRICS_TOKEN"])
    try:
        raise ValueError(f"bad token {secrets['ADMIN_TOKEN']}")
    except ValueError:
        log.exception("failed")
    text = stream.getvalue()
    for secret in secrets.values():
        assert secret not in text
    assert text.count("***") >= 4


def test_the_launcher_still_redacts_json_lines_and_knows_every_secret(tmp_path: Path) -> None:
    """A child's JSON line goes through the launcher's pump like a text line."""
    env = {"METRICS_TOKEN": "metrics-secret-value-1", "LINK_SECRET": "link-secret-value-4444"}
    stack = launcher.Stack(
        ports=launcher.StackPorts(15005, 15055, 18000, "127.0.0.1"),
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}",
        log_dir=tmp_path / "logs",
        model_path=tmp_path / "model.tar.gz",
    )
    secrets = stack._secrets(env)
    assert set(env.values()) <= set(secrets)
    line = json.dumps({"message": f"GET /metrics Bearer {env['METRICS_TOKEN']}", "inbox_id": 3})
    sink = io.BytesIO()
    sink.close = lambda: None  # type: ignore[method-assign]  # read it after the pump
    launcher._pump(io.BytesIO((line + "\n").encode()), sink, secrets)
    written = sink.getvalue().decode()
    assert json.loads(written) == {"message": "GET /metrics Bearer ***", "inbox_id": 3}


@pytest.mark.parametrize(
    ("source", "value"),
    [("env", "xml"), ("yaml", "JSON"), ("override", "")],
)
def test_a_wrong_log_format_is_refused_naming_the_setting(
    tmp_path: Path, source: str, value: str
) -> None:
    path = tmp_path / "config.yml"
    env: dict[str, str] = {}
    overrides: dict[str, dict[str, Any]] = {}
    if source == "env":
        env["SHOP_LOG_FORMAT"] = value
    elif source == "yaml":
        path.write_text(f"logging:\n  format: {value}\n")
    else:
        overrides["logging"] = {"format": value}
    with pytest.raises(ConfigError) as refused:
        load_config(path=path, env=env, overrides=overrides)
    message = str(refused.value)
    assert "`logging.format` must be one of text, json" in message
    assert repr(value) in message and "SHOP_LOG_FORMAT" in message


def test_a_wrong_log_level_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"`logging\.level` must be one of DEBUG, INFO"):
        load_config(path=tmp_path / "none.yml", env={"SHOP_LOG_LEVEL": "LOUD"})
    assert load_config(path=tmp_path / "none.yml", env={"SHOP_LOG_LEVEL": "debug"})


def test_an_overriding_level_is_checked_too(tmp_path: Path) -> None:
    cfg = load_config(path=tmp_path / "none.yml", env={})
    with pytest.raises(ConfigError, match="the log level must be one of DEBUG"):
        logs.configure_logging(cfg, level="chatty", stream=io.StringIO())


def test_the_gateway_refuses_to_start_with_a_wrong_format(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SHOP_LOG_FORMAT", "logfmt")
    assert gateway_main.main([]) == 2
    err = capsys.readouterr().err
    assert "configuration error" in err and "`logging.format`" in err and "'logfmt'" in err


def test_text_is_the_default(tmp_path: Path) -> None:
    cfg = load_config(path=tmp_path / "none.yml", env={})
    assert (cfg.logging.format, cfg.logging.level) == ("text", "INFO")
    shipped = load_config(env={})  # the repository's config.yml
    assert shipped.logging.format == "text"


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_personal_data_never_appears_in_a_line(tmp_path: Path, fmt: str) -> None:
    stream = configured(tmp_path, fmt)
    log = logging.getLogger("shop.test.pii")
    log.info("customer said: %s", "收件人 张三，电话13812345678，寄到上海市浦东新区张江路100号")
    log.warning("order 260315004217 for jane.doe@example.com, call +1 415 555 0132")
    try:
        raise ValueError("card 4111 1111 1111 1111 declined")
    except ValueError:
        log.exception("payment failed for 221B Baker Street")
    text = stream.getvalue()
    for private in (
        "张三",
        "13812345678",
        "张江路100号",
        "jane.doe@example.com",
        "415 555 0132",
        "4111 1111 1111 1111",
        "221B Baker Street",
    ):
        assert private not in text
    for marker in ("<name>", "<phone>", "<address>", "<email>", "<card>"):
        assert marker in text
    assert "260315004217" in text  # order numbers stay
    assert "上海市浦东新区" in text  # the city and district stay


def test_privacy_redact_logs_off_keeps_the_text(tmp_path: Path) -> None:
    stream = configured(tmp_path, "json", SHOP_PRIVACY_REDACT_LOGS="false")
    logging.getLogger("shop.test.pii").info("call me on 13812345678")
    assert json_lines(stream)[-1]["message"] == "call me on 13812345678"
