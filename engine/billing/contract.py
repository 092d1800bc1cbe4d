"""The billing contract: the operations an implementer provides.

A binding subclasses ``BillingBinding`` and overrides the operations its billing supports; its
``capabilities`` are exactly the operations it overrides, so a capability can never be claimed
without code behind it. A cabinet schema that uses an operation outside the capabilities fails
validation at load time.

``OPERATIONS`` describes each operation's parameters for the engine: their types (to coerce form
input), which ones name an account or a service (the engine checks those belong to the signed-in
user before the binding is called), and which ones the engine fills itself (the user's own
subscriber or dealer id, an idempotency key).

Operations marked ``pageable`` return long lists (``history``, ``dealer_subscribers``). The engine
fills their paging parameters itself (``limit``, ``offset`` and, where the billing can search,
``search``) when a list section shows one page of them, and only for bindings whose method takes
them (``BillingBinding.paging``); a binding then returns a ``records.Page``. A schema never
writes them, and a binding that does not take them is called as before and its whole list paged
by the engine.

Other ids a form may name — an order, a catalog item, a tariff — come with the account or service
they belong to, which the engine has checked; a binding must look them up within that account or
service (``cancel_order(account_id, order_id)`` refuses an order of another account with
``BillingNotFound``).
"""
from __future__ import annotations

import inspect
import typing
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Mapping, NoReturn, Sequence

from .credential import Credential
from .errors import BillingSessionExpired, OperationNotSupported
from .records import (
    Account, ActionResult, BlockTerms, BonusBalance, BonusProgramme, CatalogItem, DealerOrderStats, DealerSubscriber,
    HistoryEntry, Order, PaymentPage, PaymentReceipt, PromisedPaymentTerms, Requisites, Service, SignedIn, TariffOffer,
    TransferReceipt, Usage,
)

# What a parameter names, for the engine's ownership check.
OWNED_ACCOUNT = "account"
OWNED_SERVICE = "service"
# Parameters the engine fills and a schema never sets.
FROM_SUBSCRIBER = "subscriber"     # the signed-in user's subscriber id
FROM_DEALER = "dealer"             # the signed-in user's dealer id
IDEMPOTENCY_KEY = "idempotency"    # one key per submitted form: a resubmission repeats no effect
PAGING = "paging"                  # limit / offset / search of the page a list section shows


@dataclass(frozen=True)
class Param:
    name: str
    type: str = "str"               # str | int | decimal | date
    owned: str | None = None        # OWNED_ACCOUNT | OWNED_SERVICE
    filled_by_engine: str | None = None
    required: bool = True


@dataclass(frozen=True)
class Operation:
    name: str
    params: tuple[Param, ...]
    mutation: bool = False          # changes state: only from a POSTed action, never from a screen's data
    doc: str = ""
    #: returns a long list that a billing can give a page at a time (limit, offset; maybe search)
    pageable: bool = False
    #: what it returns, for an operation a binding declares itself (the contract's: its annotations)
    returns: Any = None

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    @property
    def paging_params(self) -> frozenset[str]:
        """The paging parameters the contract gives this operation (``limit``, ``offset``, ``search``)."""
        return frozenset(p.name for p in self.params if p.filled_by_engine == PAGING)

    @property
    def schema_params(self) -> tuple[Param, ...]:
        """Parameters a schema must provide (the rest the engine fills)."""
        return tuple(p for p in self.params if p.filled_by_engine is None)


def declare(name: str, *params: Param, returns: Any, mutation: bool = False, doc: str = "") -> Operation:
    """An operation a binding offers beyond the contract (a mobile operator's usage by number,
    rented equipment): its parameters as the contract's are written (``Param``: owned ids are
    checked by the engine, ``filled_by_engine`` ones filled by it), and what it returns — a record
    class (a frozen dataclass) or ``Sequence[Record]``. Schemas use it like a contract operation
    and it is checked the same way. List it in the binding's ``declared``."""
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"{name!r} cannot name an operation: use lower_case_words")
    if name in OPERATIONS:
        raise ValueError(f"{name!r} is an operation of the contract already: implement it, do not declare it")
    return Operation(name, tuple(params), mutation, doc, returns=returns)


