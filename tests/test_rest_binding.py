"""The declarative REST binding on the reference REST billing (the simulator as its own process):
the whole conformance kit, the demo cabinet served on it unchanged, and faults — slow answers,
500s, malformed JSON, wrong types, refused and hung connections — as typed errors within the
timeout, with the circuit breaker opening and closing."""
from __future__ import annotations

from datetime import date
import re
import time
import uuid

import pytest
import requests

from engine.billing import Page
from engine.billing.errors import BillingUnavailable
from engine.billing.rest import RestBinding, SpecError
from engine.testing.binding_suite import BindingSuite, Scenario
from tests.conftest import ROOT, html_text as page_text_of, page_text, sign_in
from tests.support.simulator import simulator_process

SPEC = ROOT / "bindings" / "reference.yaml"
KEY = f"sim-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def simulator(tmp_path_factory):
    with simulator_process(tmp_path_factory.mktemp("simulator"), KEY) as base:
        yield base


@pytest.fixture
def faults(simulator):
    def inject(match: str, mode: str, seconds: float = 1.0, times: int | None = None):
        requests.post(f"{simulator}/__faults", json={"match": match, "mode": mode, "seconds": seconds,
                                                     "times": times}, headers={"X-Api-Key": KEY}, timeout=5)
    yield inject
    requests.delete(f"{simulator}/__faults", headers={"X-Api-Key": KEY}, timeout=5)


def environ(base: str) -> dict[str, str]:
    return {"BILLING_URL": base, "BILLING_API_KEY": KEY}


def fault_hits(simulator: str) -> int:
    """How many requests the simulator's faults in force have met (each one reached the billing)."""
    items = requests.get(f"{simulator}/__faults", headers={"X-Api-Key": KEY}, timeout=5).json()["items"]
    return sum(item["hits"] for item in items)


class TestReferenceRestBinding(BindingSuite):
    @pytest.fixture
    def binding(self, simulator):
        binding = RestBinding(str(SPEC), environ(simulator))
        yield binding
        binding.close()

    @pytest.fixture
    def scenario(self):
        return Scenario(subscriber_id="sub-1001", other_subscriber_id="sub-1002", dealer_id="dealer-2001",
                        main_service_id="108842-internet")

    # The kit calls paging "not applicable" to a binding that answers whole lists; this one does
    # (the REST binding gets no paging parameters yet), which is checked here instead of skipped.
    def test_history_in_pages_is_the_whole_history(self, binding, scenario):
        assert binding.paging("history") == frozenset()
        account = self.accounts_of(binding, scenario)[0]
        params = {"account_id": account.id, "date_from": date(2020, 1, 1), "date_to": date(2030, 12, 31)}
        whole = binding.call("history", params)
        assert whole and not isinstance(whole, Page)         # a plain list: every entry, paged by the engine

    def test_a_dealers_subscribers_in_pages_and_searched(self, binding, scenario):
        assert binding.paging("dealer_subscribers") == frozenset()
        whole = binding.call("dealer_subscribers", {"dealer_id": scenario.dealer_id})
        assert whole and not isinstance(whole, Page)


def test_the_demo_cabinet_runs_on_the_reference_billing_unchanged(simulator, make_app, monkeypatch):
    monkeypatch.setenv("BILLING_URL", simulator)
    monkeypatch.setenv("BILLING_API_KEY", KEY)
    app = make_app(binding="rest", binding_options={"spec": str(SPEC)}, demo_users=True)
    client = app.test_client()
    sign_in(client)
    home = page_text(client.get("/"))
    assert "3\u00a0146,10\u00a0₽" in home and "Домашний интернет" in home          # kopecks became roubles
    assert "Информация временно недоступна" not in home
    history = page_text(client.get("/history?date_from=2020-01-01&date_to=2030-12-31"))
    assert "Информация временно недоступна" not in history
    assert client.get("/services/108900-internet").status_code == 404          # demo3's: the engine's check


