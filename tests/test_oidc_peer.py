"""The tests' OpenID Connect peer (oidc-provider laid out like Keycloak), driven as the engine drives
Keycloak: through python-keycloak's KeycloakOpenID, with the browser's part of the authorization
code flow done by ``requests`` on the peer's plain HTML login form. One peer for the module."""
from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import time
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from jwcrypto import jwk, jwt
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakGetError, KeycloakPostError

from tests.support.oidc import DEFAULT_REDIRECT_URIS, oidc_peer

REDIRECT_URI = DEFAULT_REDIRECT_URIS[0]
SCOPE = "openid profile email roles"


@pytest.fixture(scope="module")
def peer(tmp_path_factory):
    with oidc_peer(tmp_path_factory.mktemp("oidc")) as running:
        yield running


@pytest.fixture(scope="module")
def keycloak(peer):
    return KeycloakOpenID(server_url=peer.server_url, realm_name=peer.realm, client_id=peer.client_id,
                          client_secret_key=peer.client_secret)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def login_form(page: requests.Response) -> str:
    """The absolute URL the login form submits to."""
    assert page.status_code == 200, page.text
    assert 'name="username"' in page.text and 'name="password"' in page.text, page.text
    assert "<script" not in page.text
    action = re.search(r'<form[^>]*\baction="([^"]+)"', page.text)
    assert action, page.text
    return urljoin(page.url, html.unescape(action.group(1)))


def follow_to_redirect_uri(browser: requests.Session, response: requests.Response) -> dict[str, str]:
    """Follow the peer's redirects by hand up to the redirect URI (where nothing listens); its query."""
    for _ in range(10):
        assert response.status_code in (302, 303), (response.status_code, response.text)
        location = urljoin(response.url, response.headers["Location"])
        if location.startswith(REDIRECT_URI):
            return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        response = browser.get(location, allow_redirects=False)
    raise AssertionError("too many redirects")


def browser_login(keycloak: KeycloakOpenID, username: str, password: str,
                  browser: requests.Session | None = None,
                  challenge: str | None = None) -> tuple[dict[str, str], str, str]:
    """Sign in through the login page; the redirect's query, the state and the nonce."""
    browser = browser or requests.Session()
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    url = keycloak.auth_url(REDIRECT_URI, scope=SCOPE, state=state, nonce=nonce, code_challenge=challenge,
                            code_challenge_method="S256" if challenge else None)
    page = browser.get(url)
    action = login_form(page)
    response = browser.post(action, data={"username": username, "password": password}, allow_redirects=False)
    return follow_to_redirect_uri(browser, response), state, nonce


def verify(token: str, keycloak: KeycloakOpenID) -> tuple[dict, dict]:
    """The header and claims of a token whose RS256 signature the peer's JWKS verifies."""
    keys = jwk.JWKSet.from_json(json.dumps(keycloak.certs()))
    checked = jwt.JWT(jwt=token, key=keys, algs=["RS256"], expected_type="JWS")
    return json.loads(checked.token.objects["protected"]), json.loads(checked.claims)


def code_flow_tokens(keycloak: KeycloakOpenID, username: str = "demo1", password: str = "demo1") -> dict:
    verifier, challenge = pkce_pair()
    query, state, _ = browser_login(keycloak, username, password, challenge=challenge)
    assert query["state"] == state
    return keycloak.token(grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI,
                          code_verifier=verifier)


