"""Sign-in with a real Keycloak (the server distribution, started once for this module with the realm
and login theme docker-compose mounts; tests/support/keycloak.py), python-keycloak unchanged: the code
flow with PKCE, roles from the real token claims, refresh, logout that ends the Keycloak session,
password recovery by e-mail, the direct-grant form option, the quick code, an operator's new dealer,
and what must be refused."""
from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select

from engine.state.auth_sessions import AuthSession, AuthSessionStore
from engine.web import create_app
from tests.conftest import csrf_token, html_text, new_postgres_database
from tests.support.keycloak import Browser, admin, form_action, keycloak_server
from tests.support.processes import free_port
from tests.support.serving import ThreadedServer
from tests.support.webauthn import add_virtual_authenticator

# people an operator adds in Keycloak for these tests, beside the realm's demo1 and demo2
PEOPLE = {
    "nobody": {"roles": [], "attributes": {}},
    "leaving": {"roles": ["subscriber"], "attributes": {"subscriber_id": ["sub-1001"]}},
    "forgetful": {"roles": ["subscriber"], "attributes": {"subscriber_id": ["sub-1001"]}},
    "pocket": {"roles": ["subscriber"], "attributes": {"subscriber_id": ["sub-1001"]}},
}


@pytest.fixture(scope="module")
def engine_port():
    return free_port()


@pytest.fixture(scope="module")
def keycloak(tmp_path_factory, engine_port):
    with keycloak_server(tmp_path_factory.mktemp("keycloak"), f"http://127.0.0.1:{engine_port}") as running:
        operator = admin(running)
        for login, person in PEOPLE.items():
            add_person(operator, login, login, person["roles"], person["attributes"])
        yield running


def add_person(operator, login: str, password: str, roles: list[str], attributes: dict) -> str:
    """What an operator does in Keycloak's admin console, through its admin REST API."""
    user_id = operator.create_user({
        "username": login, "enabled": True, "email": f"{login}@example.ru", "emailVerified": True,
        "firstName": login.capitalize(), "lastName": "Тестов", "attributes": attributes,
        "credentials": [{"type": "password", "value": password, "temporary": False}]})
    if roles:
        operator.assign_realm_roles(user_id, [operator.get_realm_role(role) for role in roles])
    return user_id


@pytest.fixture(scope="module")
def engine(keycloak, engine_port, tmp_path_factory):
    folder = tmp_path_factory.mktemp("engine")
    with new_postgres_database("cabinet_keycloak") as database:
        app = create_app(instance_dir=folder, database_url=database, cookie_secure=False, demo_users=False,
                         public_url=f"http://127.0.0.1:{engine_port}", keycloak_url=keycloak.server_url,
                         keycloak_realm="cabinet", keycloak_client_id="cabinet-engine",
                         keycloak_client_secret=keycloak.client_secret, login_rate="60 per minute",
                         binding_options={"database_url": f"sqlite:///{folder / 'billing.sqlite'}"})
        server = ThreadedServer(app, engine_port, threads=4)
        yield app, f"http://127.0.0.1:{engine_port}"
        server.close()
        app.extensions["cabinet"].close()


def to_login_form(browser: requests.Session, base: str, next_url: str = "/") -> requests.Response:
    """Start signing in at the engine: the browser lands on Keycloak's own login page."""
    page = browser.get(f"{base}/login", params={"next": next_url}, timeout=20)
    assert "/realms/cabinet/protocol/openid-connect/auth" in page.url and 'id="kc-form-login"' in page.text, page.url
    return page


def submit(browser: requests.Session, page: requests.Response, username: str, password: str, **kwargs):
    return browser.post(form_action(page, "kc-form-login"), data={"username": username, "password": password},
                        timeout=20, **kwargs)


def signed_in(base: str, username: str, password: str | None = None,
              next_url: str = "/") -> tuple[Browser, requests.Response]:
    browser = Browser()
    landing = submit(browser, to_login_form(browser, base, next_url), username, password or username)
    return browser, skip_the_code(browser, landing)


def skip_the_code(browser: requests.Session, landing: requests.Response) -> requests.Response:
    """After the first sign-in the cabinet offers a quick-login code; "Пропустить"."""
    if "/quick-code/setup" not in landing.url:
        return landing
    token = csrf_token(landing.text)
    nxt = parse_qs(urlsplit(landing.url).query).get("next", ["/"])[0]
    return browser.post(landing.url.split("/quick-code")[0] + "/quick-code/skip",
                        data={"csrf_token": token, "next": nxt}, timeout=20)