def _op(name: str, *params: Param, mutation: bool = False, doc: str = "",
        pageable: bool = False) -> tuple[str, Operation]:
    return name, Operation(name, tuple(params), mutation, doc, pageable)


_ACCOUNT = Param("account_id", owned=OWNED_ACCOUNT)
_SERVICE = Param("service_id", owned=OWNED_SERVICE)
_KEY = Param("request_id", filled_by_engine=IDEMPOTENCY_KEY)
# never required: without them a binding returns the whole list
_LIMIT = Param("limit", "int", filled_by_engine=PAGING, required=False)
_OFFSET = Param("offset", "int", filled_by_engine=PAGING, required=False)
_SEARCH = Param("search", filled_by_engine=PAGING, required=False)

OPERATIONS: dict[str, Operation] = dict([
    _op("accounts", Param("subscriber_id", filled_by_engine=FROM_SUBSCRIBER),
        doc="Personal accounts of a subscriber."),
    _op("account", _ACCOUNT, doc="Balance and recommended payment of one account."),
    _op("services", _ACCOUNT, doc="Services of an account with status and suspension reason."),
    _op("service", _SERVICE, doc="One service in detail."),
    _op("top_up_service", _ACCOUNT, _SERVICE, Param("amount", "decimal"), _KEY, mutation=True,
        doc="Move money from the account's balance to the balance of one of its services; refuse a service "
            "without a balance of its own and an amount the account's balance does not cover."),
    _op("tariffs", _SERVICE, doc="Tariffs a service may move to, the current one included."),
    _op("change_tariff", _SERVICE, Param("tariff_id"), _KEY, mutation=True),
    _op("disconnect_service", _SERVICE, _KEY, mutation=True,
        doc="End a service the subscriber no longer wants, from the date the billing sets (effective_date); "
            "refuse with the reason a service they may not end (the account's main one, a closed one)."),
    _op("block_terms", _ACCOUNT, doc="Conditions of a voluntary block."),
    _op("block_services", _ACCOUNT, Param("days", "int"), _KEY, mutation=True),
    _op("schedule_block", _ACCOUNT, Param("date_from", "date"), Param("date_to", "date"), _KEY, mutation=True,
        doc="Block the account's services for a period that starts later, both ends included (a planned "
            "change of kind block until its first day); refuse a period the terms do not allow."),
    _op("unblock_services", _ACCOUNT, _KEY, mutation=True,
        doc="End the account's voluntary block, or cancel one scheduled that has not started."),
    _op("history", _ACCOUNT, Param("date_from", "date"), Param("date_to", "date"), _LIMIT, _OFFSET, pageable=True,
        doc="Charges and payments in a period, both ends included, newest first."),
    _op("usage", _ACCOUNT, Param("date_from", "date"), Param("date_to", "date"),
        doc="Usage detail of a period, both ends included: calls, messages, traffic (newest first) and "
            "what is left of the account's packages now."),
    _op("promised_payment_terms", _ACCOUNT),
    _op("activate_promised_payment", _ACCOUNT, _KEY, mutation=True),
    _op("catalog", doc="Services and equipment on sale."),
    _op("order", _ACCOUNT, Param("item_id"), _KEY, mutation=True),
    _op("orders", _ACCOUNT),
    _op("cancel_order", _ACCOUNT, Param("order_id"), _KEY, mutation=True,
        doc="Cancel an order while the billing allows it (refuse with the reason otherwise)."),
    _op("payment_pages", _ACCOUNT, doc="The billing's own payment pages for an account (its payment systems): "
                                      "the cabinet links to them."),
    _op("register_payment", _ACCOUNT, Param("amount", "decimal"), Param("payment_id"), mutation=True,
        doc="Credit a payment the engine received; the same payment_id twice credits once."),
    _op("requisites", _ACCOUNT),
    _op("update_requisites", _ACCOUNT, Param("payer_name"), Param("email", required=False),
        Param("phone", required=False), Param("postal_address", required=False), _KEY, mutation=True),
    _op("transfer", Param("from_account_id", owned=OWNED_ACCOUNT), Param("to_account_id", owned=OWNED_ACCOUNT),
        Param("amount", "decimal"), _KEY, mutation=True),
    _op("bonuses", _ACCOUNT, doc="The account's points in its current bonus programme."),
    _op("bonus_programmes", _ACCOUNT, doc="The bonus programmes the operator offers, with their rewards: which one "
                                          "the account is in and its points in each."),
    _op("join_bonus_programme", _ACCOUNT, Param("programme_id"), _KEY, mutation=True,
        doc="Move the account into a programme, leaving the one it is in; refuse one it is in already."),
    _op("spend_bonus_points", _ACCOUNT, Param("reward_id"), _KEY, mutation=True,
        doc="Exchange points of the account's current programme for one of its rewards; refuse a reward "
            "the points do not cover or one of another programme."),
    _op("dealer_subscribers", Param("dealer_id", filled_by_engine=FROM_DEALER), _LIMIT, _OFFSET, _SEARCH,
        pageable=True, doc="A dealer's subscribers, newest first; search matches the name, phone number or "
                           "contract."),
    _op("dealer_orders", Param("dealer_id", filled_by_engine=FROM_DEALER)),
])


