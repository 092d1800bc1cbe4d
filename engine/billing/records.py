"""Typed records that billing operations return.

Records are frozen dataclasses: the engine reads them through JMESPath (as plain dicts, see
``as_data``) and never mutates them. Money is ``Decimal`` in the account's currency; dates are
``datetime.date``; instants are timezone-aware ``datetime``.
"""
from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable, TypeVar

T = TypeVar("T")


class ServiceStatus(str, enum.Enum):
    ACTIVE = "active"
    BLOCKED = "blocked"          # paused by the subscriber (voluntary block)
    SUSPENDED = "suspended"      # stopped by the operator: debt, fraud check, documents ...
    PENDING = "pending"          # ordered, not yet connected
    CLOSED = "closed"


class OperationKind(str, enum.Enum):
    CHARGE = "charge"
    PAYMENT = "payment"
    REFUND = "refund"
    TRANSFER = "transfer"
    BONUS = "bonus"


class OrderStatus(str, enum.Enum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class RecommendedPayment:
    amount: Decimal
    due_date: date


@dataclass(frozen=True)
class Account:
    id: str
    number: str                    # the personal account number subscribers see ("108842")
    holder: str
    currency: str
    balance: Decimal
    status: str                    # "active" | "suspended" | "closed"
    recommended_payment: RecommendedPayment | None = None
    address: str = ""


@dataclass(frozen=True)
class Tariff:
    id: str
    name: str
    fee: Decimal                   # per period
    period: str = "month"
    description: str = ""
    speed_mbps: int | None = None


@dataclass(frozen=True)
class PlannedChange:
    kind: str                      # "tariff_change" | "block" | "unblock" | "close"
    effective_date: date
    tariff: Tariff | None = None
    description: str = ""


@dataclass(frozen=True)
class Suspension:
    reason_code: str               # stable code an operator maps to plain text ("debt", "fraud_check", ...)
    since: date | None = None      # many billings do not keep when it began: then the cabinet says no date
    details: str = ""              # billing's own words, shown only when the schema has no text for the code


@dataclass(frozen=True)
class Service:
    id: str
    account_id: str
    name: str
    kind: str                      # "internet" | "tv" | "phone" | "mobile" | ...
    status: ServiceStatus
    tariff: Tariff
    address: str = ""
    description: str = ""
    suspension: Suspension | None = None
    blocked_until: date | None = None
    planned_changes: tuple[PlannedChange, ...] = ()
    tariff_change_allowed: bool = True
    #: the day the service ends if the subscriber disconnects it now (``disconnect_service``); None
    #: when they may not (the account's main service, a closed one) or the billing does not say
    disconnect_date: date | None = None
    #: money on the service itself, apart from the account's (a prepaid number, a TV wallet), which
    #: ``top_up_service`` adds to; None: the service has no balance of its own
    balance: Decimal | None = None


@dataclass(frozen=True)
class TariffOffer:
    tariff: Tariff
    current: bool
    change_fee: Decimal = Decimal("0")
    effective_date: date | None = None


@dataclass(frozen=True)
class HistoryEntry:
    id: str
    at: datetime
    kind: OperationKind
    amount: Decimal                # positive for money in, negative for money out
    description: str
    service_id: str | None = None


@dataclass(frozen=True)
class UsageRecord:
    """One use of a service the billing counted: a call, a message, a day's traffic."""

    id: str
    at: datetime                   # when it began (timezone-aware)
    service_id: str
    kind: str                      # "call" | "sms" | "data" (mobile) | "traffic" (fixed internet) | ...
    description: str               # the billing's words: the number called, the session
    quantity: Decimal              # how much, in ``unit``
    unit: str                      # "min" | "sms" | "MB" | "GB" | ...
    amount: Decimal                # charged for it; 0 when a package or an unlimited tariff covered it


@dataclass(frozen=True)
class PackageBalance:
    """What is left of a service's package (minutes, messages, gigabytes) in its current period."""

    service_id: str
    name: str
    unit: str                      # as in UsageRecord
    total: Decimal                 # what the period gives
    left: Decimal                  # what is still unused (0 to total)
    until: date | None = None      # the last day of the period; None: the package does not expire


@dataclass(frozen=True)
class Usage:
    """An account's usage detail for a period (``records``, newest first) and its packages now."""

    records: tuple[UsageRecord, ...] = ()
    packages: tuple[PackageBalance, ...] = ()


@dataclass(frozen=True)
class BlockTerms:
    """What a voluntary block allows: at once for ``min_days``..``max_days`` days (``block_services``),
    or a period chosen ahead (``schedule_block``) starting between ``earliest_start`` and
    ``latest_start``; None there: the billing blocks only from today. ``scheduled_from`` ..
    ``scheduled_until`` (both days included) is a block scheduled that has not started yet."""

    min_days: int
    max_days: int
    fee_per_day: Decimal
    blocked: bool                  # whether the account's services are blocked now
    blocked_until: date | None = None
    description: str = ""
    earliest_start: date | None = None
    latest_start: date | None = None
    scheduled_from: date | None = None
    scheduled_until: date | None = None


@dataclass(frozen=True)
class PromisedPaymentTerms:
    amount: Decimal
    repay_days: int                # the credit must be repaid within this many days
    interval_days: int             # at most once in this many days
    eligible: bool
    repay_by: date | None = None   # if activated today
    ineligible_reason: str = ""    # subscriber-facing text when not eligible
    available_from: date | None = None
    active: bool = False           # a promised payment is running now
    fee: Decimal = Decimal("0.00")  # charged when it is activated (shown before the subscriber agrees)
    conditions: str = ""           # the billing's own words on further conditions, shown as given


@dataclass(frozen=True)
class CatalogItem:
    id: str
    name: str
    category: str                  # "service" | "equipment"
    price: Decimal
    description: str = ""
    image: str = ""
    monthly: bool = False


@dataclass(frozen=True)
class Order:
    id: str
    account_id: str
    item: CatalogItem
    status: OrderStatus
    created_at: datetime


@dataclass(frozen=True)
class PaymentReceipt:
    payment_id: str                # the engine's id; registering it twice is a no-op
    account_id: str
    amount: Decimal
    registered_at: datetime
    billing_reference: str


@dataclass(frozen=True)
class Requisites:
    account_id: str
    payer_name: str
    email: str = ""
    phone: str = ""
    postal_address: str = ""
    inn: str = ""


@dataclass(frozen=True)
class TransferReceipt:
    transfer_id: str
    from_account_id: str
    to_account_id: str
    amount: Decimal
    at: datetime


@dataclass(frozen=True)
class BonusBalance:
    account_id: str
    points: Decimal
    program: str = ""
    expires_on: date | None = None


@dataclass(frozen=True)
class BonusReward:
    """What a programme's points buy: a discount, a service for a while, a gift."""

    id: str
    name: str
    cost_points: Decimal
    description: str = ""


@dataclass(frozen=True)
class BonusProgramme:
    """A bonus programme the operator offers, as one account sees it: whether it is in it and its
    points there (an account is in one programme at a time; points of one it left stay with that
    programme)."""

    id: str
    name: str
    description: str = ""
    joined: bool = False
    points: Decimal = Decimal("0")
    rewards: tuple[BonusReward, ...] = ()


@dataclass(frozen=True)
class DealerSubscriber:
    id: str
    name: str
    contract: str
    status: str
    phone: str
    balance: Decimal
    added_on: date


@dataclass(frozen=True)
class DealerOrderStats:
    total: int
    processed: int
    in_progress: int


@dataclass(frozen=True)
class PaymentPage:
    """A page of the billing's own (or of a payment system it works with) where an account is paid:
    the cabinet links to it as a way to pay. ``url`` is absolute http(s)."""

    name: str
    url: str
    description: str = ""


@dataclass(frozen=True)
class SignedIn:
    """A subscriber the billing signed in (``BillingBinding.sign_in``): who they are, and the
    credential the binding needs to act for them (a session key, or the login and password the
    billing wants with each request). ``expires_in``: seconds the billing keeps the session idle
    (None: until it refuses it)."""

    subscriber_id: str
    credential: dict[str, str]
    name: str = ""
    expires_in: float | None = None


@dataclass(frozen=True)
class ActionResult:
    """The outcome of a change (tariff, block, promised payment ...)."""

    ok: bool
    message: str = ""              # billing's subscriber-facing text, optional
    reference: str = ""
    effective_date: date | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Page(list[T]):
    """One window of a longer list: what a binding returns when the engine asked for ``limit`` items
    from ``offset`` (``history``, ``dealer_subscribers``). It is a list of the records, so everything
    that reads a list reads a page; ``total`` says how many items the whole list has (after the
    ``search``, when one was given), ``has_more`` whether items follow this window. Give either
    when the billing knows it; with neither the engine takes a full window as "there may be more".

    A plain list instead of a ``Page`` means "every item": the engine then searches and pages it
    itself, so a binding that ignores the paging parameters stays correct, only slower.
    """

    def __init__(self, items: Iterable[T] = (), total: int | None = None, has_more: bool | None = None):
        super().__init__(items)
        self.total = total
        self.has_more = has_more

    def __repr__(self) -> str:
        return f"Page({list.__repr__(self)}, total={self.total!r}, has_more={self.has_more!r})"


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}   # per record class; filled once, read on every page


def as_data(value: Any) -> Any:
    """Turn records (and lists of them) into plain dicts for JMESPath and JSON.

    Decimals stay exact; dates and datetimes become ISO strings, which JMESPath can compare and
    sort and field kinds format for people. A ``Page`` becomes a plain list (JMESPath's functions
    know lists by their exact type); its ``total`` stays on the record, where the engine reads it.
    """
    cls = type(value)
    if cls in _SCALARS:
        return value
    if cls is date or cls is datetime:
        return value.isoformat()
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        return {name: as_data(getattr(value, name)) for name in names}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [as_data(v) for v in value]
    if isinstance(value, dict):
        return {k: as_data(v) for k, v in value.items()}
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


# Values that pass through unchanged (checked by exact type: the common case, and fast)
_SCALARS = frozenset({str, int, float, bool, Decimal, type(None)})
