"""Tables of the demo billing and their conversion to contract records.

The tables have their own ``DeclarativeBase`` and a ``demo_`` prefix, so the demo billing can share
a database with the engine's own tables without touching them. Money is stored as whole kopecks
(exact on SQLite, which has no decimal type); instants as naive UTC, returned as aware datetimes.
"""
from __future__ import annotations

import dataclasses
import enum
import json
import types
import typing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ..records import (
    Account, BonusBalance, BonusProgramme, BonusReward, CatalogItem, DealerSubscriber, HistoryEntry, OperationKind, Order, OrderStatus,
    PackageBalance, PlannedChange, RecommendedPayment, Requisites, Service, ServiceStatus, Suspension, Tariff,
    UsageRecord,
)

MOSCOW = ZoneInfo("Europe/Moscow")
CENT = Decimal("0.01")
# the account's access to the internet: its other services come over it, so it ends only with the contract
MAIN_SERVICE_KIND = "internet"


def first_of_next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


class Money(TypeDecorator):
    """Decimal roubles stored as integer kopecks."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * 100).to_integral_value(ROUND_HALF_UP))

    def process_result_value(self, value, dialect):
        return None if value is None else (Decimal(value) / 100).quantize(CENT)


class Quantity(TypeDecorator):
    """A decimal quantity (minutes, gigabytes) stored as integer thousandths, exact on SQLite too."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return int((Decimal(value) * 1000).to_integral_value(ROUND_HALF_UP))

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        # 12470 -> Decimal("12.47"), 100000 -> Decimal("100") (not "1E+2"): the digits it has, no more
        quantity = Decimal(value) / 1000
        return quantity.quantize(Decimal(1)) if quantity == quantity.to_integral_value() else quantity.normalize()


class UtcDateTime(TypeDecorator):
    """Aware datetimes stored as naive UTC: SQLite keeps no offsets, PostgreSQL gets the same values."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("the demo billing stores aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=UTC).astimezone(MOSCOW)


class DemoBase(DeclarativeBase):
    type_annotation_map = {Decimal: Money(), datetime: UtcDateTime(), str: String(255)}


class SubscriberRow(DemoBase):
    __tablename__ = "demo_subscribers"

    id: Mapped[str] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(unique=True)
    name: Mapped[str]


class AccountRow(DemoBase):
    __tablename__ = "demo_accounts"

    id: Mapped[str] = mapped_column(primary_key=True)
    subscriber_id: Mapped[str] = mapped_column(ForeignKey("demo_subscribers.id"), index=True)
    number: Mapped[str]
    holder: Mapped[str]
    currency: Mapped[str] = mapped_column(default="RUB")
    balance: Mapped[Decimal]
    status: Mapped[str] = mapped_column(default="active")
    address: Mapped[str] = mapped_column(default="")
    recommended_amount: Mapped[Decimal | None]
    recommended_due: Mapped[date | None]
    # the points of the account's first programme (seed.bonus_groups: a database made before bonus
    # programmes existed gets its membership from them), and when points expire in any programme
    bonus_points: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    bonus_program: Mapped[str] = mapped_column(default="")
    bonus_expires: Mapped[date | None]

    def to_record(self) -> Account:
        recommended = None
        if self.recommended_amount is not None and self.recommended_due is not None:
            recommended = RecommendedPayment(self.recommended_amount, self.recommended_due)
        return Account(self.id, self.number, self.holder, self.currency, self.balance, self.status,
                       recommended, self.address)

    def bonus_record(self, membership: BonusMembershipRow | None) -> BonusBalance:
        """The account's points in its current programme (none: no points, no programme)."""
        if membership is None:
            return BonusBalance(self.id, Decimal("0"), "", None)
        return BonusBalance(self.id, membership.points, membership.programme.name, self.bonus_expires)


