"""Autopay's scheduler core: a rule is charged once a day from its saved card, whatever number of
engine processes run it at once (PostgreSQL, a real sandbox acquirer process)."""
from __future__ import annotations

import re
import threading
import uuid
from datetime import date
from decimal import Decimal

import pytest
import requests

from engine.billing.demo import DemoBilling
from engine.payments.autopay import DUE_DATE, AccountState, Autopay
from engine.payments.gateway import PaymentRequest, PaymentStatus
from engine.payments.ledger import CREDITED, Ledger
from engine.payments.sandbox import SandboxGateway
from engine.state import Database
from tests.support.sandbox import sandbox_process

SECRET = f"autopay-test-{uuid.uuid4().hex}"
DEAD_END = "http://127.0.0.1:9/notify"      # nobody listens: these tests ask the gateway themselves


@pytest.fixture(scope="module")
def acquirer(tmp_path_factory):
    with sandbox_process(tmp_path_factory.mktemp("autopay"), SECRET) as base:
        yield base


def saved_card(gateway) -> tuple[str, str]:
    """A card saved with the payer's consent on the hosted page: (token, mask)."""
    started = gateway.create_payment(PaymentRequest(
        payment_id=uuid.uuid4().hex, amount=Decimal("10.00"), currency="RUB", description="Привязка карты",
        return_url=DEAD_END, notify_url=DEAD_END, save_card=True))
    page = requests.get(started.redirect_url, timeout=10).text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    requests.post(started.redirect_url, allow_redirects=False, timeout=10, data={
        "nonce": nonce, "card_number": "4111 1111 1111 1111", "expiry": "12/39", "cvc": "123",
        "holder": "IVAN IVANOV", "save_card": "yes"})
    status = gateway.payment_status(started.gateway_payment_id)
    assert status.status == PaymentStatus.SUCCEEDED and status.card_token
    return status.card_token, status.card_mask


def test_two_processes_charge_each_rule_once(fresh_postgres_url, acquirer, tmp_path):
    billing = DemoBilling(f"sqlite:///{tmp_path / 'billing.sqlite'}")
    register = lambda account, amount, pid: billing.register_payment(account, amount, pid).billing_reference  # noqa: E731
    gateways, databases = [], []

    def engine_process() -> Autopay:
        db = Database(fresh_postgres_url)
        db.migrate()
        gateway = SandboxGateway(url=acquirer, secret=SECRET)
        databases.append(db)
        gateways.append(gateway)
        return Autopay(db, Ledger(db, "sandbox"), gateway, DEAD_END, "RUB")

    first, second = engine_process(), engine_process()
    token, mask = saved_card(gateways[0])
    first.save(login="demo1", account_id="108842", card_token=token, card_mask=mask,
               threshold=Decimal("0.00"), amount=Decimal("700.00"))
    before = billing.account("108842").balance                           # -412.50: below the threshold
    today, results, barrier = date.today(), [], threading.Barrier(2)

    def run(autopay):
        barrier.wait()
        results.extend(autopay.run(today, lambda account: AccountState(billing.account(account).balance), register))
    threads = [threading.Thread(target=run, args=(a,)) for a in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [p.status for p in results] == [CREDITED]
    assert billing.account("108842").balance == before + Decimal("700.00")
    assert first.run(today, lambda account: AccountState(Decimal("-1")), register) == []   # once a day
    first.turn_off("108842")
    assert first.rule("108842").active is False
    for gateway in gateways:
        gateway.close()
    for db in databases:
        db.dispose()
    billing.close()


def test_a_balance_above_the_threshold_charges_nothing(fresh_postgres_url, acquirer):
    db = Database(fresh_postgres_url)
    db.migrate()
    gateway = SandboxGateway(url=acquirer, secret=SECRET)
    autopay = Autopay(db, Ledger(db, "sandbox"), gateway, DEAD_END, "RUB")
    autopay.save(login="demo1", account_id="108843", card_token="tok", card_mask="4111 11•• •••• 1111",
                 threshold=Decimal("100.00"), amount=Decimal("500.00"))
    assert autopay.run(date.today(), lambda account: AccountState(Decimal("1240.00")), lambda *a: "x") == []
    assert autopay.rule("108843").active
    gateway.close()
    db.dispose()


def test_a_due_date_rule_charges_on_the_recommended_payments_day_only(fresh_postgres_url, acquirer, tmp_path):
    billing = DemoBilling(f"sqlite:///{tmp_path / 'billing.sqlite'}")
    db = Database(fresh_postgres_url)
    db.migrate()
    gateway = SandboxGateway(url=acquirer, secret=SECRET)
    autopay = Autopay(db, Ledger(db, "sandbox"), gateway, DEAD_END, "RUB")
    token, mask = saved_card(gateway)
    autopay.save(login="demo1", account_id="108842", card_token=token, card_mask=mask, threshold=None,
                 amount=Decimal("3146.10"), trigger=DUE_DATE)
    due = date(2026, 12, 5)
    rich = lambda account: AccountState(Decimal("9000.00"), due)            # noqa: E731  the balance is no matter
    register = lambda account, amount, pid: billing.register_payment(account, amount, pid).billing_reference  # noqa: E731
    assert autopay.run(date(2026, 12, 4), rich, register) == []
    [payment] = autopay.run(due, rich, register)
    assert payment.status == CREDITED and payment.amount == Decimal("3146.10")
    assert autopay.run(due, rich, register) == []
    gateway.close()
    db.dispose()
    billing.close()
