"""Ubilling's subscriber API (XMLAgent, its simulator as its own process) bound by the declarative
binding ``bindings/ubilling.yaml``: the conformance kit with subscribers signed in by the billing,
and the demo cabinet served over it, in Russian and English."""
from __future__ import annotations

import pytest

from engine.billing.credential import Credential
from engine.billing.errors import BillingRejected
from engine.billing.rest import RestBinding
from engine.testing.binding_suite import Scenario
from engine.testing.check import run_suite
from tests.conftest import ROOT, action_forms, csrf_token, hidden_inputs, html_text, page_text, sign_in
from tests.support.simulator import ubilling_process

SPEC = ROOT / "bindings" / "ubilling.yaml"
#: the kit's checks this binding passes; the others need operations XMLAgent does not have
PASSED = {
    "test_the_core_is_provided", "test_subscribers_sign_in", "test_answers_depend_on_the_subscriber",
    "test_moments_carry_their_time_zone", "test_accounts_of_a_subscriber", "test_one_account_and_an_unknown_one",
    "test_services_belong_to_their_account", "test_tariffs_name_the_current_one",
    "test_history_keeps_to_the_period_and_reads_every_page", "test_promised_payment_terms_explain_ineligibility",
    "test_payment_pages_lead_to_the_web",
}


@pytest.fixture(scope="module")
def ubilling(tmp_path_factory):
    with ubilling_process(tmp_path_factory.mktemp("ubilling")) as base:
        yield base


def test_the_conformance_kit_passes_with_subscribers_signed_in_by_ubilling(ubilling):
    results = run_suite(lambda: RestBinding(str(SPEC), {"UBILLING_URL": ubilling}),
                        Scenario(subscriber_id="demo1", other_subscriber_id="demo2", login="demo1", password="demo1",
                                 other_login="demo2", other_password="demo2"))
    failed = {r.test: r.reason for r in results if r.outcome == "failed"}
    assert not failed
    assert {r.test for r in results if r.outcome == "passed"} == PASSED
    assert all("does not provide" in r.reason or "whole" in r.reason
               for r in results if r.outcome == "not applicable")


@pytest.fixture
def cabinet(ubilling, make_app, monkeypatch):
    monkeypatch.setenv("UBILLING_URL", ubilling)
    return make_app(binding="rest", binding_options={"spec": str(SPEC)}, sign_in="billing", demo_users=False)


def test_the_demo_cabinet_serves_a_ubilling_subscriber(cabinet):
    client = cabinet.test_client()
    assert sign_in(client, "demo1", "wrong").status_code == 401
    assert sign_in(client, "demo1", "demo1").status_code == 302
    home = page_text(client.get("/"))
    assert "10001" in home and "350,00" in home and "Интернет" in home and "TV Basic" in home
    assert "Информация временно недоступна" not in home
    service = page_text(client.get("/services/demo1:internet"))
    assert "Home-100" in service and "450,00" in service
    assert client.get("/services/demo2:internet").status_code == 404        # another subscriber's
    history = page_text(client.get("/history?date_from=2020-01-01&date_to=2030-12-31"))
    assert "Оплата" in history and "Абонентская плата" in history and "TV Basic" in history
    payment = page_text(client.get("/payment"))
    assert "LiqPay (Visa/MasterCard)" in payment and "Перейти к оплате" in payment
    promised = page_text(client.get("/payment/promised"))
    assert "Баланс не отрицательный" in promised
    client.get("/language/en")
    english = page_text(client.get("/"))
    assert "Internet" in english and "350.00" in english


def test_a_ubilling_subscriber_in_debt_takes_a_promised_payment_once(cabinet):
    client = cabinet.test_client()
    sign_in(client, "demo2", "demo2")
    page = client.get("/payment/promised").get_data(as_text=True)
    assert "Плата за подключение 10,00" in html_text(page)
    form = action_forms(page, "activate_promised_payment")[0]
    confirm = client.post("/actions/activate_promised_payment", data={**form, "csrf_token": csrf_token(page)})
    confirmed = hidden_inputs(confirm.get_data(as_text=True))
    assert confirmed["_confirmed"] == "1"
    done = client.post("/actions/activate_promised_payment", data={**confirmed, "csrf_token": csrf_token(page)})
    assert done.status_code == 302, page_text(done)
    assert "Обещанный платёж уже подключён" in page_text(client.get("/payment/promised"))


def test_the_billings_own_refusals_reach_the_subscriber_in_their_language(ubilling):
    binding = RestBinding(str(SPEC), {"UBILLING_URL": ubilling})
    credential = Credential(binding.sign_in("credit1", "credit1").credential)
    params = {"account_id": "credit1", "request_id": "k-1", "credential": credential}
    with pytest.raises(BillingRejected) as refused:
        binding.call("activate_promised_payment", {**params, "locale": "ru"})
    assert refused.value.code == "3" and refused.value.reason == "Обещанный платёж уже подключён."
    with pytest.raises(BillingRejected, match="A promised payment is already on."):
        binding.call("activate_promised_payment", {**params, "locale": "en"})
    terms = binding.call("promised_payment_terms", {"account_id": "credit1", "credential": credential})
    assert terms.active and not terms.eligible
    binding.close()


def test_a_credit_whose_answer_is_lost_is_settled_by_a_status_query_not_sent_twice(tmp_path):
    """Ubilling's creditor keeps no request keys and refuses a second credit: after a dropped
    answer, the binding's status query finds the credit granted (asking again would have been
    refused with "already have a credit" and the subscriber told it failed)."""
    import uuid
    from datetime import timedelta

    import requests

    from engine.assembly.writes import reconcile
    from engine.billing.errors import BillingOutcomeUnknown
    from engine.state import Database
    from engine.state.writes import BillingWrites, write_key

    key = uuid.uuid4().hex
    with ubilling_process(tmp_path, faults_key=key) as base:
        root = base.rsplit("/billing/", 1)[0]
        binding = RestBinding(str(SPEC), {"UBILLING_URL": base})
        credential = Credential(binding.sign_in("demo2", "demo2").credential)
        params = {"account_id": "demo2", "request_id": "lost-1", "credential": credential}
        requests.post(f"{root}/__faults", json={"match": r"^GET /billing/userstats/$", "mode": "close_connection",
                                                "times": 1, "execute": True}, headers={"X-Api-Key": key}, timeout=5)
        with pytest.raises(BillingOutcomeUnknown):
            binding.call("activate_promised_payment", params)
        db = Database(f"sqlite:///{tmp_path / 'engine.sqlite'}")
        db.migrate()
        writes = BillingWrites(db)
        plain = {k: v for k, v in params.items() if k != "credential"}
        writes.begin("activate_promised_payment", "lost-1", plain, "demo2")
        writes.in_doubt(write_key("activate_promised_payment", "lost-1"))
        settled = reconcile(binding, writes, settle_after=timedelta(0), credential_of=lambda login: credential)
        assert settled, "the status query settles it"
        done = writes.get(write_key("activate_promised_payment", "lost-1"))
        assert done.state == "done" and done.result["ok"] is True
        terms = binding.call("promised_payment_terms", {"account_id": "demo2", "credential": credential})
        assert terms.active
        binding.close()
