"""Admin accounts: scrypt hashes, the login cookie (HttpOnly, SameSite=Strict), the CSRF token
on unsafe methods, and the roles (editors edit, reviewers read, owners deploy)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.studio import accounts
from tests.admin.conftest import Studio

pytestmark = pytest.mark.timeout(60)
PASSWORD = "correct horse battery"
FAQ_BODY = {"zh": "支持支付宝和微信支付。", "en": "We accept Alipay and WeChat Pay."}


def test_password_hashes() -> None:
    stored = accounts.hash_password(PASSWORD)
    assert stored.startswith("scrypt$") and PASSWORD not in stored
    assert accounts.check_password(PASSWORD, stored)
    assert not accounts.check_password(PASSWORD + "x", stored)
    assert not accounts.check_password(PASSWORD, "garbage")
    assert accounts.hash_password(PASSWORD) != stored  # salted


async def test_add_user_refuses_bad_input(studio: Studio) -> None:
    await accounts.add_user(studio.engine, "mei", "editor", PASSWORD)
    for name, role, password, words in [
        ("mei", "editor", PASSWORD, "already"),
        ("bad name", "editor", PASSWORD, "user name"),
        ("li", "boss", PASSWORD, "role"),
        ("li", "owner", "short", "at least"),
    ]:
        with pytest.raises(accounts.AccountError, match=words):
            await accounts.add_user(studio.engine, name, role, password)


async def login(studio: Studio, name: str, role: str) -> dict[str, Any]:
    await accounts.add_user(studio.engine, name, role, PASSWORD)
    response = await studio.client.post(
        "/api/admin/login", json={"name": name, "password": PASSWORD}
    )
    assert response.status == 200, await response.text()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/api/admin" in cookie
    body = await response.json()
    assert body["role"] == role and body["csrf_token"]
    return dict(body)


async def test_login_refuses_a_wrong_password_or_user(studio: Studio) -> None:
    await accounts.add_user(studio.engine, "mei", "editor", PASSWORD)
    for body in [
        {"name": "mei", "password": "wrong password"},
        {"name": "nobody", "password": PASSWORD},
    ]:
        response = await studio.client.post("/api/admin/login", json=body)
        assert response.status == 401
        assert "Set-Cookie" not in response.headers
    missing = await studio.client.post("/api/admin/login", json={"name": "mei"})
    assert missing.status == 400 and (await missing.json())["field"] == "password"


async def test_an_editor_edits_with_the_csrf_token_but_may_not_deploy(studio: Studio) -> None:
    session = await login(studio, "mei", "editor")
    me = await studio.client.get("/api/admin/me")
    assert (await me.json()) == {"name": "mei", "role": "editor"}
    assert (await studio.client.get("/api/admin/faq")).status == 200
    no_csrf = await studio.client.put("/api/admin/faq/payment_methods", json=FAQ_BODY)
    assert no_csrf.status == 403 and (await no_csrf.json())["field"] == "X-CSRF-Token"
    wrong = await studio.client.put(
        "/api/admin/faq/payment_methods", json=FAQ_BODY, headers={"X-CSRF-Token": "nope"}
    )
    assert wrong.status == 403
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    saved = await studio.client.put("/api/admin/faq/payment_methods", json=FAQ_BODY, headers=csrf)
    assert saved.status == 200, await saved.text()
    audit = await (await studio.client.get("/api/admin/audit")).json()
    assert audit["changes"][0]["author"] == "mei"
    for path in ("/api/admin/model/train", "/api/admin/model/rollback"):
        refused = await studio.client.post(path, json={}, headers=csrf)
        assert refused.status == 403 and (await refused.json())["field"] == "role"
    out = await studio.client.post("/api/admin/logout", headers=csrf)
    assert out.status == 200
    assert (await studio.client.get("/api/admin/me")).status == 401


async def test_a_reviewer_reads_but_does_not_edit(studio: Studio) -> None:
    session = await login(studio, "wang", "reviewer")
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    assert (await studio.client.get("/api/admin/nlu/greet")).status == 200
    assert (await studio.client.get("/api/admin/model")).status == 200
    refused = await studio.client.put("/api/admin/faq/payment_methods", json=FAQ_BODY, headers=csrf)
    assert refused.status == 403


async def test_an_owner_deploys(studio: Studio) -> None:
    session = await login(studio, "boss", "owner")
    csrf = {"X-CSRF-Token": session["csrf_token"]}
    response = await studio.client.post("/api/admin/model/train", json={}, headers=csrf)
    assert response.status == 202
    assert studio.deployer is not None
    await studio.deployer.wait()
    job = await studio.client.get(f"/api/admin/model/jobs/{(await response.json())['job_id']}")
    assert (await job.json())["author"] == "boss"


async def test_an_unknown_session_cookie_is_401(studio: Studio) -> None:
    studio.client.session.cookie_jar.update_cookies({"shop_admin_session": "forged"})
    assert (await studio.client.get("/api/admin/faq")).status == 401