class BonusProgrammeRow(DemoBase):
    """A bonus programme the operator offers. The programmes, their rewards and the accounts'
    memberships are tables of their own, so a demo database made before they existed gains them on
    start (create_all) and is seeded with them (seed.install)."""

    __tablename__ = "demo_bonus_programmes"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(default=0)

    rewards: Mapped[list[BonusRewardRow]] = relationship(order_by="BonusRewardRow.position", lazy="selectin")

    def to_record(self, membership: BonusMembershipRow | None) -> BonusProgramme:
        return BonusProgramme(
            self.id, self.name, self.description,
            joined=membership is not None and membership.current,
            points=membership.points if membership is not None else Decimal("0"),
            rewards=tuple(reward.to_record() for reward in self.rewards))


class BonusRewardRow(DemoBase):
    """What a programme's points buy; ``credit``: money it puts on the account (a discount), if any."""

    __tablename__ = "demo_bonus_rewards"

    id: Mapped[str] = mapped_column(primary_key=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey("demo_bonus_programmes.id"), index=True)
    name: Mapped[str]
    cost_points: Mapped[Decimal] = mapped_column(Quantity())
    description: Mapped[str] = mapped_column(Text, default="")
    credit: Mapped[Decimal] = mapped_column(default=Decimal("0"))
    position: Mapped[int] = mapped_column(default=0)

    def to_record(self) -> BonusReward:
        return BonusReward(self.id, self.name, self.cost_points, self.description)


class BonusMembershipRow(DemoBase):
    """An account's points in a programme it is or was in; ``current``: the one it is in now (at most
    one per account). Points of a programme it left stay here, for when it comes back."""

    __tablename__ = "demo_bonus_memberships"

    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), primary_key=True)
    programme_id: Mapped[str] = mapped_column(ForeignKey("demo_bonus_programmes.id"), primary_key=True)
    points: Mapped[Decimal] = mapped_column(Quantity())
    current: Mapped[bool] = mapped_column(default=False)

    programme: Mapped[BonusProgrammeRow] = relationship(lazy="joined")


class RequisitesRow(DemoBase):
    __tablename__ = "demo_requisites"

    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), primary_key=True)
    payer_name: Mapped[str]
    email: Mapped[str] = mapped_column(default="")
    phone: Mapped[str] = mapped_column(default="")
    postal_address: Mapped[str] = mapped_column(default="")
    inn: Mapped[str] = mapped_column(default="")

    def to_record(self) -> Requisites:
        return Requisites(self.account_id, self.payer_name, self.email, self.phone, self.postal_address,
                          self.inn)


class TariffRow(DemoBase):
    __tablename__ = "demo_tariffs"

    id: Mapped[str] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(index=True)   # the service kind it applies to
    name: Mapped[str]
    fee: Mapped[Decimal]
    description: Mapped[str] = mapped_column(Text, default="")
    speed_mbps: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    def to_record(self) -> Tariff:
        return Tariff(self.id, self.name, self.fee, "month", self.description, self.speed_mbps)


# A tariff may change while the service works or is paused by the subscriber.
CHANGEABLE_STATUSES = frozenset({ServiceStatus.ACTIVE, ServiceStatus.BLOCKED})


@dataclass(frozen=True)
class ServiceState:
    """A service as of a day: blocks that ran out and planned changes that came due are applied."""

    status: ServiceStatus
    blocked_until: date | None
    tariff: TariffRow
    planned_tariff: TariffRow | None
    planned_from: date | None
    closes_on: date | None = None       # the subscriber asked to end it from this day (not yet come)
    block_from: date | None = None      # a voluntary block scheduled to start on this day (not yet come)
    block_until: date | None = None     # its last day


