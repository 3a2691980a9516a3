"""Linking chat accounts after proof: signed, expiring, single-use deep-link tokens, and the
limits on guessing (wrong phones, bad tokens) kept in the database."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import load_config
from bot.services import attempts, linking
from bot.services.customers import resolve_customer
from bot.services.link_command import LinkCommandError, make_link
from bot.storage.db import create_engine
from bot.storage.schema import access_attempts
from tests.factory import ShopFactory

SECRET = "link-secret-for-tests"
NOW = datetime(2026, 4, 21, 4, 0, tzinfo=UTC)
WEEK = timedelta(days=7)


def token_for(
    customer_id: str, *, now: datetime = NOW, secret: str = SECRET, channel: str = "telegram"
) -> str:
    return linking.sign_token(secret, customer_id, channel=channel, now=now, valid_for=WEEK)


# --- tokens ---------------------------------------------------------------------------------
def test_token_names_the_customer_and_fits_a_telegram_start_parameter() -> None:
    token = token_for("C0001")
    assert len(token) <= 64 and re.fullmatch(r"[A-Za-z0-9_-]+", token)
    found = linking.verify_token(SECRET, token, channel="telegram", now=NOW + timedelta(days=6))
    assert found.customer_id == "C0001"
    assert found.expires_at == NOW + WEEK
    longest = "C" * linking.MAX_CUSTOMER_ID_BYTES
    assert len(token_for(longest)) <= 64
    with pytest.raises(ValueError, match="does not fit"):
        token_for(longest + "1")
    assert token_for("C0001") != token_for("C0001")  # a fresh nonce each time


def test_token_expires() -> None:
    token = token_for("C0001")
    linking.verify_token(SECRET, token, channel="telegram", now=NOW + WEEK - timedelta(seconds=1))
    for later in (NOW + WEEK, NOW + WEEK + timedelta(days=30)):
        with pytest.raises(linking.TokenError) as refused:
            linking.verify_token(SECRET, token, channel="telegram", now=later)
        assert refused.value.reason == "expired"


def _flip(token: str, index: int) -> str:
    chars = list(token)
    chars[index] = "A" if chars[index] != "A" else "B"
    return "".join(chars)


def _with_customer(token: str, customer_id: str) -> str:
    """The token with its customer id replaced (the MAC left as it was)."""
    raw = base64.urlsafe_b64decode(token[3:] + "=" * (-len(token[3:]) % 4))
    head, mac = raw[: 5 + linking.NONCE_BYTES], raw[-linking.MAC_BYTES :]
    forged = head + customer_id.encode() + mac
    return "ln_" + base64.urlsafe_b64encode(forged).decode().rstrip("=")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda t: token_for("C0001", secret="another shop's secret"), id="other-key"),
        pytest.param(lambda t: _with_customer(t, "C0002"), id="other-customer"),
        pytest.param(lambda t: _flip(t, 10), id="changed-expiry"),
        pytest.param(lambda t: _flip(t, len(t) - 3), id="changed-mac"),
        pytest.param(lambda t: _flip(t, len(t) - 1), id="changed-last-character"),
        pytest.param(lambda t: t[:-4], id="truncated"),
        pytest.param(lambda t: t[:20], id="cut-short"),
        pytest.param(lambda t: "ln_" + "%%%%", id="not-base64"),
        pytest.param(lambda t: "ln_", id="empty"),
        pytest.param(lambda t: t.replace("ln_", "xx_"), id="no-prefix"),
        pytest.param(lambda t: t + "A" * 70, id="too-long"),
        pytest.param(lambda t: "ln_" + base64.urlsafe_b64encode(b"\x01" * 40).decode(), id="junk"),
    ],
)
def test_forged_tokens_are_refused(make: Callable[[str], str]) -> None:
    token = make(token_for("C0001"))
    with pytest.raises(linking.TokenError) as refused:
        linking.verify_token(SECRET, token, channel="telegram", now=NOW)
    assert refused.value.reason == "forged"


def test_token_for_telegram_is_refused_on_another_channel_and_without_a_secret() -> None:
    token = token_for("C0001")
    with pytest.raises(linking.TokenError, match="not signed"):
        linking.verify_token(SECRET, token, channel="slack", now=NOW)
    with pytest.raises(linking.TokenError, match="not signed"):
        linking.verify_token("", token, channel="telegram", now=NOW)
    with pytest.raises(ValueError, match="LINK_SECRET"):
        linking.sign_token("", "C0001", now=NOW, valid_for=WEEK)


# --- using a token --------------------------------------------------------------------------
async def test_token_links_once_and_a_reuse_is_refused(
    shop: ShopFactory, shop_engine: AsyncEngine
) -> None:
    customer = shop.customer("zh")
    token = token_for(customer.id)
    assert await resolve_customer(shop_engine, "telegram", "5001") is None
    linked = await linking.link_with_token(
        shop_engine, SECRET, token, channel="telegram", external_id="5001", now=NOW
    )
    assert linked == (customer.id, linking.LinkResult.LINKED)
    found = await resolve_customer(shop_engine, "telegram", "5001")
    assert found is not None and found.id == customer.id
    # Telegram delivering the same /start again: the same account, nothing changes.
    again = await linking.link_with_token(
        shop_engine, SECRET, token, channel="telegram", external_id="5001", now=NOW
    )
    assert again == (customer.id, linking.LinkResult.ALREADY)
    # Someone else who got hold of the link: refused, and not linked.
    with pytest.raises(linking.TokenError) as refused:
        await linking.link_with_token(
            shop_engine, SECRET, token, channel="telegram", external_id="6666", now=NOW
        )
    assert refused.value.reason == "used"
    assert await resolve_customer(shop_engine, "telegram", "6666") is None


async def test_token_of_an_unknown_customer_links_nothing(shop_engine: AsyncEngine) -> None:
    with pytest.raises(linking.TokenError) as refused:
        await linking.link_with_token(
            shop_engine, SECRET, token_for("NOBODY"), channel="telegram", external_id="1", now=NOW
        )
    assert refused.value.reason == "forged"
    assert await resolve_customer(shop_engine, "telegram", "1") is None


async def test_a_shop_link_moves_an_account_but_a_phone_check_never_does(
    shop: ShopFactory, shop_engine: AsyncEngine
) -> None:
    first, second = shop.customer(), shop.customer()
    assert await linking.link_account(shop_engine, "slack", "U1", first.id)
    assert not await linking.link_account(shop_engine, "slack", "U1", second.id)
    found = await resolve_customer(shop_engine, "slack", "U1")
    assert found is not None and found.id == first.id
    await linking.link_with_token(
        shop_engine,
        SECRET,
        token_for(second.id, channel="slack"),
        channel="slack",
        external_id="U1",
        now=NOW,
    )
    found = await resolve_customer(shop_engine, "slack", "U1")
    assert found is not None and found.id == second.id


# --- attempt limits -------------------------------------------------------------------------
LIMITS = attempts.Limits(max_wrong=5, window=timedelta(hours=1), lock=timedelta(hours=1))


async def _wrong(engine: AsyncEngine, at: datetime, subject: str = "telegram:7") -> datetime | None:
    return await attempts.record_wrong(
        engine, attempts.PHONE, subject, "900000000001", now=at, limits=LIMITS
    )


async def _locked(
    engine: AsyncEngine, at: datetime, subject: str = "telegram:7"
) -> datetime | None:
    return await attempts.locked_until(
        engine, attempts.PHONE, subject, "900000000001", now=at, limits=LIMITS
    )


async def test_fifth_wrong_answer_within_an_hour_locks_for_an_hour_across_restarts(
    tmp_path: Path, engine: AsyncEngine
) -> None:
    for minute in range(4):
        assert await _wrong(engine, NOW + timedelta(minutes=minute * 10)) is None
    fifth = NOW + timedelta(minutes=50)
    assert await _wrong(engine, fifth) == fifth + timedelta(hours=1)
    assert await _locked(engine, fifth + timedelta(minutes=59)) == fifth + timedelta(hours=1)
    assert await _locked(engine, fifth, subject="telegram:8") is None  # per sender
    # A restart: a new engine on the same database still sees the lock.
    again = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        assert await _locked(again, fifth + timedelta(minutes=30)) is not None
        assert await _locked(again, fifth + timedelta(hours=1)) is None
    finally:
        await again.dispose()


async def test_wrong_answers_spread_over_more_than_an_hour_do_not_lock(
    engine: AsyncEngine,
) -> None:
    for minute in (0, 20, 40, 60, 80, 100, 120):
        assert await _wrong(engine, NOW + timedelta(minutes=minute)) is None


async def test_a_right_answer_clears_the_count(engine: AsyncEngine) -> None:
    for minute in range(4):
        await _wrong(engine, NOW + timedelta(minutes=minute))
    await attempts.clear(engine, attempts.PHONE, "telegram:7", "900000000001")
    async with engine.connect() as conn:
        assert (await conn.execute(select(access_attempts))).all() == []
    assert await _wrong(engine, NOW + timedelta(minutes=5)) is None


# --- the command ------------------------------------------------------------------------------
def test_link_command_prints_a_deep_link_for_an_existing_customer(
    shop: ShopFactory, shop_engine: AsyncEngine, tmp_path: Path
) -> None:
    customer = shop.customer()
    url = shop_engine.url.render_as_string(hide_password=False)
    env = {"LINK_SECRET": SECRET, "SHOP_DATABASE_URL": url, "TELEGRAM_BOT_USERNAME": "shop_bot"}
    cfg = load_config(path=tmp_path / "none.yml", env=env)
    link, expires = make_link(cfg, customer.id, bot=None, days=None, now=NOW)
    assert link.startswith("https://t.me/shop_bot?start=ln_")
    assert expires == NOW + timedelta(days=cfg.access.link_token_days)
    token = link.split("start=", 1)[1]
    found = linking.verify_token(SECRET, token, channel="telegram", now=NOW)
    assert found.customer_id == customer.id
    with pytest.raises(LinkCommandError, match="no customer"):
        make_link(cfg, "NOBODY", bot=None, days=None, now=NOW)
    no_secret = load_config(path=tmp_path / "none.yml", env={"SHOP_DATABASE_URL": url})
    with pytest.raises(LinkCommandError, match="LINK_SECRET"):
        make_link(no_secret, customer.id, bot="shop_bot", days=None, now=NOW)
    no_bot = load_config(path=tmp_path / "none.yml", env={"LINK_SECRET": SECRET})
    with pytest.raises(LinkCommandError, match="TELEGRAM_BOT_USERNAME"):
        make_link(no_bot, customer.id, bot=None, days=None, now=NOW)


async def test_answers_too_old_to_matter_are_dropped(engine: AsyncEngine) -> None:
    await _wrong(engine, NOW)
    await _wrong(engine, NOW + timedelta(hours=2, minutes=1))
    async with engine.connect() as conn:
        kept = (await conn.execute(select(access_attempts.c.created_at))).all()
    assert len(kept) == 1
