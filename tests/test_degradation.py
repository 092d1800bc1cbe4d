"""A billing operation that fails or hangs degrades only the sections that use it."""
from __future__ import annotations

import threading
import time

from tests.conftest import page_text, sign_in

RECORDING = "tests.support.bindings:RecordingBilling"


def _signed_in(make_app, **overrides):
    app = make_app(binding=RECORDING, **overrides)
    client = app.test_client()
    sign_in(client)
    return app, client, app.extensions["cabinet"].binding


def test_a_failing_operation_degrades_only_its_sections(make_app):
    app, client, binding = _signed_in(make_app)
    binding.failing.add("services")
    response = client.get("/")
    text = page_text(response)
    assert response.status_code == 200
    assert "3\u00a0146,10\u00a0₽" in text                                  # the balance card still renders
    assert "Информация временно недоступна" in text                         # the services list says why
    assert "Домашний интернет" not in text
    data = client.get("/api/v1/screens/home").get_json()
    states = {s["id"]: s["state"] for s in data["sections"]}
    assert states == {"balance": "ok", "services": "degraded", "more": "ok"}


def test_an_operation_over_its_timeout_degrades_its_sections_without_waiting(make_app):
    # 1 s: the fast operations must finish inside it even on a loaded machine
    app, client, binding = _signed_in(make_app, billing_timeout=1.0)
    release = threading.Event()
    binding.hanging["account"] = release          # held until the page has come back
    try:
        response = client.get("/")
        # the account call is still held now: the page could only come back without waiting for it
        # (an engine that waited would get the balance once the hold gives up, and show it)
        assert binding.held == ["account"]
    finally:
        release.set()
    text = page_text(response)
    assert response.status_code == 200
    assert "Домашний интернет" in text                                     # the services list renders
    assert "Информация временно недоступна" in text                         # the balance card degrades
    assert "3\u00a0146,10\u00a0₽" not in text
    _until(lambda: binding.held == [], "the released account call answering")   # before the app closes


def _until(ready, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.02)


def test_billing_down_entirely_still_gives_a_page(make_app):
    app, client, binding = _signed_in(make_app)
    binding.failing.update({"accounts", "account", "services"})
    app.extensions["cabinet"].accounts_cache.discard("sub-1001")
    response = client.get("/")
    assert response.status_code == 200
    assert page_text(response).count("Информация временно недоступна") == 2


def test_a_bug_in_a_binding_is_not_an_error_page(make_app):
    app, client, binding = _signed_in(make_app)

    def broken(account_id):
        raise ZeroDivisionError("a bug")
    binding.services = broken
    response = client.get("/")
    assert response.status_code == 200 and "Информация временно недоступна" in page_text(response)


def test_identical_calls_in_one_request_run_once(make_app):
    app, client, binding = _signed_in(make_app)
    client.get("/")
    binding.calls.clear()
    client.get("/services/108842-internet")
    operations = sorted(op for op, _ in binding.calls)
    # the ownership check needs the services of both accounts; the page's own calls are not repeated
    # (the account: its balance bounds the service's top-up form)
    assert operations == ["account", "service", "services", "services"], operations
    assert operations.count("accounts") == 0          # cached since the first page


def test_a_bad_value_in_the_address_degrades_with_its_own_message(signed_in):
    response = signed_in.get("/history?date_from=yesterday")
    assert response.status_code == 200
    assert "В адресе страницы неверное значение" in page_text(response)
    good = page_text(signed_in.get("/history?date_from=2024-11-01&date_to=2024-11-20"))   # any valid period
    assert "С 1 нояб. 2024" in good and "по 20 нояб. 2024" in good


def test_odd_answers_from_a_billing_degrade_instead_of_failing(make_app):
    app, client, binding = _signed_in(make_app)
    app.extensions["cabinet"].accounts_cache.discard("sub-1001")
    real_accounts = binding.accounts
    binding.accounts = lambda subscriber_id: real_accounts(subscriber_id)[0]      # one record, not a list
    response = client.get("/")
    assert response.status_code == 200 and "Информация временно недоступна" in page_text(response)

    binding.accounts = real_accounts
    real_account = binding.account

    def odd_account(account_id):
        import dataclasses
        from datetime import datetime, timezone, timedelta
        record = real_account(account_id)
        due = datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5)))   # beyond the calendar in Moscow
        return dataclasses.replace(record, recommended_payment=dataclasses.replace(
            record.recommended_payment, due_date=due))
    binding.account = odd_account
    response = client.get("/")
    assert response.status_code == 200 and "9999" in page_text(response)


def test_bindings_health_reports_each_operation(make_app):
    app, client, binding = _signed_in(make_app)
    client.get("/")
    binding.failing.add("services")
    client.get("/")
    report = client.get("/healthz/bindings").get_json()
    assert report["binding"] == RECORDING and report["state"] == "degraded"
    assert report["operations"]["services"]["error_rate"] == 0.5
    assert report["operations"]["account"]["error_rate"] == 0.0 and report["operations"]["account"]["latency_ms"] >= 0
