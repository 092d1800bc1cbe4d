"""The demo billing: a small but persistent billing in SQLite or PostgreSQL.

It backs the demo cabinet and the benchmarks, and shows implementers what a binding does: typed
records, subscriber-facing refusals, idempotent mutations, thread safety.
"""
from __future__ import annotations

import functools
import re
import time as clock
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypedDict, TypeVar

from marshmallow import Schema, fields, validate
from sqlalchemy import ColumnElement, event, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...sqlengines import BEGIN_OPTION, open_engine
from ..contract import BillingBinding
from ..errors import BillingNotFound, BillingRejected
from ..records import (
    Account, ActionResult, BlockTerms, BonusBalance, BonusProgramme, CatalogItem, DealerOrderStats, DealerSubscriber,
    HistoryEntry, OperationKind, Order, OrderStatus, PackageBalance, Page, PaymentPage, PaymentReceipt,
    PromisedPaymentTerms, Requisites, Service, ServiceStatus, TariffOffer, TransferReceipt, Usage,
)
from .models import (
    CENT, CHANGEABLE_STATUSES, MOSCOW, AccountRow, BonusMembershipRow, BonusProgrammeRow, BonusRewardRow,
    CatalogItemRow, DealerRow, DealerSubscriberRow, DemoBase,
    HistoryRow, OrderRow, PackageRow, ProcessedRequest, PromisedPaymentRow, RequisitesRow, ServiceClosureRow,
    ServiceWalletRow,
    ScheduledBlockRow, ServiceRow, SubscriberRow, TariffRow, UsageRow, decode_result, encode_result,
    first_of_next_month,
)
from .seed import install

R = TypeVar("R")

BLOCK_MIN_DAYS, BLOCK_MAX_DAYS, BLOCK_FEE_PER_DAY = 7, 90, Decimal("1.00")
BLOCK_SCHEDULE_AHEAD_DAYS = 60          # a scheduled block starts from tomorrow up to this many days ahead
BLOCK_DESCRIPTION = (
    "На время блокировки абонентская плата за заблокированные услуги не начисляется. Стоимость "
    "блокировки — 1 ₽ в сутки, она списывается сразу за весь срок; при досрочной разблокировке "
    "неиспользованные дни возвращаются на счёт. Блокировку можно начать сразу или запланировать "
    "заранее: плата за запланированную списывается при её оформлении и возвращается полностью, если "
    "отменить её до начала. Услуги, приостановленные оператором, блокировка не затрагивает."
)
PROMISED_REPAY_DAYS, PROMISED_INTERVAL_DAYS = 3, 25
NO_CHANGE_FEE = Decimal("0.00")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NO_TARIFF_CHANGE = {
    ServiceStatus.SUSPENDED: "Услуга приостановлена: сменить тариф можно после возобновления её работы",
    ServiceStatus.PENDING: "Услуга ещё не подключена: сменить тариф можно после подключения",
    ServiceStatus.CLOSED: "Услуга отключена: сменить её тариф нельзя",
    ServiceStatus.ACTIVE: "Для этой услуги смена тарифа недоступна",
    ServiceStatus.BLOCKED: "Для этой услуги смена тарифа недоступна",
}


class _TermsBase(TypedDict):
    """What every answer of ``promised_payment_terms`` states, eligible or not."""

    amount: Decimal
    repay_days: int
    interval_days: int
    repay_by: date


class DemoBillingOptions(Schema):
    database_url = fields.String(required=True)
    latency_ms = fields.Integer(load_default=0, validate=validate.Range(min=0))
    # where the billing's own payment site answers (the billing simulator serves one): payment_pages
    payment_site = fields.Url(require_tld=False, schemes={"http", "https"}, load_default="")
    # the billing's day, fixed (tests and demos of a given day); none: the operator's today
    today = fields.Date(load_default=None)


def rub(amount: Decimal) -> str:
    """3146.1 -> '3 146,10 ₽', as subscribers read money."""
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " ₽"




def _remote(method: Callable[..., R]) -> Callable[..., R]:
    """An operation of the billing: it first waits ``latency_ms``, as a billing over the network would."""

    @functools.wraps(method)
    def call(self: DemoBilling, *args: Any, **kwargs: Any) -> R:
        if self._latency_s:
            clock.sleep(self._latency_s)
        return method(self, *args, **kwargs)

    return call


def _casefold_in_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """SQLite's lower() folds ASCII only: searching "петров" must find "Петров" (PostgreSQL's lower()
    folds by the database's locale, UTF-8 here)."""
    dbapi_connection.create_function("demo_casefold", 1, lambda text: None if text is None else text.casefold(),
                                     deterministic=True)


def _records(rows: Sequence[Any], record: Callable[[Any], R]) -> list[R]:
    """Rows as records, a Page staying a Page (with its total)."""
    records = [record(row) for row in rows]
    return Page(records, total=rows.total, has_more=rows.has_more) if isinstance(rows, Page) else records


def _new_reference(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8].upper()}"


def _money(amount: Any) -> Decimal:
    """A positive amount in roubles and kopecks, or a refusal."""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise BillingRejected("Укажите сумму числом, например 500 или 499,90", "invalid_amount") from None
    if not value.is_finite() or value <= 0:
        raise BillingRejected("Сумма должна быть больше нуля", "invalid_amount")
    if value != value.quantize(CENT):
        raise BillingRejected("Сумма указывается в рублях и копейках, не точнее 0,01 ₽", "invalid_amount")
    return value.quantize(CENT)