def log_out(browser: requests.Session, base: str, **kwargs) -> requests.Response:
    token = csrf_token(browser.get(f"{base}/", timeout=20).text)
    return browser.post(f"{base}/logout", data={"csrf_token": token}, timeout=20, **kwargs)


def offline_sessions(operator, user_id: str, client_id: str) -> list[dict]:
    answer = operator.connection.raw_get(f"admin/realms/cabinet/users/{user_id}/offline-sessions/{client_id}")
    assert answer.status_code == 200, answer.text
    return answer.json()


def keycloak_sessions(keycloak, login: str) -> list[dict]:
    operator = admin(keycloak)
    return operator.get_sessions(operator.get_user_id(login))


def test_a_subscriber_signs_in_with_pkce_and_sees_their_cabinet(engine):
    _, base = engine
    browser = Browser()
    form = to_login_form(browser, base)
    landing = skip_the_code(browser, submit(browser, form, "demo1", "demo1"))
    assert landing.url == f"{base}/" and "-412,50" in html_text(landing.text)
    assert browser.get(f"{base}/dealer", timeout=20).status_code == 404            # not a dealer's screen
    query = parse_qs(urlsplit(form.history[0].headers["Location"]).query)          # the engine's redirect
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert "openid" in query["scope"][0] and query["state"][0] and query["nonce"][0]


def test_keycloak_refuses_a_sign_in_without_pkce(engine, keycloak):
    """The realm's client demands S256: a request without a challenge is refused by Keycloak itself."""
    _, base = engine
    answer = requests.get(f"{keycloak.issuer}/protocol/openid-connect/auth", timeout=20, params={
        "client_id": "cabinet-engine", "response_type": "code", "scope": "openid",
        "redirect_uri": f"{base}/login/callback", "state": "s"}, allow_redirects=False)
    assert answer.status_code == 302 and "error=invalid_request" in answer.headers["Location"]
    assert "code_challenge" in parse_qs(urlsplit(answer.headers["Location"]).query)["error_description"][0]


def test_a_wrong_password_is_refused_on_keycloaks_page(engine):
    _, base = engine
    browser = Browser()
    again = submit(browser, to_login_form(browser, base), "demo1", "wrong")
    assert 'id="kc-form-login"' in again.text and "Неправильное имя пользователя или пароль" in html_text(again.text)
    assert browser.get(f"{base}/", timeout=20, allow_redirects=False).status_code == 302


def test_a_dealer_sees_the_dealer_cabinet_and_not_a_subscribers_screen(engine):
    _, base = engine
    browser, _ = signed_in(base, "demo2")
    assert "Мои абоненты" in html_text(browser.get(f"{base}/dealer", timeout=20).text)
    assert browser.get(f"{base}/history", timeout=20).status_code == 404


def test_a_person_without_a_cabinet_role_is_refused(engine):
    _, base = engine
    browser, landing = signed_in(base, "nobody")
    assert landing.status_code == 400 and "нет доступа к этому кабинету" in html_text(landing.text)
    assert browser.get(f"{base}/", timeout=20, allow_redirects=False).status_code == 302   # still signed out


def test_an_operators_new_dealer_signs_in_to_the_dealer_cabinet(engine, keycloak):
    """An operator adds a dealer in Keycloak (admin REST API): the dealer role and the link to the
    billing's dealer; that person signs in and sees their subscribers."""
    _, base = engine
    operator = admin(keycloak)
    add_person(operator, "dealer-anna", "Anna-2001!", ["dealer"], {"dealer_id": ["dealer-2001"]})
    assert operator.get_user(operator.get_user_id("dealer-anna"))["attributes"] == {"dealer_id": ["dealer-2001"]}
    browser, _ = signed_in(base, "dealer-anna", "Anna-2001!", next_url="/dealer")
    assert "Мои абоненты" in html_text(browser.get(f"{base}/dealer", timeout=20).text)
    assert "Петров Алексей" in html_text(browser.get(f"{base}/dealer/subscribers", timeout=20).text)
    assert browser.get(f"{base}/history", timeout=20).status_code == 404          # no subscriber's screen