class BillingBinding:
    """Base class of bindings. Override the operations your billing supports.

    Every method may raise ``BillingUnavailable``, ``BillingRejected`` or ``BillingNotFound``.
    Methods are called from worker threads, concurrently: keep them thread-safe.
    """

    #: marshmallow schema of the binding's options (None: takes no options)
    options_schema: ClassVar[Any] = None

    #: operations beyond the contract, by name (``declare``); each needs a method of that name
    declared: ClassVar[Mapping[str, Operation]] = {}

    #: True when calls wait on a network or another process: the engine then runs a screen's
    #: calls concurrently in worker threads, each with a time limit. An in-process binding whose
    #: calls only compute (remote = False) is called directly: threads would buy it no speed under
    #: the GIL and cost CPU, and it must not block.
    remote: bool = True

    def __init__(self, **options: Any):
        self.options = options

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities_of(type(self))

    @property
    def operations(self) -> Mapping[str, Operation]:
        """Every operation a schema may name with this binding: the contract's and its own."""
        return operations_of(type(self))

    def result_type(self, operation: str) -> Any:
        """What ``operation`` returns: a declared one's ``returns``, else the contract's annotation."""
        declared = self.operations.get(operation)
        if declared is not None and declared.returns is not None:
            return declared.returns
        return contract_result_type(operation)

    def paging(self, operation: str) -> frozenset[str]:
        """The paging parameters (``limit``, ``offset``, ``search``) this binding takes for
        ``operation``; empty when it always returns the whole list. The engine fills only these.
        A Python binding's are the ones its own method names (like ``capabilities``, never claimed
        without code behind them)."""
        return paging_of(type(self), operation)

    def takes_locale(self, operation: str) -> bool:
        """Whether this binding's ``operation`` takes the subscriber's ``locale`` (``ru``, ``en`` ...),
        so a billing that keeps its texts (service names, reasons, refusals) in several languages
        answers in the subscriber's. A Python binding takes it where its method names a ``locale``
        parameter; the engine gives it only there."""
        return locale_of(type(self), operation)

    def call(self, operation: str, params: dict[str, Any]) -> Any:
        if operation not in self.capabilities:
            raise OperationNotSupported(f"the billing binding does not provide {operation!r}")
        return getattr(self, operation)(**params)

    def settle(self, operation: str, params: dict[str, Any]) -> Any:
        """What became of a change whose answer was lost (``BillingOutcomeUnknown``): its result if
        the billing made it, after making it now if it did not. By default the change is sent again
        with the same ``request_id``, which a billing keeping the contract answers with what the
        first request did. A billing that repeats or refuses a repeated change (it keeps no keys)
        needs a status query instead: override this (the declarative binding: ``settle:``)."""
        return self.call(operation, params)

    def close(self) -> None:
        """Release connections; called when the app shuts down."""

    # --- identity -----------------------------------------------------------------------------
    def resolve_subscriber(self, login: str) -> str | None:
        """The billing's subscriber id for a login, or None. Used to link sign-in to billing."""
        return None

    # --- subscribers signed in by the billing (CABINET_SIGN_IN=billing) ---------------------------
    def sign_in(self, login: str, password: str) -> SignedIn:
        """Check a subscriber's login and password with the billing: who they are and the
        credential the binding needs to act for them. Raise ``BillingRejected`` for a wrong login
        or password, ``BillingUnavailable`` when the billing cannot tell."""
        self._unsupported("sign_in")

    def renew(self, credential: Credential) -> Mapping[str, str]:
        """A fresh credential for one the billing stopped taking (``BillingSessionExpired``):
        sign in again with what the credential keeps. Raise ``BillingRejected`` when that is
        refused too (the password changed): the subscriber then signs in again."""
        raise BillingSessionExpired("the binding cannot renew a subscriber's session")

    def sign_out(self, credential: Credential) -> None:
        """Tell the billing a subscriber signed out (end its session key); nothing by default."""

    @property
    def signs_in(self) -> bool:
        """Whether the billing itself checks subscribers' passwords (``sign_in`` is provided)."""
        return type(self).sign_in is not BillingBinding.sign_in

    @property
    def per_subscriber(self) -> bool:
        """Whether calls act with the signed-in subscriber's own credential (the billing knows no
        other identity), rather than one credential of the binding's for everybody. A Python
        binding is when one of its operations names a ``credential`` parameter."""
        return any(self.takes_credential(name) for name in self.capabilities)

    def takes_credential(self, operation: str) -> bool:
        """Whether ``operation`` is given the signed-in subscriber's ``credential`` (a Python
        binding: where its method names that parameter)."""
        return "credential" in named_params(type(self), operation)

    # --- operations (see OPERATIONS for parameters) ---------------------------------------------
    def _unsupported(self, name: str) -> NoReturn:
        raise OperationNotSupported(f"the billing binding does not provide {name!r}")

    def accounts(self, subscriber_id: str) -> Sequence[Account]:
        self._unsupported("accounts")

    def account(self, account_id: str) -> Account:
        self._unsupported("account")

    def services(self, account_id: str) -> Sequence[Service]:
        self._unsupported("services")

    def service(self, service_id: str) -> Service:
        self._unsupported("service")

    def top_up_service(self, account_id: str, service_id: str, amount: Decimal, request_id: str) -> ActionResult:
        """Move ``amount`` from the account's balance to the service's own (``Service.balance``).
        A service of another account: ``BillingNotFound``. Refuse with ``BillingRejected`` (the
        reason in the subscriber's words, a stable code) a service without a balance of its own
        (``no_service_balance``), an amount not above zero (``invalid_amount``) and one above the
        account's balance (``insufficient_funds``)."""
        self._unsupported("top_up_service")

    def tariffs(self, service_id: str) -> Sequence[TariffOffer]:
        self._unsupported("tariffs")

    def change_tariff(self, service_id: str, tariff_id: str, request_id: str) -> ActionResult:
        self._unsupported("change_tariff")

    def disconnect_service(self, service_id: str, request_id: str) -> ActionResult:
        """``effective_date``: the day the service ends (a planned change of kind ``close`` until then)."""
        self._unsupported("disconnect_service")

    def block_terms(self, account_id: str) -> BlockTerms:
        self._unsupported("block_terms")

    def block_services(self, account_id: str, days: int, request_id: str) -> ActionResult:
        self._unsupported("block_services")

    def schedule_block(self, account_id: str, date_from: date, date_to: date, request_id: str) -> ActionResult:
        """Block the account's services from ``date_from`` to ``date_to``, both days included
        (``effective_date``: ``date_from``). Until that day nothing is blocked: the services keep
        their status and list a ``PlannedChange`` of kind ``block`` from ``date_from``, and
        ``block_terms`` shows the period (``scheduled_from``, ``scheduled_until``). Refuse with
        ``BillingRejected`` (the reason in the subscriber's words, a stable code) a period of fewer
        than ``min_days`` or more than ``max_days`` days, one starting before ``earliest_start`` or
        after ``latest_start``, one ending before it starts, and any while a block is scheduled or
        running."""
        self._unsupported("schedule_block")

    def unblock_services(self, account_id: str, request_id: str) -> ActionResult:
        """End the account's voluntary block; a block scheduled that has not started yet
        (``schedule_block``) is cancelled instead."""
        self._unsupported("unblock_services")

    def history(self, account_id: str, date_from: date, date_to: date, limit: int | None = None,
                offset: int = 0) -> Sequence[HistoryEntry]:
        """With ``limit``: a ``records.Page`` of at most ``limit`` entries from ``offset`` (a plain
        list: every entry of the period)."""
        self._unsupported("history")

    def usage(self, account_id: str, date_from: date, date_to: date) -> Usage:
        self._unsupported("usage")

    def promised_payment_terms(self, account_id: str) -> PromisedPaymentTerms:
        self._unsupported("promised_payment_terms")

    def activate_promised_payment(self, account_id: str, request_id: str) -> ActionResult:
        self._unsupported("activate_promised_payment")

    def catalog(self) -> Sequence[CatalogItem]:
        self._unsupported("catalog")

    def order(self, account_id: str, item_id: str, request_id: str) -> Order:
        self._unsupported("order")

    def orders(self, account_id: str) -> Sequence[Order]:
        self._unsupported("orders")

    def cancel_order(self, account_id: str, order_id: str, request_id: str) -> Order:
        self._unsupported("cancel_order")

    def payment_pages(self, account_id: str) -> Sequence[PaymentPage]:
        self._unsupported("payment_pages")

    def register_payment(self, account_id: str, amount: Decimal, payment_id: str) -> PaymentReceipt:
        self._unsupported("register_payment")

    def requisites(self, account_id: str) -> Requisites:
        self._unsupported("requisites")

    def update_requisites(self, account_id: str, payer_name: str, request_id: str, email: str = "",
                          phone: str = "", postal_address: str = "") -> Requisites:
        self._unsupported("update_requisites")

    def transfer(self, from_account_id: str, to_account_id: str, amount: Decimal,
                 request_id: str) -> TransferReceipt:
        self._unsupported("transfer")

    def bonuses(self, account_id: str) -> BonusBalance:
        self._unsupported("bonuses")

    def bonus_programmes(self, account_id: str) -> Sequence[BonusProgramme]:
        """Every programme the operator offers the account, exactly one of them ``joined`` when the
        account is in one; ``points``: the account's points in each."""
        self._unsupported("bonus_programmes")

    def join_bonus_programme(self, account_id: str, programme_id: str, request_id: str) -> ActionResult:
        """Move the account into ``programme_id``, leaving the programme it is in (an account is in
        one at a time). A programme the account is not offered: ``BillingNotFound``; the one it is
        in already: ``BillingRejected`` (the reason in the subscriber's words, a stable code)."""
        self._unsupported("join_bonus_programme")

    def spend_bonus_points(self, account_id: str, reward_id: str, request_id: str) -> ActionResult:
        """Take the reward's ``cost_points`` from the account's points in its current programme.
        Refuse with ``BillingRejected`` a reward of another programme (or none: ``BillingNotFound``)
        and one the points do not cover."""
        self._unsupported("spend_bonus_points")

    def dealer_subscribers(self, dealer_id: str, limit: int | None = None, offset: int = 0,
                           search: str | None = None) -> Sequence[DealerSubscriber]:
        """``search``: only subscribers whose name, phone number or contract contains it, ignoring
        case. With ``limit``: a ``records.Page`` of at most ``limit`` of them from ``offset``."""
        self._unsupported("dealer_subscribers")

    def dealer_orders(self, dealer_id: str) -> DealerOrderStats:
        self._unsupported("dealer_orders")


