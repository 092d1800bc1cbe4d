"""Sign-in with Keycloak against a real OpenID Connect provider (npm oidc-provider with Keycloak's
URL layout, tests/support/oidc_peer), python-keycloak unchanged: the code flow with PKCE, roles,
refresh, logout and revocation on the server, and what must be refused."""
from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from engine.state.auth_sessions import AuthSessionStore
from engine.web import create_app
from tests.conftest import html_text, new_postgres_database
from tests.support.oidc import oidc_peer
from tests.support.sandbox import free_port
from tests.support.serving import ThreadedServer

USERS = [
    {"username": "demo1", "password": "demo1", "email": "ivan.ivanov@example.ru", "name": "Иван Иванов",
     "roles": ["subscriber"], "claims": {"subscriber_id": "sub-1001"}},
    {"username": "demo2", "password": "demo2", "email": "olga@example.ru", "name": "Ольга Смирнова",
     "roles": ["dealer"], "claims": {"dealer_id": "dealer-2001"}},
    {"username": "nobody", "password": "nobody", "email": "n@example.ru", "name": "Без роли", "roles": [],
     "claims": {}},
]


@pytest.fixture(scope="module")
def engine_port():
    return free_port()


@pytest.fixture(scope="module")
def peer(tmp_path_factory, engine_port):
    with oidc_peer(tmp_path_factory.mktemp("oidc"), redirect_uris=[f"http://127.0.0.1:{engine_port}/login/callback"],
                   post_logout_redirect_uris=[f"http://127.0.0.1:{engine_port}/login"], users=USERS,
                   access_token_ttl=3) as running:
        yield running


@pytest.fixture(scope="module")
def engine(peer, engine_port, tmp_path_factory):
    folder = tmp_path_factory.mktemp("engine")
    with new_postgres_database("cabinet_keycloak") as database:
        app = create_app(instance_dir=folder, database_url=database, cookie_secure=False, demo_users=False,
                         public_url=f"http://127.0.0.1:{engine_port}", keycloak_url=peer.server_url,
                         keycloak_realm=peer.realm, keycloak_client_id=peer.client_id,
                         keycloak_client_secret=peer.client_secret, login_rate="30 per minute",
                         binding_options={"database_url": f"sqlite:///{folder / 'billing.sqlite'}"})
        server = ThreadedServer(app, engine_port, threads=4)
        yield app, f"http://127.0.0.1:{engine_port}"
        server.close()
        app.extensions["cabinet"].close()


def to_peer_form(browser: requests.Session, base: str, next_url: str = "/") -> requests.Response:
    """Start signing in at the engine; answer the provider's login page."""
    page = browser.get(f"{base}/login", params={"next": next_url}, timeout=10)
    assert page.url.startswith(urlsplit(page.url)._replace(path="").geturl()) and "password" in page.text
    return page


def submit(browser: requests.Session, page: requests.Response, username: str, password: str, **kwargs):
    action = re.search(r'<form[^>]*action="([^"]+)"', page.text)
    target = requests.compat.urljoin(page.url, action.group(1).replace("&amp;", "&")) if action else page.url
    return browser.post(target, data={"username": username, "password": password}, timeout=10, **kwargs)


def signed_in(base: str, username: str, next_url: str = "/") -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    landing = skip_the_code(browser, submit(browser, to_peer_form(browser, base, next_url), username, username))
    return browser, landing


def skip_the_code(browser: requests.Session, landing: requests.Response) -> requests.Response:
    """After the first sign-in the cabinet offers a quick-login code; "Пропустить"."""
    if "/quick-code/setup" not in landing.url:
        return landing
    token = re.search(r'name="csrf_token" value="([^"]+)"', landing.text).group(1)
    nxt = parse_qs(urlsplit(landing.url).query).get("next", ["/"])[0]
    return browser.post(landing.url.split("/quick-code")[0] + "/quick-code/skip",
                        data={"csrf_token": token, "next": nxt}, timeout=10)


def test_a_subscriber_signs_in_with_pkce_and_sees_their_cabinet(engine):
    app, base = engine
    browser = requests.Session()
    form = to_peer_form(browser, base)
    landing = skip_the_code(browser, submit(browser, form, "demo1", "demo1"))
    assert landing.url == f"{base}/" and "-412,50" in html_text(landing.text)
    assert browser.get(f"{base}/dealer", timeout=10).status_code == 404            # not a dealer's screen
    query = parse_qs(urlsplit(form.history[0].headers["Location"]).query)          # the engine's redirect
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert "openid" in query["scope"][0] and query["state"][0] and query["nonce"][0]


