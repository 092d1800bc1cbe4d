"""The payments ledger on PostgreSQL: one payment per form, one credit per payment, whatever
replays, crashes or concurrent processes do."""
from __future__ import annotations

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest

from engine.billing.demo import DemoBilling
from engine.payments.gateway import GatewaySession, Notification, PaymentStatus
from engine.payments.ledger import CREDITED, DECLINED, REDIRECTED, SUCCEEDED, Ledger
from engine.state import Database

AMOUNT = Decimal("3146.10")


@pytest.fixture
def ledger(fresh_postgres_url):
    db = Database(fresh_postgres_url)
    db.migrate()
    yield Ledger(db, "sandbox")
    db.dispose()


@pytest.fixture
def billing(tmp_path):
    binding = DemoBilling(f"sqlite:///{tmp_path / 'billing.sqlite'}")
    yield binding
    binding.close()


def register_with(billing):
    return lambda account_id, amount, payment_id: billing.register_payment(account_id, amount, payment_id).billing_reference


def balance(billing) -> Decimal:
    return billing.account("108842").balance


def event(payment, status=PaymentStatus.SUCCEEDED, event_id="ev-1", amount=AMOUNT) -> Notification:
    return Notification(gateway_payment_id="gw-1", payment_id=payment.id, status=status, amount=amount,
                        currency="RUB", card_mask="4111 11•• •••• 1111", event_id=event_id)


def opened(ledger, key="form-1"):
    payment = ledger.open(key=key, login="demo1", account_id="108842", amount=AMOUNT, currency="RUB")
    return ledger.attach(payment.id, GatewaySession("gw-1", "http://127.0.0.1:1/pay/gw-1", PaymentStatus.PENDING))


def test_a_double_click_opens_one_payment(ledger):
    first, second = opened(ledger), opened(ledger)
    assert first.id == second.id and first.status == REDIRECTED


def test_a_notification_replayed_five_times_credits_once(ledger, billing):
    payment = opened(ledger)
    before = balance(billing)
    changes = [ledger.apply(event(payment))[1] for _ in range(5)]
    assert changes == [True, False, False, False, False]
    for _ in range(3):
        ledger.credit(payment.id, register_with(billing))
    assert ledger.get(payment.id).status == CREDITED
    assert balance(billing) == before + AMOUNT


def test_concurrent_duplicates_change_the_payment_once(ledger):
    payment = opened(ledger)
    results, barrier = [], threading.Barrier(6)

    def deliver():
        barrier.wait()
        results.append(ledger.apply(event(payment))[1])
    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1 and ledger.get(payment.id).status == SUCCEEDED


def test_a_late_decline_does_not_undo_a_success_and_a_wrong_amount_is_ignored(ledger):
    payment = opened(ledger)
    assert ledger.apply(event(payment, amount=Decimal("1.00"), event_id="forged"))[1] is False
    assert ledger.get(payment.id).status == REDIRECTED
    ledger.apply(event(payment))
    assert ledger.apply(event(payment, PaymentStatus.DECLINED, "ev-2"))[1] is False
    assert ledger.get(payment.id).status == SUCCEEDED


def test_a_decline_is_final_and_never_credited(ledger, billing):
    payment = opened(ledger)
    ledger.apply(event(payment, PaymentStatus.DECLINED))
    before = balance(billing)
    assert ledger.credit(payment.id, register_with(billing)).status == DECLINED
    assert balance(billing) == before


def test_billing_down_then_back_credits_exactly_once(ledger, billing):
    payment = opened(ledger)
    ledger.apply(event(payment))
    before = balance(billing)

    def down(*_):
        raise ConnectionError("billing is down")
    view = ledger.credit(payment.id, down)
    assert view.status == SUCCEEDED and ledger.due_credits() == []            # a retry is scheduled, later
    with ledger.db.session() as session:                                       # ... and its time comes
        from engine.state.payments import Payment
        session.get(Payment, payment.id).next_credit_at = None
    assert ledger.due_credits() == [payment.id]
    ledger.credit(payment.id, register_with(billing))
    ledger.credit(payment.id, register_with(billing))
    assert balance(billing) == before + AMOUNT and ledger.get(payment.id).status == CREDITED


def test_killed_after_the_notification_the_reconciliation_credits_once(ledger, billing):
    from engine.payments.reconcile import reconcile

    payment = opened(ledger)
    ledger.apply(event(payment))                   # ... and the process died here, before crediting
    before = balance(billing)
    restarted = Ledger(Database(ledger.db.engine.url.render_as_string(hide_password=False)), "sandbox")
    settled = reconcile(restarted, gateway=None, register=register_with(billing), ask_after=timedelta(days=1))
    reconcile(restarted, gateway=None, register=register_with(billing), ask_after=timedelta(days=1))
    assert settled.credited == 1 and balance(billing) == before + AMOUNT
    restarted.db.dispose()
    history = billing.history("108842", date.today() - timedelta(days=1), date.today() + timedelta(days=1))
    assert sum(1 for h in history if h.amount == AMOUNT) == 1