# --- discovery and keys -------------------------------------------------------------------------------
def test_discovery_has_keycloaks_layout(peer, keycloak):
    known = keycloak.well_known()
    base = f"http://127.0.0.1:{peer.port}/realms/cabinet"
    assert known["issuer"] == peer.issuer == base
    endpoints = {name: known[name] for name in ("authorization_endpoint", "token_endpoint", "jwks_uri",
                                                  "userinfo_endpoint", "end_session_endpoint",
                                                  "introspection_endpoint", "revocation_endpoint")}
    assert endpoints == {
        "authorization_endpoint": f"{base}/protocol/openid-connect/auth",
        "token_endpoint": f"{base}/protocol/openid-connect/token",
        "jwks_uri": f"{base}/protocol/openid-connect/certs",
        "userinfo_endpoint": f"{base}/protocol/openid-connect/userinfo",
        "end_session_endpoint": f"{base}/protocol/openid-connect/logout",
        "introspection_endpoint": f"{base}/protocol/openid-connect/token/introspect",
        "revocation_endpoint": f"{base}/protocol/openid-connect/revoke",
    }
    assert known["code_challenge_methods_supported"] == ["S256"]
    assert known["response_types_supported"] == ["code"]
    assert {"authorization_code", "refresh_token", "password"} <= set(known["grant_types_supported"])
    methods = set(known["token_endpoint_auth_methods_supported"])
    assert {"client_secret_basic", "client_secret_post"} <= methods
    assert known["id_token_signing_alg_values_supported"] == ["RS256"]
    certs = keycloak.certs()
    assert [(key["kty"], key["alg"], key["use"]) for key in certs["keys"]] == [("RSA", "RS256", "sig")]
    assert not any(private in certs["keys"][0] for private in ("d", "p", "q"))
    assert requests.get(f"http://127.0.0.1:{peer.port}/healthz", timeout=5).status_code == 200
    # Keycloak's realm document, whose public_key python-keycloak's public_key() reads
    assert keycloak.public_key() == requests.get(base, timeout=5).json()["public_key"]


# --- the authorization code flow ----------------------------------------------------------------------
def test_code_flow_issues_keycloak_like_tokens(peer, keycloak):
    verifier, challenge = pkce_pair()
    query, state, nonce = browser_login(keycloak, "demo1", "demo1", challenge=challenge)
    assert query["state"] == state and query["iss"] == peer.issuer and query["code"]
    tokens = keycloak.token(grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI,
                            code_verifier=verifier)
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 300 and tokens["refresh_expires_in"] == 1800
    assert tokens["refresh_token"] and tokens["id_token"]

    demo1 = peer.user("demo1")
    header, access = verify(tokens["access_token"], keycloak)
    assert header["alg"] == "RS256" and header["kid"] == keycloak.certs()["keys"][0]["kid"]
    assert access["iss"] == peer.issuer
    assert access["aud"] == peer.client_id and access["azp"] == peer.client_id
    assert access["sub"] == demo1["sub"] and access["sid"] == tokens["session_state"]
    assert access["exp"] - time.time() == pytest.approx(300, abs=10)
    assert access["preferred_username"] == "demo1" and access["email"] == "ivan@example.ru"
    assert access["name"] == "Иван Иванов"
    assert access["realm_access"] == {"roles": ["subscriber"]}
    assert access["subscriber_id"] == "sub-1001" and "dealer_id" not in access
    assert set(access["scope"].split()) == {"openid", "profile", "email", "roles"}
    # python-keycloak's own verification accepts it too
    assert keycloak.decode_token(tokens["access_token"])["subscriber_id"] == "sub-1001"

    _, identity = verify(tokens["id_token"], keycloak)
    assert identity["nonce"] == nonce and identity["aud"] == peer.client_id and identity["iss"] == peer.issuer
    assert identity["sub"] == demo1["sub"] and identity["sid"] == access["sid"]
    assert identity["preferred_username"] == "demo1" and identity["email"] == "ivan@example.ru"
    assert identity["name"] == "Иван Иванов" and identity["realm_access"] == {"roles": ["subscriber"]}
    assert identity["subscriber_id"] == "sub-1001"

    # a replayed code is refused
    with pytest.raises(KeycloakPostError) as replay:
        keycloak.token(grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI,
                       code_verifier=verifier)
    assert replay.value.response_code == 400
    assert json.loads(replay.value.response_body)["error"] == "invalid_grant"


def test_pkce_is_required(peer, keycloak):
    verifier, challenge = pkce_pair()
    for missing in ({}, {"code_verifier": pkce_pair()[0]}):     # no verifier; another verifier
        query, _, _ = browser_login(keycloak, "demo1", "demo1", challenge=challenge)
        with pytest.raises(KeycloakPostError) as refused:
            keycloak.token(grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI,
                           **missing)
        assert json.loads(refused.value.response_body)["error"] == "invalid_grant"
    # an authorization request without a code challenge goes back to the client with an error
    url = keycloak.auth_url(REDIRECT_URI, scope=SCOPE, state="s1", nonce="n1")
    response = requests.get(url, allow_redirects=False)
    error = follow_to_redirect_uri(requests.Session(), response)
    assert error["error"] == "invalid_request" and "PKCE" in error["error_description"]
    assert error["state"] == "s1"


