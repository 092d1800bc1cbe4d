"""Changes asked of the billing go through the engine's store of writes: one call per idempotency
key, and a change whose answer was lost is shown as being checked, settled by asking again with
the same key, and never reported as "nothing changed"."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from decimal import Decimal

import pytest

from engine.assembly.calls import CallSession
from engine.assembly.writes import perform_write, reconcile
from engine.billing.contract import OPERATIONS
from engine.state import Database
from engine.state.writes import BillingWrites, write_key
from tests.conftest import action_forms, csrf_token, page_text, sign_in
from tests.support.bindings import LostAnswerBilling, RecordingBilling

TRANSFER = OPERATIONS["transfer"]


@pytest.fixture
def writes(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'engine.sqlite'}")
    db.create_all()
    yield BillingWrites(db)
    db.dispose()


@pytest.fixture
def billing(tmp_path):
    binding = RecordingBilling(database_url=f"sqlite:///{tmp_path / 'billing.sqlite'}")
    yield binding
    binding.close()


def calls_of(binding) -> CallSession:
    return CallSession(binding, ThreadPoolExecutor(2), 5.0)


def transfers(binding) -> list[dict]:
    return [params for operation, params in binding.calls if operation == "transfer"]


def test_a_repeated_write_with_the_same_key_reaches_the_billing_once(billing, writes):
    params = {"from_account_id": "108843", "to_account_id": "108842", "amount": Decimal("10.00"),
              "request_id": "key-1"}
    first = perform_write(calls_of(billing), writes, TRANSFER, params, "demo1")
    again = perform_write(calls_of(billing), writes, TRANSFER, dict(params), "demo1")
    assert first.ok and again.ok and again.value == {k: str(v) if isinstance(v, Decimal) else v
                                                     for k, v in first.value.items()}
    assert len(transfers(billing)) == 1
    other = perform_write(calls_of(billing), writes, TRANSFER, {**params, "request_id": "key-2"}, "demo1")
    assert other.ok and len(transfers(billing)) == 2            # another key is another transfer


def test_a_refused_write_is_forgotten_so_it_may_be_tried_again(billing, writes):
    params = {"from_account_id": "108842", "to_account_id": "108843", "amount": Decimal("999999"),
              "request_id": "key-3"}
    refused = perform_write(calls_of(billing), writes, TRANSFER, params, "demo1")
    assert refused.error == "rejected" and refused.reason
    assert writes.get(write_key("transfer", "key-3")) is None
    assert perform_write(calls_of(billing), writes, TRANSFER, params, "demo1").error == "rejected"
    assert len(transfers(billing)) == 2                          # nothing happened: asked again


def balance(binding, account_id: str) -> Decimal:
    return binding.call("account", {"account_id": account_id}).balance


def test_a_lost_answer_is_shown_as_being_checked_and_settles_once(make_app):
    app = make_app(binding="tests.support.bindings:LostAnswerBilling")
    rt = app.extensions["cabinet"]
    binding: LostAnswerBilling = rt.binding
    client = app.test_client()
    assert sign_in(client).status_code == 302
    before = balance(binding, "108843"), balance(binding, "108842")
    page = client.get("/transfer?account=108843").get_data(as_text=True)
    form = {**action_forms(page, "transfer")[0], "csrf_token": csrf_token(page), "to_account_id": "108842",
            "amount": "10.00", "_confirmed": "1"}

    sent = client.post("/actions/transfer", data=form)
    text = page_text(client.get(sent.headers["Location"]))
    assert "биллинг ещё не подтвердил" in text and "не отправляйте" in text
    assert "ничего не изменилось" not in text.lower()
    moved = before[0] - balance(binding, "108843")
    assert moved == Decimal("10.00")                              # the billing did it; the answer was lost

    # sent again: the engine knows it is unsettled and does not ask the billing a second time
    again = client.post("/actions/transfer", data={**form, "_key": form["_key"]})
    assert "биллинг ещё не подтвердил" in page_text(client.get(again.headers["Location"]))
    answer = client.post("/api/v1/actions/transfer", json=form, headers={"X-CSRFToken": form["csrf_token"]})
    assert answer.status_code == 202 and answer.get_json()["status"] == "unknown"      # the JSON API says so too
    assert len(binding.transfers_asked) == 1
    assert "ещё проверяется" in page_text(client.get("/"))

    binding.losing = False                                       # the billing answers again
    assert len(reconcile(binding, rt.writes, settle_after=timedelta(0))) == 1
    assert binding.transfers_asked == [binding.transfers_asked[0]] * 2     # asked again with the same key
    assert page_text(client.get("/")).count("Мы проверили ваш прошлый запрос: он выполнен.") == 1
    assert "проверили" not in page_text(client.get("/"))           # said once
    assert (balance(binding, "108843"), balance(binding, "108842")) == (before[0] - Decimal("10.00"),
                                                                        before[1] + Decimal("10.00"))
    assert reconcile(binding, rt.writes, settle_after=timedelta(0)) == []     # nothing left to settle
