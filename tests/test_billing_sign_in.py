"""Subscribers who sign in with the billing's own logins (CABINET_SIGN_IN=billing): the billing's
credential stays on the server, every call carries the signed-in subscriber's own, an expired one
is renewed, a refused one signs the subscriber out, and nobody ever sees another's data."""
from __future__ import annotations

import base64
import json
import zlib

import pytest
from sqlalchemy import select

from engine.config import ConfigError
from engine.state.audit import AuditRecord
from engine.state.auth_sessions import AuthSession

from .conftest import csrf_token, page_text, sign_in

BINDING = "tests.support.bindings:SessionKeyBilling"


@pytest.fixture
def billing_app(make_app, tmp_path):
    def build(binding: str = BINDING, **overrides):
        return make_app(binding=binding, sign_in="billing", demo_users=False,
                        binding_options={"database_url": f"sqlite:///{tmp_path / 'billing.sqlite'}"}, **overrides)
    return build


def binding_of(app):
    return app.extensions["cabinet"].binding


def session_cookie(client) -> dict:
    """The browser's session cookie, decoded (it is signed, not encrypted: anyone can read it)."""
    cookie = client.get_cookie("cabinet_session")
    assert cookie is not None, "no session cookie"
    payload = cookie.value.split(".")[0] if not cookie.value.startswith(".") else cookie.value[1:].split(".")[0]
    data = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    if cookie.value.startswith("."):
        data = zlib.decompress(data)
    return json.loads(data)


def newest_session(session, login: str) -> AuthSession:
    """This test's session of ``login`` (the database is shared by the tests of a run)."""
    return session.scalars(select(AuthSession).where(AuthSession.login == login)
                           .order_by(AuthSession.created_at.desc()).limit(1)).one()


def test_two_subscribers_see_only_their_own_accounts(billing_app):
    app = billing_app()
    ivan, petr = app.test_client(), app.test_client()
    assert sign_in(ivan, "ivan", "ivan-pass").status_code == 302
    assert sign_in(petr, "petr", "petr-pass").status_code == 302
    for _ in range(2):                     # the second round is answered from the account cache
        ivan_home, petr_home = page_text(ivan.get("/")), page_text(petr.get("/"))
        assert "108842" in ivan_home and "108900" not in ivan_home
        assert "108900" in petr_home and "108842" not in petr_home and "108843" not in petr_home
    assert ivan.get("/services/108842-internet").status_code == 200
    assert ivan.get("/services/108900-internet").status_code == 404     # petr's service, by its id
    assert petr.get("/services/108842-internet").status_code == 404


def test_no_cache_mixes_up_subscribers_a_binding_reports_alike(billing_app):
    """Sign-in names one subscriber id for both people (a binding's mistake): their account lists
    are still their own, through the account cache too."""
    app = billing_app("tests.support.bindings:SameIdBilling")
    ivan, petr = app.test_client(), app.test_client()
    sign_in(ivan, "ivan", "ivan-pass")
    sign_in(petr, "petr", "petr-pass")
    assert "108842" in page_text(ivan.get("/"))
    for _ in range(2):
        petr_home = page_text(petr.get("/"))
        assert "108900" in petr_home and "108842" not in petr_home
    assert petr.get("/services/108842-internet").status_code == 404


def test_the_credential_stays_on_the_server_encrypted(billing_app):
    app = billing_app()
    client = app.test_client()
    sign_in(client, "ivan", "ivan-pass")
    key = next(iter(binding_of(app).keys))
    cookie = json.dumps(session_cookie(client))
    assert key not in cookie and "ivan-pass" not in cookie
    with app.extensions["cabinet"].db.session() as session:
        row = newest_session(session, "ivan")
        assert row.credential and key not in row.credential and "ivan-pass" not in row.credential


def test_a_wrong_password_is_refused_and_audited(billing_app):
    app = billing_app()
    client = app.test_client()
    response = sign_in(client, "ivan", "wrong")
    assert response.status_code == 401
    assert "Wrong login or password" in page_text(response) or "Неверный логин или пароль" in page_text(response)
    assert client.get("/").status_code == 302
    with app.extensions["cabinet"].db.session() as session:
        events = session.scalars(select(AuditRecord).where(AuditRecord.event == "sign-in")
                                 .order_by(AuditRecord.id)).all()
    assert events[-1].result == "refused" and "billing" in events[-1].details


def test_an_expired_session_key_is_renewed_without_the_subscriber(billing_app):
    app = billing_app()
    client = app.test_client()
    sign_in(client, "ivan", "ivan-pass")
    binding = binding_of(app)
    with app.extensions["cabinet"].db.session() as session:
        before = newest_session(session, "ivan").credential
    binding.expire_sessions()
    assert "108842" in page_text(client.get("/"))
    assert binding.renewals == 1, "one renewal for the whole page, however many calls noticed"
    with app.extensions["cabinet"].db.session() as session:
        after = newest_session(session, "ivan").credential
    assert after != before, "the renewed credential is kept for the next request"
    client.get("/")
    assert binding.renewals == 1