def test_wrong_password_shows_the_form_again(peer, keycloak):
    browser = requests.Session()
    url = keycloak.auth_url(REDIRECT_URI, scope=SCOPE, state="s2", nonce="n2", code_challenge=pkce_pair()[1],
                            code_challenge_method="S256")
    action = login_form(browser.get(url))
    again = browser.post(action, data={"username": "demo1", "password": "wrong"}, allow_redirects=False)
    assert "Invalid username or password." in again.text
    assert login_form(again) == action
    right = browser.post(action, data={"username": "demo1", "password": "demo1"}, allow_redirects=False)
    assert follow_to_redirect_uri(browser, right)["code"]


def test_single_sign_on_until_logout(peer, keycloak):
    """A second authorization in the same browser needs no password; after logout it does again."""
    browser = requests.Session()
    verifier, challenge = pkce_pair()
    query, _, _ = browser_login(keycloak, "demo1", "demo1", browser=browser, challenge=challenge)
    tokens = keycloak.token(grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI,
                            code_verifier=verifier)
    url = keycloak.auth_url(REDIRECT_URI, scope=SCOPE, state="s3", nonce="n3", code_challenge=challenge,
                            code_challenge_method="S256")
    assert follow_to_redirect_uri(browser, browser.get(url, allow_redirects=False))["code"]
    keycloak.logout(tokens["refresh_token"])
    assert 'name="password"' in browser.get(url).text


# --- refresh, userinfo, introspection, logout ------------------------------------------------------------
def test_refresh_userinfo_and_logout(peer, keycloak):
    tokens = code_flow_tokens(keycloak)
    info = keycloak.userinfo(tokens["access_token"])
    assert info["sub"] == peer.user("demo1")["sub"]
    assert info["preferred_username"] == "demo1" and info["email"] == "ivan@example.ru"
    assert info["subscriber_id"] == "sub-1001"

    renewed = keycloak.refresh_token(tokens["refresh_token"])
    assert renewed["refresh_token"] != tokens["refresh_token"]          # rotated
    assert renewed["refresh_expires_in"] == 1800 and renewed["session_state"] == tokens["session_state"]
    _, access = verify(renewed["access_token"], keycloak)
    assert access["realm_access"] == {"roles": ["subscriber"]} and access["sid"] == tokens["session_state"]
    assert access["aud"] == peer.client_id
    assert keycloak.userinfo(renewed["access_token"])["subscriber_id"] == "sub-1001"
    assert keycloak.introspect(renewed["access_token"])["active"] is True

    assert keycloak.logout(renewed["refresh_token"]) == {}
    with pytest.raises(KeycloakPostError) as refused:
        keycloak.refresh_token(renewed["refresh_token"])
    assert json.loads(refused.value.response_body)["error"] == "invalid_grant"
    with pytest.raises(KeycloakAuthenticationError):
        keycloak.userinfo(renewed["access_token"])
    assert keycloak.introspect(renewed["access_token"]) == {"active": False}
    with pytest.raises(KeycloakPostError) as again:
        keycloak.logout(renewed["refresh_token"])
    assert again.value.response_code == 400


def test_a_reused_refresh_token_ends_the_grant(peer, keycloak):
    tokens = code_flow_tokens(keycloak)
    renewed = keycloak.refresh_token(tokens["refresh_token"])
    with pytest.raises(KeycloakPostError):
        keycloak.refresh_token(tokens["refresh_token"])
    with pytest.raises(KeycloakPostError):
        keycloak.refresh_token(renewed["refresh_token"])


def test_userinfo_refuses_foreign_tokens(peer, keycloak):
    tokens = code_flow_tokens(keycloak)
    head, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["subscriber_id"] = "sub-9999"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for token in (f"{head}.{forged}.{signature}", "not-a-token"):
        with pytest.raises(KeycloakAuthenticationError):
            keycloak.userinfo(token)