def test_a_subscriber_cannot_rewrite_their_billing_link_in_keycloak(engine, keycloak):
    """The billing links are declared in the realm's user profile as the operator's: Keycloak's
    account API (what its account console uses) does not let a subscriber point theirs elsewhere."""
    operator = admin(keycloak)
    client_id = operator.get_client_id("admin-cli")
    token = requests.post(f"{keycloak.issuer}/protocol/openid-connect/token", timeout=20, data={
        "grant_type": "password", "client_id": "admin-cli", "username": "leaving", "password": "leaving"})
    assert client_id and token.status_code == 200, token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Accept": "application/json"}
    account = requests.get(f"{keycloak.issuer}/account/", headers=headers, timeout=20)
    assert account.status_code == 200, account.text
    profile = account.json()
    profile["attributes"] = {**profile.get("attributes", {}), "subscriber_id": ["sub-1003"]}
    requests.post(f"{keycloak.issuer}/account/", headers=headers, json=profile, timeout=20)
    user = operator.get_user(operator.get_user_id("leaving"))
    assert user["attributes"]["subscriber_id"] == ["sub-1001"]


def test_the_session_is_renewed_with_the_refresh_token_and_revocable_on_the_server(engine, keycloak):
    app, base = engine
    operator = admin(keycloak)
    client = operator.get_client(operator.get_client_id("cabinet-engine"))
    short = {**client["attributes"], "access.token.lifespan": "2"}
    operator.update_client(client["id"], {"attributes": short})
    try:
        browser, _ = signed_in(base, "demo1")
    finally:
        operator.update_client(client["id"], {"attributes": client["attributes"]})
    store = AuthSessionStore(app.extensions["cabinet"].db, app.extensions["cabinet"].settings.secret_key)
    with store.db.session() as session:                                 # this sign-in's server-side session
        kept = session.scalars(select(AuthSession).where(AuthSession.login == "demo1")
                               .order_by(AuthSession.created_at.desc())).first()
        expires, refresh_before = kept.access_expires_at, kept.refresh_token
    expires = expires if expires.tzinfo else expires.replace(tzinfo=UTC)
    assert expires - datetime.now(UTC) < timedelta(seconds=5)  # Keycloak's short token was taken
    while datetime.now(UTC) <= expires:                        # the access token runs out
        time.sleep(0.2)
    assert "-412,50" in html_text(browser.get(f"{base}/", timeout=20).text)       # renewed silently
    with store.db.session() as session:
        assert session.get(AuthSession, kept.id).refresh_token != refresh_before   # Keycloak's new refresh token
    assert store.revoke_login("demo1") >= 1                            # an operator signs demo1 out everywhere
    again = browser.get(f"{base}/", timeout=20, allow_redirects=False)
    assert again.status_code == 302 and "/login" in again.headers["Location"]


def test_logout_ends_the_keycloak_session(engine, keycloak):
    _, base = engine
    before = {s["id"] for s in keycloak_sessions(keycloak, "leaving")}
    browser, _ = signed_in(base, "leaving")
    [ours] = [s["id"] for s in keycloak_sessions(keycloak, "leaving") if s["id"] not in before]
    cookies = browser.cookies.copy()
    out = log_out(browser, base, allow_redirects=False)
    assert out.status_code == 302 and out.headers["Location"].startswith(keycloak.issuer)   # RP-initiated logout
    assert "id_token_hint=" in out.headers["Location"]
    back = browser.get(out.headers["Location"], timeout=20)            # Keycloak sends the browser back
    assert back.url.startswith(f"{base}/login") or 'id="kc-form-login"' in back.text
    assert ours not in {s["id"] for s in keycloak_sessions(keycloak, "leaving")}   # Keycloak forgot it
    assert 'id="kc-form-login"' in to_login_form(browser, base).text   # the password is asked again
    thief = Browser()
    thief.cookies = cookies                                              # the old cookie opens nothing
    assert thief.get(f"{base}/", timeout=20, allow_redirects=False).status_code == 302


