"""Passkeys — the web's Touch ID / Face ID: registered and used to sign in, in Chromium with the
DevTools virtual authenticator (a device with a fingerprint reader that always says yes)."""
from __future__ import annotations

import pytest

from engine.state.passkeys import PasskeyStore
from tests.support.sandbox import free_port
from tests.support.serving import ThreadedServer
from tests.support.webauthn import add_virtual_authenticator


@pytest.fixture
def cabinet(make_app, fresh_postgres_url):
    port = free_port()
    base = f"http://localhost:{port}"             # WebAuthn needs a host name: an IP address is no relying party
    app = make_app(public_url=base, database_url=fresh_postgres_url)
    server = ThreadedServer(app, port, threads=4)
    yield base, app
    server.close()


@pytest.fixture
def device(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    page = context.new_page()
    add_virtual_authenticator(context, page)
    yield context, page
    context.close()


def sign_in_with_password(page, base: str) -> None:
    page.goto(f"{base}/login?password=1")
    page.fill("input[name=username]", "demo1")
    page.fill("input[name=password]", "demo1")
    page.click("form.login__form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    if "/quick-code" in page.url or "code" in page.url:
        page.get_by_text("Пропустить").click()


def test_a_passkey_is_registered_signs_in_and_is_removed(cabinet, device):
    base, app = cabinet
    context, page = device
    sign_in_with_password(page, base)
    page.goto(f"{base}/passkeys")
    assert "У вас пока нет ключей входа" in page.inner_text("main")
    page.get_by_role("button", name="Добавить ключ входа").click()
    page.wait_for_selector("form[action*='/remove']")
    [passkey] = PasskeyStore(app.extensions["cabinet"].db).of_login("demo1")

    context.clear_cookies()                                        # a later visit: signed out
    page.goto(f"{base}/login?password=1")
    page.get_by_role("button", name="Войти с ключом доступа").click()
    page.wait_for_url(f"{base}/")
    assert "-412,50" in page.inner_text("main")
    assert PasskeyStore(app.extensions["cabinet"].db).get(passkey.id).last_used_at is not None

    page.goto(f"{base}/passkeys")
    page.get_by_role("button", name="Удалить").click()
    page.wait_for_selector("text=У вас пока нет ключей входа")
    context.clear_cookies()
    page.goto(f"{base}/login?password=1")
    page.get_by_role("button", name="Войти с ключом доступа").click()
    page.wait_for_selector("#passkey-message:has-text('не подходит')")      # the removed passkey opens nothing
    assert "/login" in page.url


def test_passkey_sign_in_is_rate_limited_and_refuses_strangers(make_app):
    client = make_app().test_client()
    page = client.get("/login").get_data(as_text=True)
    import re
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    headers = {"X-CSRFToken": token}
    stranger = client.post("/passkeys/login", json={"id": "made-up", "rawId": "made-up", "type": "public-key",
                                                    "response": {}}, headers=headers)
    assert stranger.status_code == 401 and "не подходит" in stranger.get_json()["message"]
    codes = [client.post("/passkeys/login/options", headers=headers).status_code for _ in range(12)]
    assert codes[0] == 200 and 429 in codes                    # 10 a minute, like the password form
    assert client.post("/passkeys/register/options", headers=headers).status_code == 401   # only when signed in


def test_a_passkey_is_offered_after_the_first_sign_in(make_app):
    from tests.conftest import sign_in
    client = make_app().test_client()
    offer = client.get(sign_in(client).headers["Location"]).get_data(as_text=True)
    assert 'href="/passkeys"' in offer and "добавьте ключ входа" in offer          # beside the quick-login code
