"""Bindings for tests: the demo billing with one operation missing, or recording, failing, slow."""
from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from engine.billing.contract import OWNED_ACCOUNT, BillingBinding, Param, declare
from engine.billing.demo import DemoBilling
from engine.billing.errors import (
    BillingNotFound, BillingRejected, BillingSessionExpired, BillingUnavailable,
)
from engine.billing.records import SignedIn


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


class SessionKeyBilling(BillingBinding):
    """A billing whose subscribers sign in with its own logins and whose every call needs the
    session key it handed out, like the subscriber APIs of many ISP billings: it knows no other
    identity. Its data is the demo billing's (accounts, services, history only).

    Tests end every session key (``expire_sessions``) or change a password (``passwords``)."""

    remote = False
    PEOPLE = {"ivan": ("sub-1001", "Иван Иванов"), "petr": ("sub-1002", "Пётр Сидоров")}

    def __init__(self, **options):
        super().__init__(**options)
        self.data = DemoBilling(**options)
        self.passwords = {"ivan": "ivan-pass", "petr": "petr-pass"}
        self.keys: dict[str, str] = {}            # session key -> subscriber id
        self.signed_out: list[str] = []
        self.renewals = 0

    def reported_id(self, subscriber_id: str) -> str:
        """The subscriber id sign-in reports (the billing's own, here)."""
        return subscriber_id

    def sign_in(self, login: str, password: str) -> SignedIn:
        if login not in self.PEOPLE or self.passwords.get(login) != password:
            raise BillingRejected("Wrong login or password.", "wrong_credentials")
        subscriber_id, name = self.PEOPLE[login]
        key = secrets.token_hex(16)
        self.keys[key] = subscriber_id
        return SignedIn(subscriber_id=self.reported_id(subscriber_id), name=name,
                        credential={"session": key, "login": login, "password": password})

    def renew(self, credential):
        self.renewals += 1
        return self.sign_in(credential["login"], credential["password"]).credential

    def sign_out(self, credential) -> None:
        self.keys.pop(credential["session"], None)
        self.signed_out.append(credential["login"])

    def expire_sessions(self) -> None:
        self.keys.clear()

    def _own(self, credential) -> str:
        subscriber_id = self.keys.get(credential["session"])
        if subscriber_id is None:
            raise BillingSessionExpired("unknown session key")
        return subscriber_id

    def _own_account(self, account_id: str, credential) -> None:
        if account_id not in {a.id for a in self.data.accounts(self._own(credential))}:
            raise BillingNotFound(account_id)

    def accounts(self, subscriber_id: str, credential):
        own = self._own(credential)
        return self.data.accounts(own) if subscriber_id == self.reported_id(own) else []

    def account(self, account_id: str, credential):
        self._own_account(account_id, credential)
        return self.data.account(account_id)

    def services(self, account_id: str, credential):
        self._own_account(account_id, credential)
        return self.data.services(account_id)

    def service(self, service_id: str, credential):
        self._own(credential)
        service = self.data.service(service_id)
        self._own_account(service.account_id, credential)
        return service

    def history(self, account_id: str, date_from, date_to, credential):
        self._own_account(account_id, credential)
        return self.data.history(account_id, date_from, date_to)

    def close(self) -> None:
        self.data.close()


class SameIdBilling(SessionKeyBilling):
    """Reports one subscriber id for everybody at sign-in (a binding's mistake): only the
    credential tells the subscribers apart, and no cache may mix them up."""

    def reported_id(self, subscriber_id: str) -> str:
        return "sub-everyone"


@dataclass(frozen=True)
class RentedDevice:
    """What EquipmentBilling's own operation returns."""

    id: str
    name: str
    monthly_fee: Decimal
    since: date | None = None


class EquipmentBilling(DemoBilling):
    """The demo billing with an operation of its own beyond the contract: the equipment an account
    rents (declared, so schemas may use it and the engine checks its account like any other)."""

    declared = {"equipment": declare("equipment", Param("account_id", owned=OWNED_ACCOUNT),
                                     returns=Sequence[RentedDevice], doc="Equipment the account rents.")}

    def equipment(self, account_id: str) -> Sequence[RentedDevice]:
        self.account(account_id)                   # an unknown account is not found
        return [RentedDevice(f"{account_id}-router", "Wi-Fi роутер", Decimal("150.00"), date(2024, 5, 1)),
                RentedDevice(f"{account_id}-stb", "ТВ-приставка", Decimal("99.00"))]