def test_a_dealer_sees_the_dealer_cabinet_and_not_a_subscribers_screen(engine):
    app, base = engine
    browser, landing = signed_in(base, "demo2")
    assert "Мои абоненты" in html_text(browser.get(f"{base}/dealer", timeout=10).text)
    assert browser.get(f"{base}/history", timeout=10).status_code == 404


def test_a_person_without_a_cabinet_role_is_refused(engine):
    app, base = engine
    browser, landing = signed_in(base, "nobody")
    assert landing.status_code == 400 and "нет доступа к этому кабинету" in html_text(landing.text)
    assert browser.get(f"{base}/", timeout=10, allow_redirects=False).status_code == 302   # still signed out


def test_the_session_is_renewed_with_the_refresh_token_and_revocable_on_the_server(engine):
    app, base = engine
    browser, _ = signed_in(base, "demo1")
    time.sleep(4)                                                       # the access token (3 s) ran out
    assert "-412,50" in html_text(browser.get(f"{base}/", timeout=10).text)        # renewed silently
    store = AuthSessionStore(app.extensions["cabinet"].db, app.extensions["cabinet"].settings.secret_key)
    assert store.revoke_login("demo1") >= 1                            # an operator signs demo1 out everywhere
    again = browser.get(f"{base}/", timeout=10, allow_redirects=False)
    assert again.status_code == 302 and "/login" in again.headers["Location"]


def test_logout_ends_the_session_here_and_at_the_provider(engine, peer):
    app, base = engine
    browser, landing = signed_in(base, "demo1")
    cookies = browser.cookies.copy()
    page = browser.get(f"{base}/", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    out = browser.post(f"{base}/logout", data={"csrf_token": token}, timeout=10, allow_redirects=False)
    assert out.status_code == 302 and out.headers["Location"].startswith(peer.issuer)      # RP-initiated logout
    assert "id_token_hint=" in out.headers["Location"]
    thief = requests.Session()
    thief.cookies = cookies                                              # the old cookie opens nothing
    assert thief.get(f"{base}/", timeout=10, allow_redirects=False).status_code == 302


def test_a_wrong_state_and_a_replayed_code_are_refused(engine):
    app, base = engine
    browser = requests.Session()
    back = submit(browser, to_peer_form(browser, base), "demo1", "demo1", allow_redirects=False)
    while not back.headers["Location"].startswith(f"{base}/login/callback"):
        back = browser.get(requests.compat.urljoin(back.url, back.headers["Location"]), allow_redirects=False,
                           timeout=10)
    callback = back.headers["Location"]
    forged = re.sub(r"state=[^&]+", "state=forged", callback)
    attacker = requests.Session()
    attacker.cookies = browser.cookies.copy()
    refused = attacker.get(forged, timeout=10)
    assert refused.status_code == 400 and "ссылка для входа устарела" in html_text(refused.text)
    first = requests.Session()
    first.cookies = browser.cookies.copy()
    once = first.get(callback, timeout=10)
    assert once.url.startswith(f"{base}/quick-code/setup"), html_text(once.text)[:300]   # the code once: in
    replay = browser.get(callback, timeout=10)                           # the same code again
    assert replay.status_code == 400 and "Не удалось завершить вход" in html_text(replay.text)
    assert browser.get(f"{base}/", timeout=10, allow_redirects=False).status_code == 302


def test_next_never_leads_off_the_site(engine):
    app, base = engine
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        browser, landing = signed_in(base, "demo1", next_url=target)
        assert landing.url == f"{base}/", target


def test_password_recovery_is_keycloaks(engine, peer):
    app, base = engine
    response = requests.get(f"{base}/password/forgot", timeout=10, allow_redirects=False)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"{peer.issuer}/login-actions/reset-credentials?client_id=")


