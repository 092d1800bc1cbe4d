"""Bindings for tests: the demo billing with one operation missing, or recording, failing, slow."""
from __future__ import annotations

import threading
import time

from engine.billing.contract import BillingBinding
from engine.billing.demo import DemoBilling
from engine.billing.errors import BillingUnavailable


class NoBonusesBilling(DemoBilling):
    """The demo billing without the bonuses operation (a billing that lacks a capability)."""

    bonuses = BillingBinding.bonuses   # the contract's own method again: not a capability


#: the longest an operation held on an event waits for its release; then it answers normally, so an
#: engine that waited for it shows the data it should not have had (and a broken test does not hang)
HOLD_LIMIT = 60.0


class RecordingBilling(DemoBilling):
    """The demo billing that records every call, and can be told to fail or hang per operation.
    It stands for a billing across the network, so its calls run in worker threads with a time limit.

    ``hanging[operation]`` is a number of seconds to sleep, or a ``threading.Event``: the operation
    is held until the test sets it. ``held`` lists the held operations that have not answered yet."""

    remote = True

    def __init__(self, **options):
        super().__init__(**options)
        self.calls: list[tuple[str, dict]] = []
        self.failing: set[str] = set()
        self.hanging: dict[str, float | threading.Event] = {}
        self.held: list[str] = []
        self.lock = threading.Lock()

    def call(self, operation, params):
        with self.lock:
            self.calls.append((operation, dict(params)))
        if operation in self.failing:
            raise BillingUnavailable(f"{operation} is down (test)")
        hang = self.hanging.get(operation)
        if isinstance(hang, threading.Event):
            with self.lock:
                self.held.append(operation)
            try:
                hang.wait(HOLD_LIMIT)
                return super().call(operation, params)
            finally:
                with self.lock:
                    self.held.remove(operation)
        if hang is not None:
            time.sleep(hang)
        return super().call(operation, params)

    def called_with(self, value) -> list[tuple[str, dict]]:
        return [(op, p) for op, p in self.calls if str(value) in map(str, p.values())]


class BrokenBilling(DemoBilling):
    """A billing that breaks the contract in three ways, for the conformance kit to name."""

    def account(self, account_id):
        if account_id not in ("108842", "108843", "108900"):
            return super().account("108842")                     # an unknown id answered with another account
        return super().account(account_id)

    def register_payment(self, account_id, amount, payment_id):
        return super().register_payment(account_id, amount, payment_id + str(time.monotonic_ns()))  # twice = twice

    def tariffs(self, service_id):
        return [offer for offer in super().tariffs(service_id) if not offer.current]   # no current tariff


class EmptyBilling(BillingBinding):
    """A binding that provides nothing: it must not pass the conformance kit."""

    remote = False


class OneLoginBilling(DemoBilling):
    """Answers every subscriber with the accounts of one configured login, as a binding with one
    shared billing credential does."""

    def accounts(self, subscriber_id):
        return super().accounts("sub-1001")


class NaiveTimesBilling(DemoBilling):
    """Gives history times without their time zone."""

    def history(self, account_id, date_from, date_to, limit=None, offset=0):
        from dataclasses import replace
        entries = super().history(account_id, date_from, date_to)
        return [replace(entry, at=entry.at.replace(tzinfo=None)) for entry in entries]


class LostAnswerBilling(DemoBilling):
    """Carries out a transfer and then loses its answer, as when the connection drops after the
    billing did the work, while ``losing`` is set; counts the transfers it was asked for."""

    losing = True

    def __init__(self, **options):
        super().__init__(**options)
        self.transfers_asked: list[str] = []

    def transfer(self, from_account_id, to_account_id, amount, request_id):
        from engine.billing.errors import BillingOutcomeUnknown
        self.transfers_asked.append(request_id)
        receipt = super().transfer(from_account_id, to_account_id, amount, request_id)
        if self.losing:
            raise BillingOutcomeUnknown("transfer: the connection dropped after the request was sent")
        return receipt


class SmallBilling(DemoBilling):
    """The demo billing without its shop, bonuses and transfers: a smaller billing's binding."""

    catalog = BillingBinding.catalog
    order = BillingBinding.order
    orders = BillingBinding.orders
    cancel_order = BillingBinding.cancel_order
    bonuses = BillingBinding.bonuses
    transfer = BillingBinding.transfer


class NoSinceBilling(DemoBilling):
    """Keeps no date of when a suspension began, as many billings do not."""

    def service(self, service_id):
        from dataclasses import replace
        service = super().service(service_id)
        if service.suspension is None:
            return service
        return replace(service, suspension=replace(service.suspension, since=None))


class PromisedFeeBilling(DemoBilling):
    """Charges for a promised payment and states a condition of its own."""

    def promised_payment_terms(self, account_id):
        from dataclasses import replace
        from decimal import Decimal
        terms = super().promised_payment_terms(account_id)
        return replace(terms, fee=Decimal("25.00"), conditions="Только для физических лиц")


class LocalizedBilling(DemoBilling):
    """Keeps its service names in two languages and answers in the one asked for."""

    ENGLISH = {"Домашний интернет": "Home internet", "Домашний телефон": "Home phone"}

    def services(self, account_id, locale=None):
        from dataclasses import replace
        services = super().services(account_id)
        if locale != "en":
            return services
        return [replace(s, name=self.ENGLISH.get(s.name, s.name)) for s in services]