def _refuse_beyond_balance(account: AccountRow, value: Decimal) -> None:
    """Money leaves an account only up to its balance (a transfer, a service's top-up)."""
    if account.balance < value:
        available = rub(max(account.balance, Decimal("0.00")))
        raise BillingRejected(f"Недостаточно средств на лицевом счёте {account.number}: доступно {available}",
                              "insufficient_funds")


class DemoBilling(BillingBinding):
    """A demo billing with the subscriber demo1 and the dealer demo2 of the seed screens."""

    options_schema = DemoBillingOptions
    remote = False           # in-process unless given a latency (see __init__)

    def __init__(self, database_url: str, latency_ms: int = 0, today: date | None = None, payment_site: str = ""):
        if latency_ms < 0:
            raise ValueError("latency_ms must be 0 or more")
        super().__init__(database_url=database_url, latency_ms=latency_ms)
        self.payment_site = payment_site.rstrip("/")
        self._latency_s = latency_ms / 1000
        # with a latency the demo stands in for a billing across the network; without, it only
        # computes in-process (see BillingBinding.remote). A subclass may say remote = True itself
        # (a test's billing that hangs on purpose): that stays.
        self.remote = type(self).remote or self._latency_s > 0
        self._fixed_today = today
        self._engine = open_engine(database_url, "the demo billing")
        self._sqlite = self._engine.dialect.name == "sqlite"
        if self._sqlite:         # before the first connection: every one of them gets the function
            event.listen(self._engine, "connect", _casefold_in_sqlite)
        self._writer = self._engine.execution_options(**{BEGIN_OPTION: "BEGIN IMMEDIATE"})
        try:
            install(self._writer, self._today())
        except BaseException:
            self._engine.dispose()
            raise

    def close(self) -> None:
        self._engine.dispose()

    # --- plumbing ------------------------------------------------------------------------------
    def _today(self) -> date:
        return self._fixed_today or datetime.now(MOSCOW).date()

    def _now(self) -> datetime:
        now = datetime.now(MOSCOW)
        # a fixed day keeps new history entries inside that day, where tests look for them
        return datetime.combine(self._fixed_today, now.timetz()) if self._fixed_today else now

    def _reading(self) -> Session:
        return Session(self._engine)

    @staticmethod
    def _window(session: Session, table: type[DemoBase], where: Sequence[ColumnElement[bool]], order: Sequence[Any],
                limit: int | None, offset: int) -> list[Any]:
        """The rows of ``table`` that ``where`` selects, in ``order``: all of them as a list, or, when
        the engine asks for a window, at most ``limit`` from ``offset`` as a Page with the total,
        counted in the same transaction (one snapshot: the total matches the window)."""
        rows = select(table).where(*where).order_by(*order)
        if limit is None and not offset:
            return list(session.scalars(rows))
        offset = max(0, offset)
        window = list(session.scalars(rows.offset(offset).limit(None if limit is None else max(0, limit))))
        if limit is not None and len(window) < limit and (window or not offset):
            return Page(window, total=offset + len(window))    # the window shows where the list ends
        total = session.scalar(select(func.count()).select_from(table).where(*where)) or 0
        return Page(window, total=total)

    def _folded(self, column: Any) -> ColumnElement[str]:
        return func.demo_casefold(column) if self._sqlite else func.lower(column)

    def _fold(self, text: str) -> str:
        return text.casefold() if self._sqlite else text.lower()

    def _once(self, operation: str, key: str, result_type: type[R],
              locked_accounts: Callable[[Session], Iterable[str]], apply: Callable[[Session], R]) -> R:
        """Run a mutation once per key: a repeated key answers with the result of the first call."""
        try:
            with Session(self._writer, expire_on_commit=False) as session:
                self._lock_accounts(session, locked_accounts(session))
                # looked up after the lock, so a concurrent twin has either committed or not begun
                done = session.get(ProcessedRequest, (operation, key))
                if done is not None:
                    return decode_result(result_type, done.result)
                result = apply(session)
                session.add(ProcessedRequest(operation=operation, request_id=key, processed_at=self._now(),
                                             result=encode_result(result)))
                session.commit()
                return result
        except IntegrityError:
            # a twin committed the same key first; its effect stands and ours was rolled back
            with self._reading() as session:
                done = session.get(ProcessedRequest, (operation, key))
                if done is None:
                    raise
                return decode_result(result_type, done.result)

    @staticmethod
    def _lock_accounts(session: Session, account_ids: Iterable[str]) -> None:
        """Lock accounts in id order, so two transfers never deadlock (SQLite: BEGIN IMMEDIATE did)."""
        wanted = sorted(set(account_ids))
        found = set(session.scalars(select(AccountRow.id).where(AccountRow.id.in_(wanted))
                                    .order_by(AccountRow.id).with_for_update()))
        missing = [account_id for account_id in wanted if account_id not in found]
        if missing:
            raise BillingNotFound(f"no account {missing[0]!r}")

    @staticmethod
    def _account_row(session: Session, account_id: str) -> AccountRow:
        row = session.get(AccountRow, account_id)
        if row is None:
            raise BillingNotFound(f"no account {account_id!r}")
        return row

    @staticmethod
    def _service_row(session: Session, service_id: str) -> ServiceRow:
        row = session.get(ServiceRow, service_id)
        if row is None:
            raise BillingNotFound(f"no service {service_id!r}")
        return row

    @staticmethod
    def _account_of_service(session: Session, service_id: str) -> str:
        # only the id: the service itself is loaded after its account is locked, so it is current
        account_id = session.scalar(select(ServiceRow.account_id).where(ServiceRow.id == service_id))
        if account_id is None:
            raise BillingNotFound(f"no service {service_id!r}")
        return account_id

    @staticmethod
    def _services_of(session: Session, account_id: str) -> Sequence[ServiceRow]:
        return session.scalars(select(ServiceRow).where(ServiceRow.account_id == account_id)
                               .order_by(ServiceRow.position, ServiceRow.id)).all()

    @staticmethod
    def _tariffs_of_kind(session: Session, kind: str) -> Sequence[TariffRow]:
        return session.scalars(select(TariffRow).where(TariffRow.kind == kind)
                               .order_by(TariffRow.position)).all()

    def _record(self, session: Session, account: AccountRow, kind: OperationKind, amount: Decimal,
                description: str) -> None:
        account.balance += amount
        session.add(HistoryRow(account_id=account.id, at=self._now(), kind=kind.value, amount=amount,
                               description=description))

    def _lift_debt_suspensions(self, session: Session, account: AccountRow) -> None:
        """Money that clears the debt restores the services suspended for it, as a billing would."""
        if account.balance < 0:
            return
        for service in self._services_of(session, account.id):
            if service.status == ServiceStatus.SUSPENDED.value and service.suspension_code == "debt":
                service.status, service.tariff_change_allowed = ServiceStatus.ACTIVE.value, True
                service.suspension_code, service.suspension_since, service.suspension_details = None, None, ""

    # --- identity ------------------------------------------------------------------------------
    @_remote
    def resolve_subscriber(self, login: str) -> str | None:
        with self._reading() as session:
            return session.scalar(select(SubscriberRow.id).where(SubscriberRow.login == login))

    # --- accounts and services -----------------------------------------------------------------
    @_remote
    def accounts(self, subscriber_id: str) -> Sequence[Account]:
        with self._reading() as session:
            if session.get(SubscriberRow, subscriber_id) is None:
                raise BillingNotFound(f"no subscriber {subscriber_id!r}")
            rows = session.scalars(select(AccountRow).where(AccountRow.subscriber_id == subscriber_id)
                                   .order_by(AccountRow.number)).all()
            return [row.to_record() for row in rows]

    @_remote
    def account(self, account_id: str) -> Account:
        with self._reading() as session:
            return self._account_row(session, account_id).to_record()

    @_remote
    def services(self, account_id: str) -> Sequence[Service]:
        with self._reading() as session:
            self._account_row(session, account_id)
            return [row.to_record(self._today()) for row in self._services_of(session, account_id)]

    @_remote
    def service(self, service_id: str) -> Service:
        with self._reading() as session:
            return self._service_row(session, service_id).to_record(self._today())

    # --- tariffs -------------------------------------------------------------------------------
    @_remote
    def tariffs(self, service_id: str) -> Sequence[TariffOffer]:
        with self._reading() as session:
            service, today = self._service_row(session, service_id), self._today()
            current = service.state(today).tariff
            offers = [TariffOffer(current.to_record(), current=True, change_fee=NO_CHANGE_FEE)]
            if service.to_record(today).tariff_change_allowed:
                offers += [TariffOffer(tariff.to_record(), current=False, change_fee=NO_CHANGE_FEE,
                                       effective_date=first_of_next_month(today))
                           for tariff in self._tariffs_of_kind(session, service.kind)
                           if tariff.id != current.id]
            return offers

    @_remote
    def change_tariff(self, service_id: str, tariff_id: str, request_id: str) -> ActionResult:
        def apply(session: Session) -> ActionResult:
            service, today = self._service_row(session, service_id), self._today()
            state = service.settle(today)
            if state.status not in CHANGEABLE_STATUSES or not service.tariff_change_allowed:
                raise BillingRejected(_NO_TARIFF_CHANGE[state.status], "tariff_change_not_allowed")
            if state.closes_on is not None:
                raise BillingRejected(f"Услуга будет отключена с {state.closes_on:%d.%m.%Y}: сменить её тариф нельзя",
                                      "tariff_change_not_allowed")
            offered = {tariff.id: tariff for tariff in self._tariffs_of_kind(session, service.kind)}
            if tariff_id not in offered:
                raise BillingRejected("Этот тариф недоступен для услуги", "tariff_not_offered")
            tariff = offered[tariff_id]
            if tariff.id == state.tariff.id:
                raise BillingRejected(f"Тариф «{tariff.name}» уже подключён", "tariff_is_current")
            effective = first_of_next_month(today)
            service.planned_tariff, service.planned_from = tariff, effective
            return ActionResult(ok=True, reference=_new_reference("TC"), effective_date=effective,
                                message=f"Тариф «{tariff.name}» будет подключён с {effective:%d.%m.%Y}")

        return self._once("change_tariff", request_id, ActionResult,
                          lambda session: [self._account_of_service(session, service_id)], apply)

    @_remote
    def disconnect_service(self, service_id: str, request_id: str) -> ActionResult:
        def apply(session: Session) -> ActionResult:
            service, today = self._service_row(session, service_id), self._today()
            state = service.settle(today)
            refusal = service.disconnect_refusal(state)
            if refusal is not None:
                raise BillingRejected(*refusal)
            effective = first_of_next_month(today)
            session.add(ServiceClosureRow(service_id=service.id, closes_on=effective))
            service.planned_tariff, service.planned_from = None, None    # it would start the day the service ends
            return ActionResult(ok=True, reference=_new_reference("DS"), effective_date=effective,
                                message=f"Услуга «{service.name}» будет отключена с {effective:%d.%m.%Y}")

        return self._once("disconnect_service", request_id, ActionResult,
                          lambda session: [self._account_of_service(session, service_id)], apply)

    # --- voluntary block -----------------------------------------------------------------------
    @_remote
    def block_terms(self, account_id: str) -> BlockTerms:
        with self._reading() as session:
            self._account_row(session, account_id)
            today = self._today()
            states = [row.state(today) for row in self._services_of(session, account_id)]
            until = [s.blocked_until for s in states if s.status is ServiceStatus.BLOCKED and s.blocked_until]
            schedule = session.get(ScheduledBlockRow, account_id)
            upcoming = schedule if schedule is not None and schedule.upcoming(today) else None
            return BlockTerms(BLOCK_MIN_DAYS, BLOCK_MAX_DAYS, BLOCK_FEE_PER_DAY, blocked=bool(until),
                              blocked_until=max(until, default=None), description=BLOCK_DESCRIPTION,
                              earliest_start=today + timedelta(days=1),
                              latest_start=today + timedelta(days=BLOCK_SCHEDULE_AHEAD_DAYS),
                              scheduled_from=upcoming.starts_on if upcoming else None,
                              scheduled_until=upcoming.ends_on if upcoming else None)

    @staticmethod
    def _check_block_days(days: int) -> None:
        if not BLOCK_MIN_DAYS <= days <= BLOCK_MAX_DAYS:
            raise BillingRejected(f"Услуги можно заблокировать на срок от {BLOCK_MIN_DAYS} "
                                  f"до {BLOCK_MAX_DAYS} дней", "block_days_out_of_range")

    @staticmethod
    def _check_block_start(date_from: date, date_to: date, today: date) -> None:
        """The first day of a scheduled block: after today, not too far ahead, not after its last day."""
        if date_to < date_from:
            raise BillingRejected("Окончание блокировки раньше её начала", "invalid_period")
        earliest, latest = today + timedelta(days=1), today + timedelta(days=BLOCK_SCHEDULE_AHEAD_DAYS)
        if date_from < earliest:
            raise BillingRejected(f"Запланировать блокировку можно с {earliest:%d.%m.%Y}; чтобы заблокировать "
                                  f"услуги с сегодняшнего дня, укажите срок блокировки", "block_start_too_early")
        if date_from > latest:
            raise BillingRejected(f"Блокировку можно запланировать не больше чем на {BLOCK_SCHEDULE_AHEAD_DAYS} "
                                  f"дней вперёд: начните её не позже {latest:%d.%m.%Y}", "block_start_too_late")

    def _blockable(self, session: Session, account_id: str, today: date) -> list[ServiceRow]:
        """The account's working services a new block would pause; refused while a block runs or
        is scheduled. A scheduled block that is over is cleared here."""
        rows = self._services_of(session, account_id)
        statuses = [row.settle(today).status for row in rows]
        if ServiceStatus.BLOCKED in statuses:
            raise BillingRejected("Услуги уже заблокированы. Сначала разблокируйте их", "already_blocked")
        schedule = session.get(ScheduledBlockRow, account_id)
        if schedule is not None and schedule.upcoming(today):
            raise BillingRejected(f"Блокировка уже запланирована с {schedule.starts_on:%d.%m.%Y} по "
                                  f"{schedule.ends_on:%d.%m.%Y}. Сначала отмените её", "block_already_scheduled")
        if schedule is not None:
            session.delete(schedule)
            session.flush()
        active = [row for row, status in zip(rows, statuses, strict=True) if status is ServiceStatus.ACTIVE]
        if not active:
            raise BillingRejected("На лицевом счёте нет работающих услуг, которые можно заблокировать",
                                  "nothing_to_block")
        return active

    @_remote
    def block_services(self, account_id: str, days: int, request_id: str) -> ActionResult:
        def apply(session: Session) -> ActionResult:
            self._check_block_days(days)
            today = self._today()
            active = self._blockable(session, account_id, today)
            until = today + timedelta(days=days)
            for row in active:
                row.status, row.blocked_until = ServiceStatus.BLOCKED.value, until
            self._record(session, self._account_row(session, account_id), OperationKind.CHARGE,
                         -(BLOCK_FEE_PER_DAY * days), f"Добровольная блокировка услуг на {days} дн.")
            return ActionResult(ok=True, reference=_new_reference("BL"), effective_date=today,
                                message=f"Услуги заблокированы до {until:%d.%m.%Y}",
                                extra={"blocked_until": until.isoformat(),
                                       "services": [row.id for row in active]})

        return self._once("block_services", request_id, ActionResult, lambda session: [account_id], apply)

    @_remote
    def schedule_block(self, account_id: str, date_from: date, date_to: date, request_id: str) -> ActionResult:
        def apply(session: Session) -> ActionResult:
            today = self._today()
            self._check_block_start(date_from, date_to, today)
            days = (date_to - date_from).days + 1
            self._check_block_days(days)
            active = self._blockable(session, account_id, today)
            fee = BLOCK_FEE_PER_DAY * days
            schedule = ScheduledBlockRow(account_id=account_id, starts_on=date_from, ends_on=date_to, fee=fee)
            session.add(schedule)
            # charged now for the whole period, as a block at once is; returned if cancelled before it starts
            self._record(session, self._account_row(session, account_id), OperationKind.CHARGE, -fee,
                         f"Добровольная блокировка услуг с {date_from:%d.%m.%Y} по {date_to:%d.%m.%Y} ({days} дн.)")
            return ActionResult(ok=True, reference=_new_reference("BS"), effective_date=date_from,
                                message=f"Блокировка услуг запланирована с {date_from:%d.%m.%Y} "
                                        f"по {date_to:%d.%m.%Y} включительно",
                                extra={"blocked_until": schedule.resumes_on.isoformat(),
                                       "services": [row.id for row in active]})

        return self._once("schedule_block", request_id, ActionResult, lambda session: [account_id], apply)

    @_remote
    def unblock_services(self, account_id: str, request_id: str) -> ActionResult:
        def apply(session: Session) -> ActionResult:
            today = self._today()
            account = self._account_row(session, account_id)
            schedule = session.get(ScheduledBlockRow, account_id)
            if schedule is not None and schedule.upcoming(today):
                return self._cancel_scheduled_block(session, account, schedule)
            blocked = [row for row in self._services_of(session, account_id)
                       if row.settle(today).status is ServiceStatus.BLOCKED]
            if schedule is not None:      # running or over: the services' rows carry what is left of it
                session.delete(schedule)
            if not blocked:
                raise BillingRejected("Заблокированных услуг нет", "not_blocked")
            # a block without an end date (set by the operator, not by block_services) was not paid ahead
            unused_days = max(((row.blocked_until - today).days for row in blocked
                               if row.blocked_until is not None), default=0)
            for row in blocked:
                row.status, row.blocked_until = ServiceStatus.ACTIVE.value, None
            message = "Услуги разблокированы"
            if unused_days > 0:
                refund = BLOCK_FEE_PER_DAY * unused_days
                self._record(session, account, OperationKind.REFUND, refund,
                             f"Возврат за неиспользованные дни блокировки ({unused_days} дн.)")
                message += f", на счёт возвращено {rub(refund)}"
            return ActionResult(ok=True, reference=_new_reference("UB"), effective_date=today,
                                message=message)

        return self._once("unblock_services", request_id, ActionResult, lambda session: [account_id], apply)

    def _cancel_scheduled_block(self, session: Session, account: AccountRow,
                                schedule: ScheduledBlockRow) -> ActionResult:
        """A block that has not started is cancelled, and its whole fee returned."""
        session.delete(schedule)
        self._record(session, account, OperationKind.REFUND, schedule.fee,
                     f"Возврат за отменённую блокировку с {schedule.starts_on:%d.%m.%Y}")
        return ActionResult(ok=True, reference=_new_reference("UB"), effective_date=self._today(),
                            message=f"Запланированная блокировка с {schedule.starts_on:%d.%m.%Y} отменена, "
                                    f"на счёт возвращено {rub(schedule.fee)}")

    # --- history -------------------------------------------------------------------------------
    @staticmethod
    def _period(date_from: date, date_to: date) -> tuple[datetime, datetime]:
        """Whole days of the operator's time zone, both ends included: [start, end)."""
        if date_from > date_to:
            raise BillingRejected("Начало периода позже его окончания", "invalid_period")
        return (datetime.combine(date_from, time.min, MOSCOW),
                datetime.combine(date_to + timedelta(days=1), time.min, MOSCOW))

    @_remote
    def history(self, account_id: str, date_from: date, date_to: date, limit: int | None = None,
                offset: int = 0) -> Sequence[HistoryEntry]:
        start, end = self._period(date_from, date_to)
        where = (HistoryRow.account_id == account_id, HistoryRow.at >= start, HistoryRow.at < end)
        with self._reading() as session:
            self._account_row(session, account_id)
            rows = self._window(session, HistoryRow, where, (HistoryRow.at.desc(), HistoryRow.id.desc()), limit,
                                offset)
            return _records(rows, HistoryRow.to_record)

    # --- usage detail --------------------------------------------------------------------------
    @_remote
    def usage(self, account_id: str, date_from: date, date_to: date) -> Usage:
        start, end = self._period(date_from, date_to)
        with self._reading() as session:
            self._account_row(session, account_id)
            records = session.scalars(select(UsageRow).where(
                UsageRow.account_id == account_id, UsageRow.at >= start, UsageRow.at < end)
                .order_by(UsageRow.at.desc(), UsageRow.id.desc())).all()
            return Usage(tuple(row.to_record() for row in records), self._packages_of(session, account_id))

    @_remote
    def package_balances(self, account_id: str) -> tuple[PackageBalance, ...]:
        """The account's packages now, without usage records: not an operation of the contract (usage
        gives them), but a billing's API may serve them apart (the billing simulator does)."""
        with self._reading() as session:
            self._account_row(session, account_id)
            return self._packages_of(session, account_id)

    @staticmethod
    def _packages_of(session: Session, account_id: str) -> tuple[PackageBalance, ...]:
        rows = session.scalars(select(PackageRow).where(PackageRow.account_id == account_id)
                               .order_by(PackageRow.position, PackageRow.id)).all()
        return tuple(row.to_record() for row in rows)

    # --- promised payment ----------------------------------------------------------------------
    @_remote
    def promised_payment_terms(self, account_id: str) -> PromisedPaymentTerms:
        with self._reading() as session:
            return self._promised_terms(session, self._account_row(session, account_id))

    def _promised_terms(self, session: Session, account: AccountRow) -> PromisedPaymentTerms:
        today = self._today()
        amount = account.recommended_amount or Decimal("0.00")
        last = session.scalars(select(PromisedPaymentRow).where(PromisedPaymentRow.account_id == account.id)
                               .order_by(PromisedPaymentRow.activated_on.desc(), PromisedPaymentRow.id.desc())
                               .limit(1)).first()
        terms: _TermsBase = {"amount": amount, "repay_days": PROMISED_REPAY_DAYS,
                             "interval_days": PROMISED_INTERVAL_DAYS,
                             "repay_by": today + timedelta(days=PROMISED_REPAY_DAYS)}
        next_allowed = last.activated_on + timedelta(days=PROMISED_INTERVAL_DAYS) if last else None
        if last is not None and today <= last.repay_by:
            return PromisedPaymentTerms(
                **terms, eligible=False, active=True, available_from=next_allowed,
                ineligible_reason=f"Обещанный платёж уже подключён: погасите его до {last.repay_by:%d.%m.%Y}")
        if next_allowed is not None and today < next_allowed:
            return PromisedPaymentTerms(
                **terms, eligible=False, available_from=next_allowed,
                ineligible_reason=f"Обещанный платёж можно подключать раз в {PROMISED_INTERVAL_DAYS} дней. "
                                  f"Следующий — с {next_allowed:%d.%m.%Y}")
        if amount <= 0:
            return PromisedPaymentTerms(**terms, eligible=False,
                                        ineligible_reason="Сейчас нет суммы к оплате")
        return PromisedPaymentTerms(**terms, eligible=True)

    @_remote
    def activate_promised_payment(self, account_id: str, request_id: str) -> ActionResult:
        def apply(session: Session) -> ActionResult:
            account = self._account_row(session, account_id)
            terms = self._promised_terms(session, account)
            if not terms.eligible:
                raise BillingRejected(terms.ineligible_reason, "promised_payment_unavailable")
            session.add(PromisedPaymentRow(account_id=account_id, amount=terms.amount,
                                           activated_on=self._today(), repay_by=terms.repay_by))
            self._record(session, account, OperationKind.PAYMENT, terms.amount, "Обещанный платёж")
            self._lift_debt_suspensions(session, account)
            return ActionResult(ok=True, reference=_new_reference("PP"), effective_date=terms.repay_by,
                                message=f"Обещанный платёж {rub(terms.amount)} зачислен. "
                                        f"Погасите его до {terms.repay_by:%d.%m.%Y}")

        return self._once("activate_promised_payment", request_id, ActionResult,
                          lambda session: [account_id], apply)

    # --- catalog and orders --------------------------------------------------------------------
    @_remote
    def catalog(self) -> Sequence[CatalogItem]:
        with self._reading() as session:
            rows = session.scalars(select(CatalogItemRow).order_by(CatalogItemRow.position)).all()
            return [row.to_record() for row in rows]

    @_remote
    def order(self, account_id: str, item_id: str, request_id: str) -> Order:
        def apply(session: Session) -> Order:
            item = session.get(CatalogItemRow, item_id)
            if item is None:
                raise BillingNotFound(f"no catalog item {item_id!r}")
            if item.monthly and session.scalar(select(OrderRow.id).where(
                    OrderRow.account_id == account_id, OrderRow.item_id == item_id,
                    OrderRow.status != OrderStatus.CANCELLED.value).limit(1)):
                raise BillingRejected(f"Услуга «{item.name}» уже заказана на этот лицевой счёт",
                                      "already_ordered")
            row = OrderRow(id=_new_reference("ORD"), account_id=account_id, item=item,
                           status=OrderStatus.NEW.value, created_at=self._now())
            session.add(row)
            return row.to_record()

        return self._once("order", request_id, Order, lambda session: [account_id], apply)

    @_remote
    def cancel_order(self, account_id: str, order_id: str, request_id: str) -> Order:
        def apply(session: Session) -> Order:
            row = session.get(OrderRow, order_id)
            if row is None or row.account_id != account_id:
                raise BillingNotFound(f"no order {order_id!r} on account {account_id!r}")
            if row.status != OrderStatus.NEW.value:
                raise BillingRejected("Заказ уже в работе или выполнен — отменить его можно только через поддержку",
                                      "order_not_cancellable")
            row.status = OrderStatus.CANCELLED.value
            return row.to_record()

        return self._once("cancel_order", request_id, Order, lambda session: [account_id], apply)

    @_remote
    def orders(self, account_id: str) -> Sequence[Order]:
        with self._reading() as session:
            self._account_row(session, account_id)
            rows = session.scalars(select(OrderRow).where(OrderRow.account_id == account_id)
                                   .order_by(OrderRow.created_at.desc(), OrderRow.id)).all()
            return [row.to_record() for row in rows]

    # --- money ---------------------------------------------------------------------------------
    @_remote
    def register_payment(self, account_id: str, amount: Decimal, payment_id: str) -> PaymentReceipt:
        value = _money(amount)

        def apply(session: Session) -> PaymentReceipt:
            account = self._account_row(session, account_id)
            self._record(session, account, OperationKind.PAYMENT, value, "Оплата банковской картой")
            self._lift_debt_suspensions(session, account)
            return PaymentReceipt(payment_id, account_id, value, self._now(), _new_reference("PAY"))

        return self._once("register_payment", payment_id, PaymentReceipt, lambda session: [account_id], apply)

    @_remote
    def transfer(self, from_account_id: str, to_account_id: str, amount: Decimal,
                 request_id: str) -> TransferReceipt:
        value = _money(amount)
        if from_account_id == to_account_id:
            raise BillingRejected("Выберите другой лицевой счёт: перевод на тот же счёт невозможен",
                                  "same_account")

        def apply(session: Session) -> TransferReceipt:
            source = self._account_row(session, from_account_id)
            target = self._account_row(session, to_account_id)
            _refuse_beyond_balance(source, value)
            self._record(session, source, OperationKind.TRANSFER, -value,
                         f"Перевод на лицевой счёт {target.number}")
            self._record(session, target, OperationKind.TRANSFER, value,
                         f"Перевод с лицевого счёта {source.number}")
            self._lift_debt_suspensions(session, target)
            return TransferReceipt(_new_reference("TR"), from_account_id, to_account_id, value, self._now())

        return self._once("transfer", request_id, TransferReceipt,
                          lambda session: [from_account_id, to_account_id], apply)

    # --- service balances ----------------------------------------------------------------------
    @_remote
    def top_up_service(self, account_id: str, service_id: str, amount: Decimal, request_id: str) -> ActionResult:
        value = _money(amount)

        def apply(session: Session) -> ActionResult:
            account = self._account_row(session, account_id)
            service = self._service_row(session, service_id)
            if service.account_id != account_id:
                raise BillingNotFound(f"no service {service_id!r} on account {account_id!r}")
            wallet = session.get(ServiceWalletRow, service_id)
            if wallet is None:
                raise BillingRejected(f"У услуги «{service.name}» нет собственного баланса: она оплачивается "
                                      f"с лицевого счёта {account.number}", "no_service_balance")
            _refuse_beyond_balance(account, value)
            self._record(session, account, OperationKind.TRANSFER, -value,
                         f"Перевод на баланс услуги «{service.name}»")
            wallet.balance += value
            # the service's side: money in, on the service and not on the account's balance
            session.add(HistoryRow(account_id=account_id, at=self._now(), kind=OperationKind.TRANSFER.value,
                                   amount=value, service_id=service_id,
                                   description=f"Пополнение баланса услуги «{service.name}» "
                                               f"с лицевого счёта {account.number}"))
            return ActionResult(ok=True, reference=_new_reference("ST"), effective_date=self._today(),
                                message=f"Баланс услуги «{service.name}» пополнен на {rub(value)}: "
                                        f"теперь {rub(wallet.balance)}")

        return self._once("top_up_service", request_id, ActionResult, lambda session: [account_id], apply)

    # --- bonus programmes ----------------------------------------------------------------------
    @staticmethod
    def _memberships(session: Session, account_id: str) -> dict[str, BonusMembershipRow]:
        """The account's points by programme, of the one it is in and of those it left."""
        rows = session.scalars(select(BonusMembershipRow).where(BonusMembershipRow.account_id == account_id))
        return {row.programme_id: row for row in rows}

    @staticmethod
    def _current(memberships: dict[str, BonusMembershipRow]) -> BonusMembershipRow | None:
        return next((row for row in memberships.values() if row.current), None)

    @_remote
    def bonuses(self, account_id: str) -> BonusBalance:
        with self._reading() as session:
            account = self._account_row(session, account_id)
            return account.bonus_record(self._current(self._memberships(session, account_id)))

    @_remote
    def bonus_programmes(self, account_id: str) -> Sequence[BonusProgramme]:
        # the demo operator offers every programme to every account
        with self._reading() as session:
            self._account_row(session, account_id)
            memberships = self._memberships(session, account_id)
            programmes = session.scalars(select(BonusProgrammeRow).order_by(BonusProgrammeRow.position))
            return [programme.to_record(memberships.get(programme.id)) for programme in programmes]

    @_remote
    def join_bonus_programme(self, account_id: str, programme_id: str, request_id: str) -> ActionResult:
        def apply(session: Session) -> ActionResult:
            programme = session.get(BonusProgrammeRow, programme_id)
            if programme is None:
                raise BillingNotFound(f"no bonus programme {programme_id!r}")
            memberships = self._memberships(session, account_id)
            left = self._current(memberships)
            if left is not None and left.programme_id == programme_id:
                raise BillingRejected(f"Вы уже участвуете в программе «{programme.name}»", "already_joined")
            if left is not None:
                left.current = False
            joined = memberships.get(programme_id)
            if joined is None:
                joined = BonusMembershipRow(account_id=account_id, programme_id=programme_id, points=Decimal(0))
                session.add(joined)
            joined.current = True
            message = f"Вы участвуете в программе «{programme.name}»"
            if left is not None:
                message += f"; участие в программе «{left.programme.name}» завершено"
            return ActionResult(ok=True, reference=_new_reference("BP"), effective_date=self._today(),
                                message=message)

        return self._once("join_bonus_programme", request_id, ActionResult, lambda session: [account_id], apply)

    @_remote
    def spend_bonus_points(self, account_id: str, reward_id: str, request_id: str) -> ActionResult:
        def apply(session: Session) -> ActionResult:
            reward = session.get(BonusRewardRow, reward_id)
            if reward is None:
                raise BillingNotFound(f"no bonus reward {reward_id!r}")
            current = self._current(self._memberships(session, account_id))
            if current is None or current.programme_id != reward.programme_id:
                raise BillingRejected(f"«{reward.name}» — подарок другой бонусной программы: на него обмениваются "
                                      f"баллы только её участников", "reward_not_in_programme")
            if current.points < reward.cost_points:
                raise BillingRejected(f"Недостаточно баллов: «{reward.name}» стоит {reward.cost_points}, "
                                      f"у вас {current.points}", "insufficient_points")
            current.points -= reward.cost_points
            account = self._account_row(session, account_id)
            # a discount is money on the account; other rewards leave an entry of no amount
            self._record(session, account, OperationKind.BONUS, reward.credit,
                         f"Обмен баллов ({reward.cost_points}): {reward.name}")
            self._lift_debt_suspensions(session, account)
            return ActionResult(ok=True, reference=_new_reference("BR"), effective_date=self._today(),
                                message=f"«{reward.name}»: списано баллов — {reward.cost_points}, "
                                        f"осталось — {current.points}")

        return self._once("spend_bonus_points", request_id, ActionResult, lambda session: [account_id], apply)

    # --- requisites ----------------------------------------------------------------------------
    @_remote
    def payment_pages(self, account_id: str, locale: str = "ru") -> Sequence[PaymentPage]:
        """The billing's own payment site, when it has one (``payment_site``): a page per account."""
        with self._reading() as session:
            row = self._account_row(session, account_id)
        if not self.payment_site:
            return []
        english = locale == "en"
        return [PaymentPage(name="Demo Telecom payment site" if english else "Сайт оплаты Демо Телеком",
                            url=f"{self.payment_site}/pay/{row.number}",
                            description="Bank card or online banking, no fee" if english
                            else "Банковская карта или интернет-банк, без комиссии")]

    def requisites(self, account_id: str) -> Requisites:
        with self._reading() as session:
            self._account_row(session, account_id)
            row = session.get(RequisitesRow, account_id)
            return row.to_record() if row else Requisites(account_id, payer_name="")

    @_remote
    def update_requisites(self, account_id: str, payer_name: str, request_id: str, email: str = "",
                          phone: str = "", postal_address: str = "") -> Requisites:
        # the form shows every field, so an empty one clears it
        payer_name, email, phone, postal_address = (
            value.strip() for value in (payer_name, email, phone, postal_address))
        if not payer_name:
            raise BillingRejected("Укажите имя плательщика", "payer_name_required")
        if email and not _EMAIL.match(email):
            raise BillingRejected("Проверьте адрес электронной почты", "invalid_email")
        if phone and not 10 <= sum(ch.isdigit() for ch in phone) <= 15:
            raise BillingRejected("Укажите телефон в формате +7 (900) 000-00-00", "invalid_phone")

        def apply(session: Session) -> Requisites:
            row = session.get(RequisitesRow, account_id)
            if row is None:
                row = RequisitesRow(account_id=account_id, payer_name=payer_name)
                session.add(row)
            row.payer_name, row.email, row.phone = payer_name, email, phone
            row.postal_address = postal_address
            return row.to_record()

        return self._once("update_requisites", request_id, Requisites, lambda session: [account_id], apply)

    # --- dealer --------------------------------------------------------------------------------
    @_remote
    def dealer_subscribers(self, dealer_id: str, limit: int | None = None, offset: int = 0,
                           search: str | None = None) -> Sequence[DealerSubscriber]:
        where = [DealerSubscriberRow.dealer_id == dealer_id]
        term = (search or "").strip()
        if term:
            folded = self._fold(term)
            where.append(or_(*(self._folded(column).contains(folded, autoescape=True) for column in (
                DealerSubscriberRow.name, DealerSubscriberRow.phone, DealerSubscriberRow.contract))))
        with self._reading() as session:
            self._dealer_row(session, dealer_id)
            newest_first = (DealerSubscriberRow.added_on.desc(), DealerSubscriberRow.id)
            rows = self._window(session, DealerSubscriberRow, where, newest_first, limit, offset)
            if search is not None and not isinstance(rows, Page):
                rows = Page(rows, total=len(rows))      # searched: say so by answering a Page
            return _records(rows, DealerSubscriberRow.to_record)

    @_remote
    def dealer_orders(self, dealer_id: str) -> DealerOrderStats:
        with self._reading() as session:
            dealer = self._dealer_row(session, dealer_id)
            return DealerOrderStats(dealer.orders_total, dealer.orders_processed, dealer.orders_in_progress)

    @staticmethod
    def _dealer_row(session: Session, dealer_id: str) -> DealerRow:
        row = session.get(DealerRow, dealer_id)
        if row is None:
            raise BillingNotFound(f"no dealer {dealer_id!r}")
        return row