_CAPABILITIES_OF: dict[type, frozenset[str]] = {}        # per class: asked on every billing call


def capabilities_of(binding_cls: type[BillingBinding]) -> frozenset[str]:
    """The operations a binding class overrides, and the ones it declares with a method: what it
    can do, known without connecting."""
    found = _CAPABILITIES_OF.get(binding_cls)
    if found is None:
        missing = [name for name in binding_cls.declared if not callable(getattr(binding_cls, name, None))]
        if missing:
            raise TypeError(f"{binding_cls.__name__} declares {', '.join(missing)} without a method of that name")
        found = _CAPABILITIES_OF[binding_cls] = frozenset(
            name for name in OPERATIONS if getattr(binding_cls, name) is not getattr(BillingBinding, name)
        ) | frozenset(binding_cls.declared)
    return found


_OPERATIONS_OF: dict[type, Mapping[str, Operation]] = {}


def operations_of(binding_cls: type[BillingBinding]) -> Mapping[str, Operation]:
    found = _OPERATIONS_OF.get(binding_cls)
    if found is None:
        clash = sorted(set(binding_cls.declared) & set(OPERATIONS))
        if clash:
            raise TypeError(f"{binding_cls.__name__} declares {', '.join(clash)}, which the contract has already")
        found = _OPERATIONS_OF[binding_cls] = MappingProxyType({**OPERATIONS, **binding_cls.declared})
    return found