class ServiceRow(DemoBase):
    __tablename__ = "demo_services"

    id: Mapped[str] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), index=True)
    name: Mapped[str]
    kind: Mapped[str]
    status: Mapped[str]
    tariff_id: Mapped[str] = mapped_column(ForeignKey("demo_tariffs.id"))
    address: Mapped[str] = mapped_column(default="")
    description: Mapped[str] = mapped_column(Text, default="")
    suspension_code: Mapped[str | None]
    suspension_since: Mapped[date | None]
    suspension_details: Mapped[str] = mapped_column(Text, default="")
    blocked_until: Mapped[date | None]
    tariff_change_allowed: Mapped[bool] = mapped_column(default=True)
    planned_tariff_id: Mapped[str | None] = mapped_column(ForeignKey("demo_tariffs.id"))
    planned_from: Mapped[date | None]
    position: Mapped[int] = mapped_column(default=0)

    tariff: Mapped[TariffRow] = relationship(foreign_keys=[tariff_id], lazy="joined")
    planned_tariff: Mapped[TariffRow | None] = relationship(foreign_keys=[planned_tariff_id], lazy="joined")
    closure: Mapped[ServiceClosureRow | None] = relationship(lazy="joined")
    wallet: Mapped[ServiceWalletRow | None] = relationship(lazy="joined")
    # the account's scheduled block: read with the service, written only through ScheduledBlockRow
    scheduled_block: Mapped[ScheduledBlockRow | None] = relationship(
        primaryjoin="foreign(ServiceRow.account_id) == ScheduledBlockRow.account_id", viewonly=True, lazy="joined")

    def state(self, today: date) -> ServiceState:
        status, blocked_until = ServiceStatus(self.status), self.blocked_until
        if status is ServiceStatus.BLOCKED and blocked_until is not None and blocked_until <= today:
            status, blocked_until = ServiceStatus.ACTIVE, None
        block_from, block_until = None, None
        schedule = self.scheduled_block
        if schedule is not None and status is ServiceStatus.ACTIVE:
            if schedule.running(today):       # a scheduled block pauses what works on its first day
                status, blocked_until = ServiceStatus.BLOCKED, schedule.resumes_on
            elif schedule.upcoming(today):
                block_from, block_until = schedule.starts_on, schedule.ends_on
        tariff, planned, planned_from = self.tariff, self.planned_tariff, self.planned_from
        if planned is not None and planned_from is not None and planned_from <= today:
            tariff, planned, planned_from = planned, None, None
        closes_on = self.closure.closes_on if self.closure is not None else None
        if closes_on is not None and closes_on <= today:
            status, blocked_until, planned, planned_from, closes_on = ServiceStatus.CLOSED, None, None, None, None
            block_from, block_until = None, None
        return ServiceState(status, blocked_until, tariff, planned, planned_from, closes_on, block_from, block_until)

    def settle(self, today: date) -> ServiceState:
        """Write the state of ``today`` into the row (in a write transaction, before changing it)."""
        state = self.state(today)
        self.status, self.blocked_until = state.status.value, state.blocked_until
        self.tariff, self.planned_tariff = state.tariff, state.planned_tariff
        self.planned_from = state.planned_from
        return state

    def disconnect_refusal(self, state: ServiceState) -> tuple[str, str] | None:
        """Why the subscriber may not end this service themselves (their words, a code), or None."""
        if self.kind == MAIN_SERVICE_KIND:
            return (f"«{self.name}» — основная услуга лицевого счёта: её отключают только вместе с договором, "
                    f"в офисе или через поддержку", "main_service")
        if state.status is ServiceStatus.CLOSED:
            return f"Услуга «{self.name}» уже отключена", "service_closed"
        if state.closes_on is not None:
            return f"Услуга «{self.name}» уже будет отключена с {state.closes_on:%d.%m.%Y}", "already_disconnecting"
        return None

    def to_record(self, today: date) -> Service:
        state = self.state(today)
        planned: list[PlannedChange] = []
        if state.planned_tariff is not None and state.planned_from is not None:
            tariff = state.planned_tariff
            planned.append(PlannedChange("tariff_change", state.planned_from, tariff.to_record(),
                                         f"Переход на тариф «{tariff.name}»"))
        if state.status is ServiceStatus.BLOCKED and state.blocked_until is not None:
            planned.append(PlannedChange("unblock", state.blocked_until, None,
                                         "Окончание добровольной блокировки"))
        if state.closes_on is not None:
            planned.append(PlannedChange("close", state.closes_on, None, "Отключение услуги по вашему заявлению"))
        if state.block_from is not None and state.block_until is not None:
            planned.append(PlannedChange("block", state.block_from, None,
                                         f"Добровольная блокировка по {state.block_until:%d.%m.%Y} включительно"))
        suspension = None
        if state.status is ServiceStatus.SUSPENDED and self.suspension_code:
            suspension = Suspension(self.suspension_code, self.suspension_since, self.suspension_details)
        return Service(
            id=self.id, account_id=self.account_id, name=self.name, kind=self.kind, status=state.status,
            tariff=state.tariff.to_record(), address=self.address, description=self.description,
            suspension=suspension, blocked_until=state.blocked_until,
            planned_changes=tuple(sorted(planned, key=lambda change: change.effective_date)),
            # a tariff from the day the service ends would never run
            tariff_change_allowed=(self.tariff_change_allowed and state.status in CHANGEABLE_STATUSES
                                   and state.closes_on is None),
            disconnect_date=None if self.disconnect_refusal(state) else first_of_next_month(today),
            balance=self.wallet.balance if self.wallet is not None else None,
        )