def test_faults_become_typed_errors_within_the_timeout(simulator, faults):
    binding = RestBinding(str(SPEC), environ(simulator))
    try:
        for mode in ("status500", "malformed_json", "wrong_types", "close_connection"):
            faults("^GET /api/v2/contracts/108842$", mode, times=None)
            with pytest.raises(BillingUnavailable):
                binding.call("account", {"account_id": "108842"})
            requests.delete(f"{simulator}/__faults", headers={"X-Api-Key": KEY}, timeout=5)
            binding.breaker.succeeded()                                         # a fresh start for each mode
        for mode in ("slow", "hang"):
            faults("^GET /api/v2/contracts/108842$", mode, seconds=10)
            # after its 10 s the fault answers (slow) or drops the connection (hang): only the
            # binding's own read timeout of 4 s ends the call with this message
            with pytest.raises(BillingUnavailable, match="did not answer in 4 s"):
                binding.call("account", {"account_id": "108842"})
            assert fault_hits(simulator) == 2                                   # the call and its one retry
            requests.delete(f"{simulator}/__faults", headers={"X-Api-Key": KEY}, timeout=5)
            binding.breaker.succeeded()
        assert binding.call("account", {"account_id": "108842"}).number == "108842"
    finally:
        binding.close()
    refused = RestBinding(str(SPEC), {"BILLING_URL": "http://127.0.0.1:9", "BILLING_API_KEY": KEY})
    with pytest.raises(BillingUnavailable, match="cannot be reached"):
        refused.call("catalog", {})


def test_the_circuit_opens_after_failures_and_closes_when_the_billing_answers(simulator, faults):
    binding = RestBinding(str(SPEC), environ(simulator))
    binding.breaker.reset_seconds = 0.5
    faults("GET /api/v2/offers", "status500")
    for _ in range(3):                                    # up to 2 attempts each; the threshold is 5 failures
        with pytest.raises(BillingUnavailable):
            binding.call("catalog", {})
    # the 5th failure opened the circuit: the third call's retry was not even sent
    assert binding.breaker.state == "open" and fault_hits(simulator) == 5
    with pytest.raises(BillingUnavailable, match="circuit is open"):
        binding.call("catalog", {})
    assert fault_hits(simulator) == 5                      # no waiting on a billing that is down: not called
    requests.delete(f"{simulator}/__faults", headers={"X-Api-Key": KEY}, timeout=5)
    time.sleep(0.6)                                        # the breaker's rule: half-open after reset_seconds
    assert binding.call("catalog", {}) and binding.breaker.state == "closed"
    binding.close()