def test_the_in_cabinet_login_form_through_the_direct_grant(peer, engine_port, tmp_path):
    """An operator's option (off by default): the seed's login form, checked by Keycloak."""
    with new_postgres_database("cabinet_direct") as database:
        app = create_app(instance_dir=tmp_path, database_url=database, cookie_secure=False, demo_users=False,
                         public_url=f"http://127.0.0.1:{engine_port}", keycloak_url=peer.server_url,
                         keycloak_realm=peer.realm, keycloak_client_id=peer.client_id,
                         keycloak_client_secret=peer.client_secret, keycloak_direct_login=True,
                         binding_options={"database_url": f"sqlite:///{tmp_path / 'billing.sqlite'}"})
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        assert 'name="password"' in page and "Забыли пароль?" in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        wrong = client.post("/login", data={"username": "demo1", "password": "nope", "csrf_token": token})
        assert wrong.status_code == 401 and "Неверный логин или пароль" in html_text(wrong.get_data(as_text=True))
        right = client.post("/login", data={"username": "demo1", "password": "demo1", "csrf_token": token})
        assert right.status_code == 302 and "-412,50" in html_text(client.get("/").get_data(as_text=True))
        app.extensions["cabinet"].close()


def test_the_realm_export_matches_what_the_engine_expects():
    """keycloak/realm-cabinet.json (for a real Keycloak in docker-compose) gives the engine the
    client, roles and claims it reads, and the demo users the demo billing knows."""
    import json

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
    users = {u["username"]: u for u in realm["users"]}
    for demo in DEMO_USERS[:2]:
        user = users[demo["login"]]
        assert user["realmRoles"] == list(demo["roles"])
        expected = {"subscriber_id": demo["subscriber_id"], "dealer_id": demo["dealer_id"]}
        assert {k: v[0] for k, v in user["attributes"].items()} == {k: v for k, v in expected.items() if v}
    assert realm["resetPasswordAllowed"] and realm["bruteForceProtected"] and realm["loginTheme"] == "cabinet"
    assert (ROOT / "keycloak" / "themes" / "cabinet" / "login" / "theme.properties").exists()
    assert "${CABINET_KEYCLOAK_CLIENT_SECRET}" == client["secret"]                    # never a secret in git


def test_passkeys_are_keycloaks_own_with_keycloak(engine, peer):
    app, base = engine
    browser, _ = signed_in(base, "demo1")
    response = browser.get(f"{base}/passkeys", timeout=10, allow_redirects=False)
    assert response.status_code == 302 and response.headers["Location"].startswith(f"{peer.issuer}/account/")



def test_the_quick_code_renews_the_keycloak_session_until_logout(engine):
    app, base = engine
    browser = requests.Session()
    offer = submit(browser, to_peer_form(browser, base), "demo1", "demo1")
    assert "/quick-code/setup" in offer.url
    page = offer
    for step in ("first", "repeat"):                                 # the code, and the code again
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        page = browser.post(offer.url, data={"csrf_token": token, "code": "2580", "step": step}, timeout=10)
    answer = page
    assert answer.url == f"{base}/" and "-412,50" in html_text(answer.text)
    from engine.web.auth.quick_code import DEVICE_COOKIE
    device = {c.name: c.value for c in browser.cookies if c.name == DEVICE_COOKIE}
    assert device, "the device keeps its code's cookie"
    later = requests.Session()                                     # the browser's session is gone; the device stays
    for name, value in device.items():
        later.cookies.set(name, value)
    code_page = later.get(f"{base}/login", timeout=10)
    assert "/quick-code" in code_page.url
    token = re.search(r'name="csrf_token" value="([^"]+)"', code_page.text).group(1)
    back = later.post(code_page.url, data={"csrf_token": token, "code": "2580"}, timeout=10)
    assert back.url == f"{base}/" and "-412,50" in html_text(back.text)       # renewed through Keycloak
    page = later.get(f"{base}/", timeout=10).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    later.post(f"{base}/logout", data={"csrf_token": token}, timeout=10, allow_redirects=False)
    again = requests.Session()
    for name, value in device.items():
        again.cookies.set(name, value)
    code_page = again.get(f"{base}/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', code_page.text).group(1)
    refused = again.post(code_page.url, data={"csrf_token": token, "code": "2580"}, timeout=10)
    assert "/realms/" in refused.url                                # signed out: Keycloak asks for the password


def test_sign_in_attempts_are_rate_limited(engine):
    """Last in the module: it uses up this address's attempts."""
    app, base = engine
    browser = requests.Session()
    codes = [browser.get(f"{base}/login/callback", params={"state": "x", "code": "y"}, timeout=10).status_code
             for _ in range(35)]
    assert 429 in codes