class ServiceClosureRow(DemoBase):
    """A service the subscriber asked to end (disconnect_service), and from which day. A table of
    its own, so a demo database made before it existed gains it on start (create_all)."""

    __tablename__ = "demo_service_closures"

    service_id: Mapped[str] = mapped_column(ForeignKey("demo_services.id"), primary_key=True)
    closes_on: Mapped[date]


class ServiceWalletRow(DemoBase):
    """The balance of a service that has one of its own (top_up_service adds to it). A table of its
    own, so a demo database made before it existed gains it on start (create_all)."""

    __tablename__ = "demo_service_wallets"

    service_id: Mapped[str] = mapped_column(ForeignKey("demo_services.id"), primary_key=True)
    balance: Mapped[Decimal]


class ScheduledBlockRow(DemoBase):
    """A voluntary block of an account's services the subscriber scheduled ahead (schedule_block):
    from ``starts_on`` to ``ends_on``, both days included, and the fee charged for it (returned in
    full if it is cancelled before it starts). A table of its own, so a demo database made before it
    existed gains it on start (create_all)."""

    __tablename__ = "demo_scheduled_blocks"

    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), primary_key=True)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    fee: Mapped[Decimal]

    @property
    def resumes_on(self) -> date:
        """The day the services work again."""
        return self.ends_on + timedelta(days=1)

    def upcoming(self, today: date) -> bool:
        return today < self.starts_on

    def running(self, today: date) -> bool:
        return self.starts_on <= today <= self.ends_on


class HistoryRow(DemoBase):
    __tablename__ = "demo_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str]
    amount: Mapped[Decimal]
    description: Mapped[str] = mapped_column(Text)
    service_id: Mapped[str | None]

    def to_record(self) -> HistoryEntry:
        return HistoryEntry(str(self.id), self.at, OperationKind(self.kind), self.amount, self.description,
                            self.service_id)


class UsageRow(DemoBase):
    """A call, a message or a day's traffic of a service, as the billing counted it."""

    __tablename__ = "demo_usage"

    id: Mapped[str] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("demo_services.id"))
    at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str]
    description: Mapped[str] = mapped_column(Text)
    quantity: Mapped[Decimal] = mapped_column(Quantity())
    unit: Mapped[str]
    amount: Mapped[Decimal]

    def to_record(self) -> UsageRecord:
        return UsageRecord(self.id, self.at, self.service_id, self.kind, self.description, self.quantity,
                           self.unit, self.amount)


