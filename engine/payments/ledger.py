"""The payments ledger: money is never lost or counted twice.

A payment is written before the payer goes to the gateway. Its status moves only along the
transitions below; a gateway event is kept under its unique id, so a replayed or duplicated
notification changes nothing the second time. The billing is credited only from ``succeeded``,
with the payment's own id (the billing credits one id once), and a failed credit is retried —
by the reconciliation job too, so an engine killed between the notification and the credit
credits after its restart, exactly once.

    created ──> redirected ──> succeeded ──> credited
       │             ├──────> declined
       │             └──────> expired
       └──> failed (the gateway refused to start it) / succeeded (a saved card charged at once)
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Callable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..state.db import Database
from ..state.payments import Payment, PaymentEvent
from .gateway import GatewaySession, Notification, PaymentStatus

log = logging.getLogger(__name__)

CREATED, REDIRECTED, SUCCEEDED, CREDITED = "created", "redirected", "succeeded", "credited"
DECLINED, EXPIRED, FAILED = "declined", "expired", "failed"
TRANSITIONS: dict[str, frozenset[str]] = {
    CREATED: frozenset({REDIRECTED, SUCCEEDED, DECLINED, EXPIRED, FAILED}),
    REDIRECTED: frozenset({SUCCEEDED, DECLINED, EXPIRED}),
    SUCCEEDED: frozenset({CREDITED}),
    CREDITED: frozenset(), DECLINED: frozenset(), EXPIRED: frozenset(), FAILED: frozenset(),
}
FROM_GATEWAY = {PaymentStatus.SUCCEEDED: SUCCEEDED, PaymentStatus.DECLINED: DECLINED,
                PaymentStatus.EXPIRED: EXPIRED}
CREDIT_RETRY_SECONDS = 30
CREDIT_RETRY_CAP = 3600


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class PaymentView:
    """A payment as read at one moment (rows never leave their session)."""

    id: str
    login: str
    account_id: str
    amount: Decimal
    currency: str
    purpose: str
    status: str
    gateway_payment_id: str | None
    card_mask: str
    decline_reason: str
    billing_reference: str
    created_at: datetime

    @classmethod
    def of(cls, row: Payment) -> "PaymentView":
        return cls(row.id, row.login, row.account_id, row.amount, row.currency, row.purpose, row.status,
                   row.gateway_payment_id, row.card_mask, row.decline_reason, row.billing_reference, row.created_at)


class IllegalTransition(Exception):
    pass


class Ledger:
    def __init__(self, db: Database, gateway: str):
        self.db = db
        self.gateway = gateway
        #: called as ``hook(session, payment_row, event)`` in the transaction that records a success,
        #: so what depends on it (autopay keeping the saved card) happens exactly when it does
        self.on_succeeded: list[Callable] = []

    # --- opening ----------------------------------------------------------------------------------
    def open(self, *, key: str, login: str, account_id: str, amount: Decimal, currency: str,
             purpose: str = "top_up") -> PaymentView:
        """Write the payment before anything else; the same form key opens it once (a double
        click on "Пополнить" is one payment)."""
        now = _now()
        row = Payment(id=uuid.uuid4().hex, key=key, created_at=now, updated_at=now, login=login,
                      account_id=account_id, amount=amount, currency=currency, purpose=purpose, status=CREATED,
                      gateway=self.gateway, card_mask="", decline_reason="", billing_reference="",
                      credit_attempts=0, last_error="")
        try:
            with self.db.session() as session:
                session.add(row)
            return PaymentView.of(row)
        except IntegrityError:
            with self.db.session() as session:
                return PaymentView.of(session.scalars(select(Payment).where(Payment.key == key)).one())

    def attach(self, payment_id: str, started: GatewaySession) -> PaymentView:
        """The gateway accepted the payment: remember its id; a saved card may be charged already."""
        with self.db.session() as session:
            row = self._locked_own(session, payment_id)
            row.gateway_payment_id = started.gateway_payment_id
            target = FROM_GATEWAY.get(started.status, REDIRECTED)
            if row.status == CREATED:
                self._move(row, target)
            return PaymentView.of(row)

    def fail(self, payment_id: str, reason: str) -> PaymentView:
        with self.db.session() as session:
            row = self._locked_own(session, payment_id)
            if row.status == CREATED:
                self._move(row, FAILED)
                row.decline_reason = reason[:500]
            return PaymentView.of(row)

    # --- gateway events ----------------------------------------------------------------------------
    def apply(self, event: Notification) -> tuple[PaymentView | None, bool]:
        """Apply a verified gateway event once. Returns the payment and whether it changed."""
        try:
            return self._apply(event)
        except IntegrityError:   # the same event, applied by a twin request at this very moment
            return self.get(event.payment_id), False

    def _apply(self, event: Notification) -> tuple[PaymentView | None, bool]:
        with self.db.session() as session:
            row = self._locked(session, event.payment_id)
            if row is None:
                log.warning("gateway event %s names no payment of ours (%s)", event.event_id, event.payment_id)
                return None, False
            seen = session.scalars(select(PaymentEvent.id).where(PaymentEvent.event_id == event.event_id)).first()
            if seen is not None:
                return PaymentView.of(row), False          # a replay: applied before
            target = FROM_GATEWAY.get(event.status)
            changed = False
            if event.amount != row.amount or event.currency != row.currency:
                log.error("gateway event %s for payment %s has %s %s, the payment %s %s: ignored",
                          event.event_id, row.id, event.amount, event.currency, row.amount, row.currency)
            elif target is not None and target in TRANSITIONS[row.status]:
                self._move(row, target)
                row.card_mask = event.card_mask or row.card_mask
                row.decline_reason = (event.decline_reason or "")[:500]
                row.gateway_payment_id = row.gateway_payment_id or event.gateway_payment_id
                changed = True
                if target == SUCCEEDED:
                    for hook in self.on_succeeded:
                        hook(session, row, event)
            session.add(PaymentEvent(event_id=event.event_id, payment_id=row.id, received_at=_now(),
                                     status=event.status.value, applied="changed" if changed else "ignored"))
            return PaymentView.of(row), changed

    # --- crediting the billing ---------------------------------------------------------------------
    def credit(self, payment_id: str, register: Callable[[str, Decimal, str], str]) -> PaymentView | None:
        """Credit a succeeded payment in the billing (``register(account_id, amount, payment_id)``
        returns the billing's reference). A failure leaves it succeeded with a retry scheduled.
        None when there is no such payment."""
        view = self.get(payment_id)
        if view is None or view.status != SUCCEEDED:
            return view
        try:
            reference = register(view.account_id, view.amount, view.id)
        except Exception as exc:  # any failure: retried later; the billing credits one id once
            with self.db.session() as session:
                row = self._locked_own(session, payment_id)
                row.credit_attempts += 1
                delay = min(CREDIT_RETRY_SECONDS * 2 ** (row.credit_attempts - 1), CREDIT_RETRY_CAP)
                row.next_credit_at = _now() + timedelta(seconds=delay)
                row.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                log.warning("crediting payment %s failed (attempt %d), retry in %d s: %s",
                            payment_id, row.credit_attempts, delay, exc)
                return PaymentView.of(row)
        with self.db.session() as session:
            row = self._locked_own(session, payment_id)
            if row.status == SUCCEEDED:
                self._move(row, CREDITED)
                row.billing_reference = str(reference)[:100]
                row.next_credit_at = None
            return PaymentView.of(row)

    # --- what the reconciliation job looks at -------------------------------------------------------
    def due_credits(self, limit: int = 50) -> list[str]:
        with self.db.session() as session:
            return list(session.scalars(
                select(Payment.id).where(Payment.status == SUCCEEDED)
                .where((Payment.next_credit_at.is_(None)) | (Payment.next_credit_at <= _now()))
                .order_by(Payment.created_at).limit(limit)))

    def waiting(self, older_than: timedelta, limit: int = 50) -> list[tuple[str, str]]:
        """Payments the gateway has not told us about for a while: (payment id, gateway id)."""
        with self.db.session() as session:
            rows = session.execute(
                select(Payment.id, Payment.gateway_payment_id)
                .where(Payment.status == REDIRECTED, Payment.updated_at <= _now() - older_than)
                .order_by(Payment.created_at).limit(limit))
            return [(pid, gid) for pid, gid in rows if gid]

    def get(self, payment_id: str) -> PaymentView | None:
        with self.db.session() as session:
            row = session.get(Payment, payment_id)
            return PaymentView.of(row) if row else None

    def of_login(self, login: str, limit: int = 20) -> list[PaymentView]:
        with self.db.session() as session:
            rows = session.scalars(select(Payment).where(Payment.login == login)
                                   .order_by(Payment.created_at.desc()).limit(limit))
            return [PaymentView.of(r) for r in rows]

    # --- helpers ----------------------------------------------------------------------------------
    @staticmethod
    def _locked(session: Session, payment_id: str) -> Payment | None:
        # a row lock on PostgreSQL; SQLite serialises writers anyway
        return session.get(Payment, payment_id, with_for_update=True)

    @staticmethod
    def _locked_own(session: Session, payment_id: str) -> Payment:
        """A payment the ledger opened (its id came from ``open``): payments are never deleted."""
        return session.get_one(Payment, payment_id, with_for_update=True)

    @staticmethod
    def _move(row: Payment, target: str) -> None:
        if target not in TRANSITIONS[row.status]:
            raise IllegalTransition(f"payment {row.id}: {row.status} -> {target}")
        row.status = target
        row.updated_at = _now()