# --- the password grant (direct login) and client authentication -------------------------------------------
def test_password_grant(peer, keycloak):
    tokens = keycloak.token("demo2", "demo2")
    assert set(tokens) >= {"access_token", "refresh_token", "id_token", "expires_in", "refresh_expires_in",
                           "token_type"}
    assert tokens["token_type"] == "Bearer"
    assert tokens["expires_in"] == 300 and tokens["refresh_expires_in"] == 1800
    _, access = verify(tokens["access_token"], keycloak)
    assert access["iss"] == peer.issuer
    assert access["aud"] == peer.client_id and access["azp"] == peer.client_id
    assert access["sub"] == peer.user("demo2")["sub"] and access["sid"]
    assert access["realm_access"] == {"roles": ["dealer"]} and access["dealer_id"] == "dealer-2001"
    assert access["preferred_username"] == "demo2" and access["name"] == "Пётр Петров"
    _, identity = verify(tokens["id_token"], keycloak)
    assert identity["aud"] == peer.client_id and identity["dealer_id"] == "dealer-2001"
    assert identity["sid"] == access["sid"]

    assert keycloak.userinfo(tokens["access_token"])["dealer_id"] == "dealer-2001"
    renewed = keycloak.refresh_token(tokens["refresh_token"])
    assert verify(renewed["access_token"], keycloak)[1]["dealer_id"] == "dealer-2001"
    assert keycloak.introspect(renewed["refresh_token"])["active"] is True
    keycloak.logout(renewed["refresh_token"])
    with pytest.raises(KeycloakPostError):
        keycloak.refresh_token(renewed["refresh_token"])
    with pytest.raises(KeycloakAuthenticationError):
        keycloak.userinfo(renewed["access_token"])

    # like Keycloak: the email in place of the user name, in any case
    assert keycloak.token("DEALER@example.ru", "demo2")["access_token"]
    with pytest.raises(KeycloakAuthenticationError) as wrong:
        keycloak.token("demo2", "not-the-password")
    assert wrong.value.response_code == 401
    assert json.loads(wrong.value.response_body) == {"error": "invalid_grant",
                                                     "error_description": "Invalid user credentials"}
    with pytest.raises(KeycloakAuthenticationError):
        keycloak.token("nobody", "demo2")


def test_client_authentication(peer):
    token_url = f"{peer.issuer}/protocol/openid-connect/token"
    form = {"grant_type": "password", "username": "demo1", "password": "demo1", "scope": "openid"}
    basic = requests.post(token_url, data=form, auth=(peer.client_id, peer.client_secret), timeout=5)
    assert basic.status_code == 200 and basic.json()["id_token"]
    wrong = requests.post(token_url, data=form, auth=(peer.client_id, "not-the-secret"), timeout=5)
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    wrong_post = requests.post(token_url, data={**form, "client_id": peer.client_id, "client_secret": "nope"},
                               timeout=5)
    assert wrong_post.status_code == 401 and wrong_post.json()["error"] == "invalid_client"

    other = KeycloakOpenID(server_url=peer.server_url, realm_name=peer.realm, client_id=peer.client_id,
                           client_secret_key="not-the-secret")
    with pytest.raises(KeycloakAuthenticationError):
        other.logout(basic.json()["refresh_token"])
    with pytest.raises(KeycloakGetError):
        KeycloakOpenID(server_url=peer.server_url, realm_name="elsewhere",
                       client_id=peer.client_id).well_known()


# --- a real browser -----------------------------------------------------------------------------------
def test_sign_in_with_chromium(peer, keycloak, chromium, tmp_path):
    """The login page works in Chromium: its cookies, form and redirects, up to the redirect URI
    (answered by the test itself, as nothing listens there)."""
    verifier, challenge = pkce_pair()
    url = keycloak.auth_url(REDIRECT_URI, scope=SCOPE, state="s-chromium", nonce="n-chromium",
                            code_challenge=challenge, code_challenge_method="S256")
    context = chromium.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        arrived: list[str] = []

        def callback(route):
            arrived.append(route.request.url)
            route.fulfill(status=200, content_type="text/html", body="<p>signed in</p>")

        page.route(f"{REDIRECT_URI}**", callback)
        page.goto(url)
        page.fill("input[name=username]", "demo1")
        page.fill("input[name=password]", "wrong")
        page.click("button[type=submit]")
        assert "Invalid username or password." in page.content()
        page.fill("input[name=password]", "demo1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{REDIRECT_URI}**")
        page.screenshot(path=str(tmp_path / "signed-in.png"))
    finally:
        context.close()
    query = {key: values[0] for key, values in parse_qs(urlsplit(arrived[-1]).query).items()}
    assert query["state"] == "s-chromium"
    tokens = keycloak.token(grant_type="authorization_code", code=query["code"], redirect_uri=REDIRECT_URI,
                            code_verifier=verifier)
    assert verify(tokens["access_token"], keycloak)[1]["subscriber_id"] == "sub-1001"