def test_a_wrong_state_and_a_replayed_code_are_refused(engine):
    _, base = engine
    browser = Browser()
    back = submit(browser, to_login_form(browser, base), "demo1", "demo1", allow_redirects=False)
    while not back.headers["Location"].startswith(f"{base}/login/callback"):
        back = browser.get(requests.compat.urljoin(back.url, back.headers["Location"]), allow_redirects=False,
                           timeout=20)
    callback = back.headers["Location"]
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    attacker = Browser()
    attacker.cookies = browser.cookies.copy()
    refused = attacker.get(forged, timeout=20)
    assert refused.status_code == 400 and "ссылка для входа устарела" in html_text(refused.text)
    first = Browser()
    first.cookies = browser.cookies.copy()
    once = first.get(callback, timeout=20)
    assert once.url.startswith(f"{base}/quick-code/setup"), html_text(once.text)[:300]   # the code once: in
    replay = browser.get(callback, timeout=20)                           # the same code again
    assert replay.status_code == 400 and "Не удалось завершить вход" in html_text(replay.text)
    assert browser.get(f"{base}/", timeout=20, allow_redirects=False).status_code == 302


def test_next_never_leads_off_the_site(engine):
    _, base = engine
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        _, landing = signed_in(base, "demo1", next_url=target)
        assert landing.url == f"{base}/", target


def test_password_recovery_is_keycloaks_and_its_letter_arrives(engine, keycloak, smtp_server):
    _, base = engine
    operator = admin(keycloak)
    operator.update_realm("cabinet", {"smtpServer": {
        "host": "127.0.0.1", "port": str(smtp_server.port), "from": "noreply@demo-telecom.example",
        "fromDisplayName": "Демо Телеком"}})
    browser = Browser()
    form = browser.get(f"{base}/password/forgot", timeout=20)
    assert form.url.startswith(f"{keycloak.issuer}/login-actions/reset-credentials")
    sent = browser.post(form_action(form, "kc-reset-password-form"), data={"username": "forgetful"}, timeout=20)
    assert sent.status_code == 200, html_text(sent.text)[:500]
    deadline = time.monotonic() + 30
    while not smtp_server.inbox.messages:
        assert time.monotonic() < deadline, "Keycloak sent no letter to the test SMTP server"
        time.sleep(0.1)
    [letter] = smtp_server.inbox.messages
    assert letter["To"] == "forgetful@example.ru"
    body = letter.get_body(preferencelist=("plain", "html")).get_content()
    link = re.search(r"(http://127\.0\.0\.1:\d+/realms/cabinet/login-actions/action-token\?[^\s\"<]+)", body)
    assert link, body
    update = browser.get(link.group(1).replace("&amp;", "&"), timeout=20)
    if 'id="kc-passwd-update-form"' not in update.text:                # "proceed" first, when Keycloak asks
        proceed = re.search(r'href="([^"]+)"', update.text.split('id="kc-info-message"')[-1])
        assert proceed, html_text(update.text)[:500]
        update = browser.get(requests.compat.urljoin(update.url, proceed.group(1).replace("&amp;", "&")), timeout=20)
    done = browser.post(form_action(update, "kc-passwd-update-form"), timeout=20,
                        data={"password-new": "New-pass-2026", "password-confirm": "New-pass-2026"})
    assert done.status_code == 200, html_text(done.text)[:500]
    stale = Browser()
    refused = submit(stale, to_login_form(stale, base), "forgetful", "forgetful")
    assert 'id="kc-form-login"' in refused.text                            # the old password no longer opens
    _, landing = signed_in(base, "forgetful", "New-pass-2026")
    assert landing.url == f"{base}/" and "-412,50" in html_text(landing.text)


