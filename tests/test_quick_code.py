"""The quick-login code through the Flask test client: the offer after sign-in, setting it twice,
skipping, signing in with it on this device only, five wrong codes, forgetting it, the audit log."""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from engine.state.audit import AuditLog
from engine.state.quick_codes import QuickCode
from engine.state.users import LocalUser, UserStore
from tests.conftest import csrf_token, sign_in

DEVICE_COOKIE = "cabinet_device"
CODE = "2580"


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def user(app):
    """A user of this test's own, so codes and audit records of other tests never mix in."""
    login = f"qc-{uuid.uuid4().hex[:10]}"
    UserStore(app.extensions["cabinet"].db).add(login, "secret", name="Quick Code", subscriber_id="S-1")
    return login


def _db(app):
    return app.extensions["cabinet"].db


def _rows(app, login) -> list[QuickCode]:
    with _db(app).session() as session:
        return list(session.scalars(select(QuickCode).where(QuickCode.login == login)))


def _events(app, login) -> list[tuple[str, str]]:
    return [(r.event, r.result) for r in reversed(AuditLog(_db(app)).latest(login, limit=200))
            if r.event.startswith("quick-code:")]


def _signed_in_login(client) -> str | None:
    with client.session_transaction() as session:
        return (session.get("user") or {}).get("login")


def _token_of(client) -> str:
    """A CSRF token for this client's current session (sign-in starts a new session, and a new token)."""
    page = "/no-such-page" if _signed_in_login(client) else "/login?password=1"   # 404 page: has the logout form
    return csrf_token(client.get(page).get_data(as_text=True))


def _post_setup(client, code, step, next_url="/"):
    return client.post("/quick-code/setup", data={"code": code, "step": step, "next": next_url,
                                                  "csrf_token": _token_of(client)})


def _set_code(client, code=CODE, next_url="/"):
    first = _post_setup(client, code, "first", next_url)
    assert first.status_code == 200 and 'name="step" value="repeat"' in first.get_data(as_text=True)
    token = csrf_token(first.get_data(as_text=True))
    return client.post("/quick-code/setup", data={"code": code, "step": "repeat", "next": next_url,
                                                  "csrf_token": token})


def _password_sign_in(client, login):
    """conftest's sign_in, from the password form (a device with a code opens the code form first)."""
    token = csrf_token(client.get("/login?password=1").get_data(as_text=True))
    return client.post("/login", data={"username": login, "password": "secret", "csrf_token": token})


def _device_with_code(app, login, code=CODE):
    """Sign in with the password on a new client, set a code; returns the device cookie value."""
    client = app.test_client()
    sign_in(client, login, "secret")
    assert _set_code(client, code).status_code == 302
    return client.get_cookie(DEVICE_COOKIE).value


def _device(app, device_id):
    """A new client (a new browser session) that carries only the device cookie."""
    client = app.test_client()
    client.set_cookie(DEVICE_COOKIE, device_id)
    return client


def _enter_code(client, code, next_url="/"):
    token = csrf_token(client.get(f"/login?password=1&next={next_url}").get_data(as_text=True))
    return client.post("/quick-code", data={"code": code, "next": next_url, "csrf_token": token})


# --- the offer and setting the code ---------------------------------------------------------------

def test_first_password_sign_in_offers_a_code(app, user):
    client = app.test_client()
    response = sign_in(client, user, "secret")
    assert response.status_code == 302 and response.headers["Location"] == "/quick-code/setup?next=/"
    assert _signed_in_login(client) == user                # already signed in: the offer is optional
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    field = re.search(r'<input[^>]*name="code"[^>]*>', html).group(0)
    assert 'inputmode="numeric"' in field and 'pattern="[0-9]{4}"' in field and 'id="quick-code"' in field
    assert '<label class="form__label quick-code__label" for="quick-code">' in html
    assert 'action="/quick-code/skip"' in html