def test_a_bad_binding_file_lists_every_problem(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("base_url: ${NOWHERE}\noperations:\n  acount: {path: /a, result: x}\n"
                   "  account: {path: '/contracts/{acount_id}', result: '[unclosed'}\n", encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        RestBinding(str(bad), {})
    text = str(caught.value)
    assert "${NOWHERE}: set the environment variable NOWHERE" in text
    assert "'acount' is not an operation of the contract" in text
    assert "invalid JMESPath expression '[unclosed'" in text


def test_a_billing_answering_too_late_degrades_the_page_without_waiting_and_never_errors(
        simulator, faults, make_app, monkeypatch, tmp_path):
    # the binding waits up to 60 s and the billing answers well after the page's 1.5 s, but inside
    # those 60 s: an engine that waited for it would show the services; only one that did not wait
    # can show the page with the services degraded
    spec = tmp_path / "patient.yaml"
    patient = SPEC.read_text(encoding="utf-8").replace("timeout: {connect: 2, read: 4}",
                                                       "timeout: {connect: 2, read: 60}")
    spec.write_text(patient, encoding="utf-8")
    assert "read: 60" in spec.read_text(encoding="utf-8")
    monkeypatch.setenv("BILLING_URL", simulator)
    monkeypatch.setenv("BILLING_API_KEY", KEY)
    app = make_app(binding="rest", binding_options={"spec": str(spec)}, demo_users=True, billing_timeout=1.5)
    client = app.test_client()
    sign_in(client)
    client.get("/")                                                      # the account list is cached now
    faults("/products$", "slow", seconds=30)
    response = client.get("/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Информация временно недоступна" in text and "3\u00a0146,10\u00a0₽" in text   # only services degrade
    assert "Домашний интернет" not in text                       # the late answer was not waited for
    assert fault_hits(simulator) == 1                            # asked once; that answer is still due
    report = client.get("/healthz/bindings").get_json()
    assert report["operations"]["services"]["error_rate"] > 0 and report["circuit"] in ("closed", "open")


def test_a_transfer_whose_answer_is_lost_is_checked_and_never_made_twice(simulator, make_app, monkeypatch):
    """The billing makes the transfer and the connection drops before its answer: the cabinet says
    it is being checked (not "nothing changed"), a second send does not reach the billing, and
    asking again with the same key settles it without moving the money twice."""
    from datetime import timedelta
    from decimal import Decimal

    from engine.assembly.writes import reconcile
    from engine.billing.errors import BillingOutcomeUnknown
    from tests.conftest import action_forms, csrf_token

    monkeypatch.setenv("BILLING_URL", simulator)
    monkeypatch.setenv("BILLING_API_KEY", KEY)
    app = make_app(binding="rest", binding_options={"spec": str(SPEC)}, demo_users=True)
    rt = app.extensions["cabinet"]
    client = app.test_client()
    assert sign_in(client).status_code == 302

    def balances():
        return [rt.binding.call("account", {"account_id": a}).balance for a in ("108843", "108842")]

    before = balances()
    requests.post(f"{simulator}/__faults", json={"match": r"^POST /api/v2/contracts/108843/transfers$",
                                                  "mode": "close_connection", "times": 1, "execute": True},
                  headers={"X-Api-Key": KEY}, timeout=5)
    page = client.get("/transfer?account=108843").get_data(as_text=True)
    form = {**action_forms(page, "transfer")[0], "csrf_token": csrf_token(page), "to_account_id": "108842",
            "amount": "10.00", "_confirmed": "1"}
    sent = client.post("/actions/transfer", data=form)
    assert "биллинг ещё не подтвердил" in page_text(client.get(sent.headers["Location"]))
    assert balances() == [before[0] - Decimal("10.00"), before[1] + Decimal("10.00")]     # the billing did it
    with pytest.raises(BillingOutcomeUnknown):       # what the binding says of a change sent without an answer
        requests.post(f"{simulator}/__faults", json={"match": r"^POST /api/v2/contracts/108843/transfers$",
                                                      "mode": "close_connection", "times": 1, "execute": False},
                      headers={"X-Api-Key": KEY}, timeout=5)
        rt.binding.call("transfer", {"from_account_id": "108843", "to_account_id": "108842",
                                     "amount": Decimal("1.00"), "request_id": uuid.uuid4().hex})
    requests.delete(f"{simulator}/__faults", headers={"X-Api-Key": KEY}, timeout=5)

    client.post("/actions/transfer", data=form)      # sent again: the engine does not ask the billing
    assert reconcile(rt.binding, rt.writes, settle_after=timedelta(0))      # asked again with the same key
    assert "Мы проверили ваш прошлый запрос: он выполнен." in page_text(client.get("/"))
    assert balances() == [before[0] - Decimal("10.00"), before[1] + Decimal("10.00")]


def test_the_billings_own_payment_site_is_a_way_to_pay(simulator, make_app, monkeypatch):
    """The payment screen links to the billing's own payment page (payment_pages); paying there
    credits the account the cabinet shows."""
    monkeypatch.setenv("BILLING_URL", simulator)
    monkeypatch.setenv("BILLING_API_KEY", KEY)
    client = make_app(binding="rest", binding_options={"spec": str(SPEC)}, demo_users=True).test_client()
    sign_in(client)
    page = client.get("/payment?account=108843").get_data(as_text=True)
    assert "Сайт оплаты Демо Телеком" in page_text_of(page) and "Перейти к оплате" in page_text_of(page)
    link = re.search(r'href="(http://127\.0\.0\.1:\d+/pay/108843)"', page)
    assert link, "no link to the billing's payment page"
    before = page_text(client.get("/?account=108843"))
    assert requests.get(link.group(1), timeout=10).status_code == 200
    paid = requests.post(link.group(1), data={"amount": "123.45"}, timeout=10)
    assert paid.status_code == 200 and "Зачислено 123.45" in paid.text
    after = page_text(client.get("/?account=108843"))
    assert before != after
    client.get("/language/en")
    assert "Demo Telecom payment site" in page_text(client.get("/payment?account=108843"))