def test_the_in_cabinet_login_form_through_the_direct_grant(keycloak, engine_port, tmp_path):
    """An operator's option (off by default, and off in the realm): the seed's login form, checked by
    Keycloak's direct access grant, which the operator turns on for the client."""
    operator = admin(keycloak)
    client_id = operator.get_client_id("cabinet-engine")
    demo1 = operator.get_user_id("demo1")
    # the realm's brute-force protection locks a user for a minute when two failed logins come
    # within a second of each other (Keycloak's quick-login check): this test's and an earlier
    # test's failures may, so each starts from none
    operator.clear_bruteforce_attempts_for_user(demo1)
    with new_postgres_database("cabinet_direct") as database:
        app = create_app(instance_dir=tmp_path, database_url=database, cookie_secure=False, demo_users=False,
                         public_url=f"http://127.0.0.1:{engine_port}", keycloak_url=keycloak.server_url,
                         keycloak_realm="cabinet", keycloak_client_id="cabinet-engine",
                         keycloak_client_secret=keycloak.client_secret, keycloak_direct_login=True,
                         binding_options={"database_url": f"sqlite:///{tmp_path / 'billing.sqlite'}"})
        client = app.test_client()
        try:
            page = client.get("/login").get_data(as_text=True)
            token = csrf_token(page)
            off = client.post("/login", data={"username": "demo1", "password": "demo1", "csrf_token": token})
            assert off.status_code == 401                                  # the realm does not allow it yet
            operator.update_client(client_id, {"directAccessGrantsEnabled": True})
            assert 'name="password"' in page and "Забыли пароль?" in page
            wrong = client.post("/login", data={"username": "demo1", "password": "nope", "csrf_token": token})
            assert wrong.status_code == 401
            assert "Неверный логин или пароль" in html_text(wrong.get_data(as_text=True))
            assert operator.get_bruteforce_detection_status(demo1)["numFailures"] >= 1   # Keycloak counted it
            operator.clear_bruteforce_attempts_for_user(demo1)
            right = client.post("/login", data={"username": "demo1", "password": "demo1", "csrf_token": token})
            assert right.status_code == 302 and "-412,50" in html_text(client.get("/").get_data(as_text=True))
        finally:
            operator.update_client(client_id, {"directAccessGrantsEnabled": False})
            app.extensions["cabinet"].close()


def test_the_quick_code_renews_the_keycloak_session_until_logout(engine):
    _, base = engine
    browser = Browser()
    offer = submit(browser, to_login_form(browser, base), "demo1", "demo1")
    assert "/quick-code/setup" in offer.url
    page = offer
    for step in ("first", "repeat"):                                 # the code, and the code again
        page = browser.post(offer.url, data={"csrf_token": csrf_token(page.text), "code": "2580", "step": step},
                            timeout=20)
    assert page.url == f"{base}/" and "-412,50" in html_text(page.text)
    from engine.web.auth.quick_code import DEVICE_COOKIE
    device = {c.name: c.value for c in browser.cookies if c.name == DEVICE_COOKIE}
    assert device, "the device keeps its code's cookie"
    later = Browser()                                     # the browser's session is gone; the device stays
    for name, value in device.items():
        later.cookies.set(name, value)
    code_page = later.get(f"{base}/login", timeout=20)
    assert "/quick-code" in code_page.url
    back = later.post(code_page.url, data={"csrf_token": csrf_token(code_page.text), "code": "2580"}, timeout=20)
    assert back.url == f"{base}/" and "-412,50" in html_text(back.text)       # renewed through Keycloak
    log_out(later, base, allow_redirects=False)
    again = Browser()
    for name, value in device.items():
        again.cookies.set(name, value)
    code_page = again.get(f"{base}/login", timeout=20)
    refused = again.post(code_page.url, data={"csrf_token": csrf_token(code_page.text), "code": "2580"}, timeout=20)
    assert 'id="kc-form-login"' in refused.text                   # signed out: Keycloak asks for the password


def test_the_quick_code_outlives_the_browsers_keycloak_session(engine, keycloak):
    """Setting a code takes an offline token from Keycloak (silently: the person is signed in there),
    so the code still opens the cabinet after Keycloak's SSO session is over (30 minutes idle), and
    "Выйти" revokes it."""
    _, base = engine
    operator = admin(keycloak)
    owner = operator.get_user_id("pocket")
    client = operator.get_client_id("cabinet-engine")
    browser = Browser()
    page = submit(browser, to_login_form(browser, base), "pocket", "pocket")
    for step in ("first", "repeat"):
        page = browser.post(f"{base}/quick-code/setup?next=/", timeout=20,
                            data={"csrf_token": csrf_token(page.text), "code": "1379", "step": step})
    assert page.url == f"{base}/" and "-412,50" in html_text(page.text)
    assert [s["id"] for s in offline_sessions(operator, owner, client)], "no offline session was made"
    for online in keycloak_sessions(keycloak, "pocket"):            # Keycloak's SSO session ends
        operator.connection.raw_delete(f"admin/realms/cabinet/sessions/{online['id']}")
    assert keycloak_sessions(keycloak, "pocket") == []

    from engine.web.auth.quick_code import DEVICE_COOKIE
    device = Browser()                                              # days later: only the device cookie
    device.cookies.set(DEVICE_COOKIE, browser.cookies.get(DEVICE_COOKIE))
    code_page = device.get(f"{base}/login", timeout=20)
    back = device.post(code_page.url, data={"csrf_token": csrf_token(code_page.text), "code": "1379"}, timeout=20)
    assert back.url == f"{base}/" and "-412,50" in html_text(back.text)

    log_out(device, base, allow_redirects=False)                     # "Выйти" ends the offline session too
    assert offline_sessions(operator, owner, client) == []
    again = Browser()
    again.cookies.set(DEVICE_COOKIE, browser.cookies.get(DEVICE_COOKIE))
    code_page = again.get(f"{base}/login", timeout=20)
    refused = again.post(code_page.url, data={"csrf_token": csrf_token(code_page.text), "code": "1379"}, timeout=20)
    assert 'id="kc-form-login"' in refused.text