def test_setup_needs_a_signed_in_user(client):
    response = client.get("/quick-code/setup")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_code_is_set_by_entering_it_twice(app, user):
    client = app.test_client()
    sign_in(client, user, "secret")
    response = _set_code(client, next_url="/history")
    assert response.status_code == 302 and response.headers["Location"] == "/history"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{DEVICE_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie and "Secure" not in cookie          # cookie_secure=False here
    [row] = _rows(app, user)
    assert row.failed_attempts == 0 and not row.disabled and row.created_at and row.last_used_at is None
    assert _events(app, user) == [("quick-code:set", "ok")]


def test_device_cookie_is_secure_when_the_session_cookie_is(make_app):
    app = make_app(cookie_secure=True)
    client = app.test_client()
    https = dict(base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    token = csrf_token(client.get("/login", **https).get_data(as_text=True))
    client.post("/login", data={"username": "demo1", "password": "demo1", "csrf_token": token}, **https)
    token = csrf_token(client.get("/quick-code/setup", **https).get_data(as_text=True))
    client.post("/quick-code/setup", data={"code": CODE, "step": "first", "csrf_token": token}, **https)
    response = client.post("/quick-code/setup", data={"code": CODE, "step": "repeat", "csrf_token": token}, **https)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{DEVICE_COOKIE}=") and "Secure" in cookie and "HttpOnly" in cookie


def test_a_mismatch_starts_over(app, user):
    client = app.test_client()
    sign_in(client, user, "secret")
    assert _post_setup(client, "1234", "first").status_code == 200
    mismatch = client.post("/quick-code/setup", data={"code": "4321", "step": "repeat", "next": "/",
                                                      "csrf_token": _token_of(client)})
    html = mismatch.get_data(as_text=True)
    assert mismatch.status_code == 422 and 'name="step" value="first"' in html and 'role="alert"' in html
    assert DEVICE_COOKIE not in mismatch.headers.get("Set-Cookie", "") and _rows(app, user) == []
    # the first code is forgotten: repeating it now is a new first entry, not a confirmation
    again = client.post("/quick-code/setup", data={"code": "1234", "step": "repeat", "next": "/",
                                                   "csrf_token": _token_of(client)})
    assert again.status_code == 200 and 'name="step" value="repeat"' in again.get_data(as_text=True)
    assert _rows(app, user) == []
    assert _set_code(client, "1234").status_code == 302 and len(_rows(app, user)) == 1


def test_a_code_must_be_four_digits(app, user):
    client = app.test_client()
    sign_in(client, user, "secret")
    for bad in ("123", "12345", "12a4", "١٢٣٤"):          # the last: Arabic-Indic digits
        assert _post_setup(client, bad, "first").status_code == 422, bad
    assert _rows(app, user) == []


def test_skip_goes_on_and_is_remembered_for_the_session(app, user):
    client = app.test_client()
    sign_in(client, user, "secret")
    token = csrf_token(client.get("/quick-code/setup?next=/history").get_data(as_text=True))
    response = client.post("/quick-code/skip", data={"next": "/history", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == "/history"
    assert DEVICE_COOKIE not in response.headers.get("Set-Cookie", "") and _rows(app, user) == []
    with client.session_transaction() as session:
        assert session["quick_code_skipped"] is True
    with app.test_request_context():
        from flask import session

        from engine.assembly.screen import Identity
        from engine.web.auth.quick_code import next_after_sign_in

        session["quick_code_skipped"] = True
        assert next_after_sign_in(Identity(user, "", frozenset({"subscriber"})), "/") == "/"
    assert client.post("/quick-code/skip", data={"next": "/"}).status_code == 400     # CSRF


# --- signing in with the code ---------------------------------------------------------------------

def test_sign_in_with_the_code_on_the_same_device(app, user):
    device_id = _device_with_code(app, user)
    client = _device(app, device_id)
    login_page = client.get("/login?next=/history")
    assert login_page.status_code == 302 and login_page.headers["Location"] == "/quick-code?next=/history"
    page = client.get(login_page.headers["Location"])
    assert page.status_code == 200 and 'pattern="[0-9]{4}"' in page.get_data(as_text=True)
    assert client.get("/login?password=1").status_code == 200        # the password form stays reachable
    response = _enter_code(client, CODE, "/history")
    assert response.status_code == 302 and response.headers["Location"] == "/history"   # no offer again
    assert _signed_in_login(client) == user
    with client.session_transaction() as session:
        assert session["user"]["subscriber_id"] == "S-1" and session["user"]["roles"] == ["subscriber"]
    [row] = _rows(app, user)
    assert row.last_used_at is not None and row.failed_attempts == 0
    assert _events(app, user) == [("quick-code:set", "ok"), ("quick-code:sign-in", "ok")]


def test_demo_subscriber_reaches_the_cabinet_with_the_code(app):
    client = app.test_client()
    sign_in(client)
    assert _set_code(client).status_code == 302
    device = _device(app, client.get_cookie(DEVICE_COOKIE).value)
    assert device.get("/").status_code == 302
    _enter_code(device, CODE)
    assert device.get("/").status_code == 200


def test_another_device_cannot_use_the_code(app, user):
    _device_with_code(app, user)
    for client in (app.test_client(), _device(app, "another-device-id")):
        assert client.get("/login").status_code == 200                # the password form
        token = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post("/quick-code", data={"code": CODE, "next": "/", "csrf_token": token})
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
        assert _signed_in_login(client) is None
    assert [e for e in _events(app, user) if e[0] == "quick-code:sign-in"] == []


def test_a_wrong_code_is_counted(app, user):
    client = _device(app, _device_with_code(app, user))
    response = _enter_code(client, "0000")
    assert response.status_code == 401 and 'role="alert"' in response.get_data(as_text=True)
    assert _signed_in_login(client) is None and _rows(app, user)[0].failed_attempts == 1
    assert _enter_code(client, CODE).status_code == 302 and _rows(app, user)[0].failed_attempts == 0


def test_five_wrong_codes_disable_it_and_the_password_is_needed(app, user):
    client = _device(app, _device_with_code(app, user))
    codes = [_enter_code(client, "0000").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 401]
    fifth = _enter_code(client, "0000")
    assert fifth.status_code == 302 and fifth.headers["Location"].startswith("/login")
    [row] = _rows(app, user)
    assert row.disabled and row.failed_attempts == 5
    right = _enter_code(client, CODE)                                  # too late, even the right one
    assert right.status_code == 302 and right.headers["Location"].startswith("/login")
    assert _signed_in_login(client) is None
    password_form = client.get("/login")
    assert password_form.status_code == 200 and 'name="password"' in password_form.get_data(as_text=True)
    assert 'role="alert"' in password_form.get_data(as_text=True)     # says why
    events = _events(app, user)
    assert events.count(("quick-code:sign-in", "refused")) == 5
    assert events[-1] == ("quick-code:disabled", "ok") and ("quick-code:sign-in", "ok") not in events
    # the password sign-in offers a new code, which works again
    offer = _password_sign_in(client, user)
    assert offer.status_code == 302 and offer.headers["Location"].startswith("/quick-code/setup")
    assert _rows(app, user) == []
    assert client.get("/login?password=1").status_code == 302        # signed in: goes on
    assert _set_code(client, "1357").status_code == 302
    device = _device(app, client.get_cookie(DEVICE_COOKIE).value)
    assert _enter_code(device, "1357").status_code == 302 and _signed_in_login(device) == user


def test_a_new_code_replaces_the_devices_old_one_with_a_new_device_id(app, user):
    client = app.test_client()
    sign_in(client, user, "secret")
    _set_code(client, "1111")
    old_device = client.get_cookie(DEVICE_COOKIE).value
    _set_code(client, "2222")
    assert client.get_cookie(DEVICE_COOKIE).value != old_device and len(_rows(app, user)) == 1
    assert _enter_code(_device(app, old_device), "1111").headers["Location"].startswith("/login")


def test_a_second_user_on_the_device_is_offered_a_code(app, user):
    client = app.test_client()
    sign_in(client, user, "secret")
    _set_code(client)
    client.post("/logout", data={"csrf_token": _token_of(client)})
    assert client.get("/login").headers["Location"].startswith("/quick-code")
    assert _password_sign_in(client, user).headers["Location"] == "/"          # has one: no offer
    client.post("/logout", data={"csrf_token": _token_of(client)})
    token = _token_of(client)
    offer = client.post("/login", data={"username": "demo3", "password": "demo3", "csrf_token": token})
    assert offer.headers["Location"].startswith("/quick-code/setup")


def test_a_removed_user_cannot_sign_in_with_an_old_code(app, user):
    client = _device(app, _device_with_code(app, user))
    with _db(app).session() as session:
        session.delete(session.get(LocalUser, user))
    response = _enter_code(client, CODE)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert _signed_in_login(client) is None and _rows(app, user) == []
    assert ("quick-code:sign-in", "refused") in _events(app, user)


def test_code_is_stored_hashed_with_the_device_id_hashed_too(app, user):
    device_id = _device_with_code(app, user, "8642")
    [row] = _rows(app, user)
    assert row.code_hash.startswith("scrypt:") and "8642" not in row.code_hash
    assert device_id not in row.device_hash and len(row.device_hash) == 64
    with _db(app).engine.connect() as connection:
        from sqlalchemy import text
        raw = connection.execute(text("SELECT * FROM quick_codes WHERE login = :login"), {"login": user}).one()
    assert not any("8642" in str(value) or device_id in str(value) for value in raw)
    for record in AuditLog(_db(app)).latest(user, limit=200):
        assert "8642" not in record.details and device_id not in record.details


# --- forgetting the code --------------------------------------------------------------------------

def test_forget_the_code_needs_csrf_and_deletes_it(app, user):
    client = _device(app, _device_with_code(app, user))
    page = client.get("/quick-code").get_data(as_text=True)
    assert 'action="/quick-code/forget"' in page
    assert client.post("/quick-code/forget", data={"next": "/"}).status_code == 400
    assert len(_rows(app, user)) == 1
    response = client.post("/quick-code/forget", data={"next": "/", "csrf_token": csrf_token(page)})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert f"{DEVICE_COOKIE}=;" in response.headers["Set-Cookie"]
    assert _rows(app, user) == [] and client.get_cookie(DEVICE_COOKIE) is None
    assert client.get("/login").status_code == 200
    assert _events(app, user)[-1] == ("quick-code:removed", "ok")


# --- redirects and limits -------------------------------------------------------------------------

EVIL = ("https://evil.example/", "//evil.example/", "/\\evil.example")


def test_open_redirect_through_next_is_refused(app, user):
    client = app.test_client()
    for target in EVIL:
        token = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post(f"/login?next={target}", data={"username": user, "password": "secret",
                                                              "csrf_token": token})
        assert response.headers["Location"] == "/quick-code/setup?next=/", target
        token = csrf_token(client.get("/quick-code/setup").get_data(as_text=True))
        skipped = client.post("/quick-code/skip", data={"next": target, "csrf_token": token})
        assert skipped.headers["Location"] == "/", target
        client.post("/logout", data={"csrf_token": token})
    sign_in(client, user, "secret")
    first = _post_setup(client, CODE, "first", "/")
    done = client.post("/quick-code/setup", data={"code": CODE, "step": "repeat", "next": EVIL[0],
                                                  "csrf_token": csrf_token(first.get_data(as_text=True))})
    assert done.headers["Location"] == "/"
    device = _device(app, client.get_cookie(DEVICE_COOKIE).value)
    for target in EVIL:
        token = _token_of(device)
        response = device.post("/quick-code", data={"code": CODE, "next": target, "csrf_token": token})
        assert response.headers["Location"] == "/", target
        device.post("/logout", data={"csrf_token": _token_of(device)})


def test_code_sign_in_is_rate_limited(make_app):
    app = make_app(login_rate="3 per minute")
    login = f"qc-{uuid.uuid4().hex[:10]}"
    UserStore(_db(app)).add(login, "secret")
    client = _device(app, _device_with_code(app, login))
    token = csrf_token(client.get("/quick-code").get_data(as_text=True))
    codes = [client.post("/quick-code", data={"code": "0000", "csrf_token": token}).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert _rows(app, login)[0].failed_attempts == 3                  # refused requests do not count


def test_parallel_wrong_codes_cannot_pass_the_limit_on_sqlite(tmp_path):
    """Each guess is counted before it is checked, so twenty at once still stop at five."""
    from concurrent.futures import ThreadPoolExecutor

    from engine.state import Database
    from engine.state.quick_codes import MAX_FAILED_ATTEMPTS, QuickCodeStore

    db = Database(f"sqlite:///{tmp_path / 'codes.sqlite'}")
    db.create_all()
    store = QuickCodeStore(db)
    store.set("device-1", "demo1", "1234")
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: store.verify("device-1", "0000").outcome, range(20)))
    assert results.count("wrong") == MAX_FAILED_ATTEMPTS and results.count("unavailable") == 20 - MAX_FAILED_ATTEMPTS
    assert store.verify("device-1", "1234").outcome == "unavailable"        # disabled, even for the right code
    db.dispose()