class PackageRow(DemoBase):
    """A service's package of minutes or gigabytes, with what is left of its current period."""

    __tablename__ = "demo_packages"

    id: Mapped[str] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), index=True)
    service_id: Mapped[str] = mapped_column(ForeignKey("demo_services.id"))
    name: Mapped[str]
    unit: Mapped[str]
    total: Mapped[Decimal] = mapped_column(Quantity())
    remaining: Mapped[Decimal] = mapped_column(Quantity())
    valid_until: Mapped[date | None]
    position: Mapped[int] = mapped_column(default=0)

    def to_record(self) -> PackageBalance:
        return PackageBalance(self.service_id, self.name, self.unit, self.total, self.remaining, self.valid_until)


class PromisedPaymentRow(DemoBase):
    __tablename__ = "demo_promised_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), index=True)
    amount: Mapped[Decimal]
    activated_on: Mapped[date]
    repay_by: Mapped[date]


class CatalogItemRow(DemoBase):
    __tablename__ = "demo_catalog_items"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    category: Mapped[str]              # "service" | "equipment"
    price: Mapped[Decimal]
    description: Mapped[str] = mapped_column(Text, default="")
    image: Mapped[str] = mapped_column(default="")
    monthly: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)

    def to_record(self) -> CatalogItem:
        return CatalogItem(self.id, self.name, self.category, self.price, self.description, self.image,
                           self.monthly)


class OrderRow(DemoBase):
    __tablename__ = "demo_orders"

    id: Mapped[str] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("demo_accounts.id"), index=True)
    item_id: Mapped[str] = mapped_column(ForeignKey("demo_catalog_items.id"))
    status: Mapped[str]
    created_at: Mapped[datetime]

    item: Mapped[CatalogItemRow] = relationship(lazy="joined")

    def to_record(self) -> Order:
        return Order(self.id, self.account_id, self.item.to_record(), OrderStatus(self.status),
                     self.created_at)


class DealerRow(DemoBase):
    __tablename__ = "demo_dealers"

    id: Mapped[str] = mapped_column(primary_key=True)
    name: Mapped[str]
    orders_total: Mapped[int]
    orders_processed: Mapped[int]
    orders_in_progress: Mapped[int]


class DealerSubscriberRow(DemoBase):
    __tablename__ = "demo_dealer_subscribers"

    id: Mapped[str] = mapped_column(primary_key=True)
    dealer_id: Mapped[str] = mapped_column(ForeignKey("demo_dealers.id"), index=True)
    name: Mapped[str]
    contract: Mapped[str]
    status: Mapped[str]
    phone: Mapped[str]
    balance: Mapped[Decimal]
    added_on: Mapped[date]

    def to_record(self) -> DealerSubscriber:
        return DealerSubscriber(self.id, self.name, self.contract, self.status, self.phone, self.balance,
                                self.added_on)


class ProcessedRequest(DemoBase):
    """An idempotency key already handled, with the result its first call returned."""

    __tablename__ = "demo_processed_requests"

    operation: Mapped[str] = mapped_column(String(64), primary_key=True)
    request_id: Mapped[str] = mapped_column(primary_key=True)
    result: Mapped[str] = mapped_column(Text)
    processed_at: Mapped[datetime]


def encode_result(record: Any) -> str:
    """A result record as JSON, to answer a repeated key with exactly the same result."""

    def plain(value: Any) -> Any:
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, (date, datetime)):
            return value.isoformat()
        if isinstance(value, enum.Enum):
            return value.value
        raise TypeError(f"cannot store {type(value).__name__} in a processed request")

    return json.dumps(dataclasses.asdict(record), default=plain, ensure_ascii=False)


def decode_result(record_type: type, text: str) -> Any:
    return _decode(record_type, json.loads(text))


def _decode(kind: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        return _decode(next(arg for arg in typing.get_args(kind) if arg is not type(None)), value)
    if origin is tuple:
        return tuple(_decode(typing.get_args(kind)[0], item) for item in value)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        hints = typing.get_type_hints(kind)
        return kind(**{f.name: _decode(hints[f.name], value[f.name]) for f in dataclasses.fields(kind)})
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime:
        return datetime.fromisoformat(value).astimezone(MOSCOW)
    if kind is date:
        return date.fromisoformat(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(value)
    return value