def test_passkeys_are_keycloaks_own_with_keycloak(engine, keycloak):
    _, base = engine
    browser, _ = signed_in(base, "demo1")
    response = browser.get(f"{base}/passkeys", timeout=20, allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].startswith(f"{keycloak.issuer}/account/")


@pytest.fixture
def engine_on_localhost(keycloak, tmp_path):
    """The cabinet and Keycloak by host name: WebAuthn takes no IP address for a relying party. The
    operator adds the address to the client's redirect and logout URIs."""
    operator = admin(keycloak)
    client = operator.get_client(operator.get_client_id("cabinet-engine"))
    port = free_port()
    base = f"http://localhost:{port}"
    operator.update_client(client["id"], {
        "redirectUris": [*client["redirectUris"], f"{base}/login/callback"],
        "attributes": {**client["attributes"], "post.logout.redirect.uris":
                       client["attributes"]["post.logout.redirect.uris"] + f"##{base}/login"}})
    with new_postgres_database("cabinet_passkeys") as database:
        app = create_app(instance_dir=tmp_path, database_url=database, cookie_secure=False, demo_users=False,
                         public_url=base, keycloak_url=keycloak.server_url.replace("127.0.0.1", "localhost"),
                         keycloak_realm="cabinet", keycloak_client_id="cabinet-engine",
                         keycloak_client_secret=keycloak.client_secret,
                         binding_options={"database_url": f"sqlite:///{tmp_path / 'billing.sqlite'}"})
        server = ThreadedServer(app, port, threads=4)
        yield base
        server.close()
        app.extensions["cabinet"].close()
    operator.update_client(client["id"], {"redirectUris": client["redirectUris"], "attributes": client["attributes"]})


def wait_for_credential(operator, user_id: str, kind: str, limit: float = 90.0) -> list[dict]:
    """The user's credentials of ``kind`` once Keycloak has one (asked again until ``limit`` seconds)."""
    deadline = time.monotonic() + limit
    while True:
        found = [c for c in operator.get_credentials(user_id) if c["type"] == kind]
        if found or time.monotonic() > deadline:
            assert found, f"Keycloak kept no {kind} credential within {limit:g} s"
            return found
        time.sleep(0.25)