def test_a_refused_renewal_signs_the_subscriber_out(billing_app):
    app = billing_app()
    client = app.test_client()
    sign_in(client, "ivan", "ivan-pass")
    binding = binding_of(app)
    binding.passwords["ivan"] = "changed at the operator's office"
    binding.expire_sessions()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/").status_code == 302, "the session is over"
    with app.extensions["cabinet"].db.session() as session:
        row = newest_session(session, "ivan")
        assert row.revoked_at is not None and row.credential == ""


def test_the_api_answers_a_refused_renewal_with_401(billing_app):
    app = billing_app()
    client = app.test_client()
    sign_in(client, "ivan", "ivan-pass")
    binding = binding_of(app)
    binding.passwords["ivan"] = "changed"
    binding.expire_sessions()
    response = client.get("/api/v1/screens/home")
    assert response.status_code == 401 and response.get_json()["error"] == "signed_out"


def test_signing_out_revokes_the_session_and_tells_the_billing(billing_app):
    app = billing_app()
    client = app.test_client()
    sign_in(client, "ivan", "ivan-pass")
    stolen = client.get_cookie("cabinet_session").value
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert binding_of(app).signed_out == ["ivan"] and not binding_of(app).keys
    thief = app.test_client()
    thief.set_cookie("cabinet_session", stolen)
    assert thief.get("/").status_code == 302, "a copied cookie of a signed-out session opens nothing"


def test_the_cabinet_hides_what_this_billing_cannot_do(billing_app):
    app = billing_app()
    client = app.test_client()
    sign_in(client, "ivan", "ivan-pass")
    home = client.get("/").get_data(as_text=True)
    assert "/actions/activate_promised_payment" not in home and "promised" not in home
    assert client.get("/history?account=108842").status_code == 200


def test_local_users_still_sign_in_beside_the_billing(billing_app):
    from engine.state.users import UserStore

    app = billing_app()
    UserStore(app.extensions["cabinet"].db).add("dealer-anna", "anna-pass", "Анна", ("dealer",),
                                                dealer_id="dealer-2001")
    client = app.test_client()
    response = sign_in(client, "dealer-anna", "anna-pass")
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    assert "/login" not in client.get("/").headers.get("Location", "")


def test_a_quick_code_continues_the_billing_session(billing_app):
    app = billing_app()
    client = app.test_client()
    sign_in(client, "ivan", "ivan-pass")
    page = client.get("/quick-code/setup").get_data(as_text=True)
    assert "passkey" not in page.lower(), "passkeys are not offered with the billing's sign-in"
    for step in ("first", "repeat"):
        token = csrf_token(page)
        page = client.post("/quick-code/setup", data={"code": "2468", "step": step, "csrf_token": token,
                                                       "next": "/"}).get_data(as_text=True)
    client.delete_cookie("cabinet_session")
    token = csrf_token(client.get("/quick-code").get_data(as_text=True))
    assert client.post("/quick-code", data={"code": "2468", "csrf_token": token}).status_code == 302
    assert "108842" in page_text(client.get("/"))


def test_a_per_subscriber_binding_needs_the_billing_sign_in(make_app, tmp_path):
    with pytest.raises(ConfigError, match="CABINET_SIGN_IN=billing"):
        make_app(binding=BINDING, sign_in="local",
                 binding_options={"database_url": f"sqlite:///{tmp_path / 'billing.sqlite'}"})


def test_the_billing_sign_in_needs_a_binding_that_signs_in(make_app):
    with pytest.raises(ConfigError, match="cannot sign subscribers in"):
        make_app(sign_in="billing")


def test_the_kit_checks_the_sign_in_and_acts_as_each_subscriber(tmp_path):
    from engine.testing.binding_suite import Scenario
    from engine.testing.check import run_suite
    from tests.support.bindings import SameIdBilling, SessionKeyBilling

    def results(binding_cls, **scenario):
        factory = lambda: binding_cls(database_url=f"sqlite:///{tmp_path / 'kit.sqlite'}")  # noqa: E731
        found = run_suite(factory, Scenario("sub-1001", other_subscriber_id="sub-1002", **scenario))
        return {r.test: r for r in found}

    signed = results(SessionKeyBilling, login="ivan", password="ivan-pass", other_login="petr",
                     other_password="petr-pass")
    assert signed["test_subscribers_sign_in"].outcome == "passed"
    assert signed["test_answers_depend_on_the_subscriber"].outcome == "passed"
    assert signed["test_services_belong_to_their_account"].outcome == "passed"
    assert not [r for r in signed.values() if r.outcome == "failed"]

    unnamed = results(SessionKeyBilling)
    assert unnamed["test_subscribers_sign_in"].outcome == "failed"
    assert "login, password" in unnamed["test_subscribers_sign_in"].reason

    wrong = results(SameIdBilling, login="ivan", password="ivan-pass", other_login="petr",
                    other_password="petr-pass")
    assert wrong["test_subscribers_sign_in"].outcome == "failed"
    assert "signed in as 'sub-everyone'" in wrong["test_subscribers_sign_in"].reason