@lru_cache(maxsize=None)
def contract_result_type(operation: str) -> Any:
    """What a contract operation returns, from the contract's own annotations."""
    return typing.get_type_hints(getattr(BillingBinding, operation))["return"]


_NAMED_OF: dict[tuple[type, str], frozenset[str]] = {}     # per class and operation; read on every call


def named_params(binding_cls: type[BillingBinding], operation: str) -> frozenset[str]:
    """The parameter names of a binding class's own method for ``operation`` (none for an
    operation it does not provide, or a callable without a signature). What the engine gives a
    method beyond the contract's parameters (paging, the locale) goes only where it is named."""
    key = (binding_cls, operation)
    found = _NAMED_OF.get(key)
    if found is None:
        found = frozenset()
        if operation in capabilities_of(binding_cls):
            try:
                found = frozenset(inspect.signature(getattr(binding_cls, operation)).parameters)
            except (TypeError, ValueError):
                pass
        _NAMED_OF[key] = found
    return found


def paging_of(binding_cls: type[BillingBinding], operation: str) -> frozenset[str]:
    """The paging parameters a binding class's own method for ``operation`` names (see
    ``BillingBinding.paging``): a method written before paging existed takes none of them."""
    spec = OPERATIONS.get(operation)
    if spec is None or not spec.pageable:
        return frozenset()
    return spec.paging_params & named_params(binding_cls, operation)


def locale_of(binding_cls: type[BillingBinding], operation: str) -> bool:
    """Whether a binding class's own method for ``operation`` takes the subscriber's ``locale``."""
    return "locale" in named_params(binding_cls, operation)