def test_a_passkey_made_in_keycloak_signs_the_subscriber_in(engine_on_localhost, keycloak, chromium):
    """Passkeys with Keycloak are Keycloak's WebAuthn: the cabinet's "passkeys" opens Keycloak's
    account console, which registers one (Chromium's virtual authenticator: a phone that always says
    yes); after signing out, Keycloak's login page signs in with it, without the password."""
    base = engine_on_localhost
    operator = admin(keycloak)
    owner = add_person(operator, "passkey-owner", "Pk-owner-2026", ["subscriber"], {"subscriber_id": ["sub-1001"]})
    # desktop size: Keycloak's account console hides "set up" behind a menu on phones
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU")
    context.set_default_timeout(30_000)
    page = context.new_page()
    add_virtual_authenticator(context, page)
    page.on("dialog", lambda dialog: dialog.accept("Мой телефон"))   # Keycloak asks for the passkey's name
    try:
        page.goto(f"{base}/login")
        page.fill("#username", "passkey-owner")
        page.fill("#password", "Pk-owner-2026")
        page.click("#kc-login")
        page.wait_for_url(re.compile(re.escape(base) + "/quick-code/setup"))
        page.get_by_text("Пропустить").click()
        page.wait_for_url(f"{base}/")

        page.goto(f"{base}/passkeys")                                    # Keycloak's account console
        page.wait_for_url(f"{keycloak.url.replace('127.0.0.1', 'localhost')}/realms/cabinet/account/"
                          f"account-security/signing-in")
        page.click('[data-testid="webauthn-passwordless/create"]')
        # Keycloak's registration page: its button works once the page's module script has run
        # (clicked earlier, on a loaded machine, it did nothing and no credential was ever made)
        page.wait_for_selector("#registerWebAuthn")
        page.wait_for_load_state("load")
        with page.expect_navigation():      # the credential posted back, and Keycloak moves on
            page.click("#registerWebAuthn")
        # the event that matters is Keycloak keeping the credential; its console shows it after that
        # (a heavy page that can take long to draw on a loaded machine)
        passkeys = wait_for_credential(operator, owner, "webauthn-passwordless")
        page.wait_for_selector("text=Мой телефон", timeout=60_000)
        [passkey] = passkeys
        assert passkey["userLabel"] == "Мой телефон"

        # from now on only the passkey opens the account: the operator removes the password
        [password] = [c for c in operator.get_credentials(owner) if c["type"] == "password"]
        operator.delete_credential(owner, password["id"])

        page.goto(f"{base}/")
        page.click("form.topbar__logout button")                        # "Выйти": here and at Keycloak
        back_in = re.compile(re.escape(base) + r"/(quick-code/setup.*)?$")
        try:
            # Keycloak's page offers the passkey in the login field's autofill, which Chromium's
            # virtual authenticator answers by itself ...
            page.wait_for_url(back_in)
        except PlaywrightTimeout:
            page.click("#authenticateWebAuthnButton")                  # ... or "Войти с ключом доступа"
            page.wait_for_url(back_in)
        if "/quick-code/setup" in page.url:
            page.get_by_text("Пропустить").click()
            page.wait_for_url(f"{base}/")
        assert "-412,50" in page.inner_text("main")
        [session] = keycloak_sessions(keycloak, "passkey-owner")
        assert session["rememberMe"] is False and session["userId"] == owner
    finally:
        context.close()


def test_the_login_page_carries_the_operators_theme_and_passes_axe(engine, keycloak, browser_page, tmp_path):
    """The picture in the README (docs/keycloak-login.png) is the phone shot this test takes."""
    from tests.support.axe import assert_accessible

    _, base = engine
    for viewport in ("phone", "desktop"):
        page = browser_page(viewport)
        page.goto(f"{base}/login")
        page.wait_for_selector("#kc-form-login")
        assert page.url.startswith(keycloak.issuer)
        styles = page.evaluate("[...document.styleSheets].map(s => s.href || '')")
        assert any(href.endswith("/css/cabinet.css") for href in styles), styles
        primary = page.evaluate("getComputedStyle(document.querySelector('#kc-login')).backgroundColor")
        assert primary == "rgb(0, 103, 214)", primary                  # the operator's #0067D6
        assert_accessible(page, f"Keycloak's login page ({viewport})")
        if viewport == "phone":
            page.screenshot(path=str(tmp_path / "keycloak-login.png"))
        page.fill("#username", "demo1")
        page.fill("#password", "demo1")
        page.click("#kc-login")
        page.wait_for_url(re.compile(re.escape(base) + r"/(quick-code/setup.*)?$"))


def test_cabinet_users_links_a_keycloak_user_to_a_subscriber(engine, keycloak, tmp_path):
    """An operator links a Keycloak user to the billing's subscriber from the command line: the
    attribute the realm maps into the token, so the person sees that subscriber's cabinet."""
    from click.testing import CliRunner

    from engine.cli import main

    _, base = engine
    operator = admin(keycloak)
    add_person(operator, "newcomer", "newcomer", ["subscriber"], {})
    result = CliRunner().invoke(main, ["users", "link", "newcomer", "--subscriber-id", "sub-1002", "--keycloak"], env={
        "CABINET_INSTANCE_DIR": str(tmp_path), "CABINET_KEYCLOAK_URL": keycloak.server_url,
        "CABINET_KEYCLOAK_REALM": "cabinet", "CABINET_KEYCLOAK_CLIENT_SECRET": keycloak.client_secret,
        "CABINET_PUBLIC_URL": base, "CABINET_KEYCLOAK_ADMIN_USER": keycloak.admin_user,
        "CABINET_KEYCLOAK_ADMIN_PASSWORD": keycloak.admin_password})
    assert result.exit_code == 0, result.output
    user = operator.get_user(operator.get_user_id("newcomer"))
    assert user["attributes"]["subscriber_id"] == ["sub-1002"] and user["email"] == "newcomer@example.ru"
    browser, _ = signed_in(base, "newcomer")
    home = html_text(browser.get(f"{base}/", timeout=20).text)
    assert "108900" in home and "108842" not in home


def test_sign_in_attempts_are_rate_limited(engine):
    """Last in the module: it uses up this address's attempts."""
    _, base = engine
    browser = Browser()
    codes = [browser.get(f"{base}/login/callback", params={"state": "x", "code": "y"}, timeout=20).status_code
             for _ in range(65)]
    assert 429 in codes


def test_the_realm_export_matches_what_the_engine_expects():
    """keycloak/realm-cabinet.json (what docker-compose, `make stack` and these tests import) gives the
    engine the client, roles and claims it reads, and the demo users the demo billing knows."""
    from engine.billing.demo import DEMO_USERS
    from engine.config import load_settings
    from tests.conftest import ROOT
    realm = json.loads((ROOT / "keycloak" / "realm-cabinet.json").read_text(encoding="utf-8"))
    settings = load_settings({})
    assert {r["name"] for r in realm["roles"]["realm"]} == {"subscriber", "dealer", "operator"}
    [client] = realm["clients"]
    assert client["clientId"] == settings.keycloak_client_id and not client["publicClient"]
    assert client["attributes"]["pkce.code.challenge.method"] == "S256" and not client["directAccessGrantsEnabled"]
    assert client["redirectUris"] == ["${CABINET_PUBLIC_URL}/login/callback"]
    claims = {m["config"].get("claim.name") for m in client["protocolMappers"]}
    assert {settings.keycloak_subscriber_claim, settings.keycloak_dealer_claim} <= claims
    # the claims' attributes are declared in the user profile, for the operator alone to set
    [profile] = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    declared = {a["name"]: a for a in json.loads(profile["config"]["kc.user.profile.config"][0])["attributes"]}
    for claim in (settings.keycloak_subscriber_claim, settings.keycloak_dealer_claim):
        assert declared[claim]["permissions"] == {"view": ["admin"], "edit": ["admin"]}
    users = {u["username"]: u for u in realm["users"]}
    for demo in DEMO_USERS[:2]:
        user = users[demo["login"]]
        # default-roles-cabinet: an imported user named with realmRoles gets no default roles otherwise,
        # and without them Keycloak's account console (passkeys, password) refuses them
        assert user["realmRoles"] == ["default-roles-cabinet", *demo["roles"]]
        expected = {"subscriber_id": demo["subscriber_id"], "dealer_id": demo["dealer_id"]}
        assert {k: v[0] for k, v in user["attributes"].items()} == {k: v for k, v in expected.items() if v}
    assert realm["resetPasswordAllowed"] and realm["bruteForceProtected"] and realm["loginTheme"] == "cabinet"
    assert realm["webAuthnPolicyPasswordlessPasskeysEnabled"]
    assert (ROOT / "keycloak" / "themes" / "cabinet" / "login" / "theme.properties").exists()
    assert "${CABINET_KEYCLOAK_CLIENT_SECRET}" == client["secret"]                    # never a secret in git


def test_forms_may_lead_on_to_keycloak(make_app):
    """A browser applies the CSP's form-action to the redirect after a post: "Выйти" posts to the
    cabinet, which sends the browser on to Keycloak's logout, so Keycloak's origin is named there."""
    app = make_app(demo_users=False, keycloak_url="http://127.0.0.1:9/", keycloak_realm="cabinet",
                   keycloak_client_secret="not-used-here")
    policy = app.test_client().get("/news").headers["Content-Security-Policy"]
    directive = next(d.strip() for d in policy.split(";") if d.strip().startswith("form-action"))
    assert directive.split()[:3] == ["form-action", "'self'", "http://127.0.0.1:9"], directive

