"""The sandbox acquirer's bank side: payments, their outcomes, saved cards, refunds and events.

Every change and the event that reports it are committed in one transaction; delivery starts after
the commit (so a merchant never hears of a state that was rolled back) and resumes when the
sandbox starts again. On SQLite every transaction takes the write lock up front (BEGIN IMMEDIATE):
the sandbox is small, and serialised transactions make "paid once" and "never refund more than
was paid" plain to read.
"""
from __future__ import annotations

import hmac
import json
import logging
import secrets
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from ...sqlengines import open_engine
from . import models as m
from .cards import INSUFFICIENT_FUNDS, THREE_DS_CODE, UNKNOWN_TOKEN, WRONG_3DS_CODE, Card, Outcome
from .notifier import MAX_ATTEMPTS, RETRY_DELAYS, Notifier

PAYMENT_TTL_SECONDS = 30 * 60
log = logging.getLogger(__name__)


class SandboxError(Exception):
    http_status = 400
    code = "invalid_request"


class Invalid(SandboxError):
    pass


class NotFound(SandboxError):
    http_status = 404
    code = "not_found"


class Conflict(SandboxError):
    http_status = 409
    code = "conflict"


class Refused(SandboxError):
    http_status = 422
    code = "refused"


@dataclass(frozen=True)
class NewPayment:
    order_id: str                 # the merchant's payment_id
    amount_minor: int
    currency: str
    description: str
    return_url: str
    notify_url: str
    customer_email: str | None = None
    save_card: bool = False
    card_token: str | None = None


def to_money(minor: int) -> str:
    return f"{Decimal(minor) / 100:.2f}"


def external_status(state: str) -> str:
    """What the merchant sees: waiting for 3-D Secure is still "pending"."""
    return m.PENDING if state == m.AWAITING_3DS else state


class Acquirer:
    def __init__(self, database_url: str, secret: str, public_url: str, *,
                 payment_ttl: float = PAYMENT_TTL_SECONDS, retry_delays: tuple[float, ...] = RETRY_DELAYS,
                 clock: Callable[[], float] = time.time):
        self.public_url = public_url.rstrip("/")
        self._ttl = payment_ttl
        self._clock = clock
        self._engine = open_engine(database_url, "the sandbox acquirer", begin="BEGIN IMMEDIATE")
        m.SandboxBase.metadata.create_all(self._engine)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self.notifier = Notifier(secret, self._record_attempt, retry_delays)
        self._resume_deliveries()
        self._closing = threading.Event()
        threading.Thread(target=self._expire_abandoned, name="sandbox-expiry", daemon=True).start()

    def close(self) -> None:
        self._closing.set()
        self.notifier.close()
        self._engine.dispose()

    # --- merchant API -----------------------------------------------------------------------------
    def create(self, new: NewPayment) -> m.Payment:
        """A new payment, or the one already created under this order id (idempotency)."""
        try:
            return self._create(new)
        except IntegrityError:   # another request created it at the same moment (PostgreSQL)
            return self._create(new)

    def _create(self, new: NewPayment) -> m.Payment:
        with self._transaction() as (session, events):
            existing = session.scalar(select(m.Payment).where(m.Payment.order_id == new.order_id))
            if existing is not None:
                if (existing.amount_minor, existing.currency, existing.charged_token) != \
                        (new.amount_minor, new.currency, new.card_token):
                    raise Conflict(f"payment_id {new.order_id!r} was already used for a payment of "
                                   f"{to_money(existing.amount_minor)} {existing.currency}; "
                                   f"use a new payment_id for a different payment")
                self._expire_if_due(session, existing, events)
                return existing
            now = self._clock()
            payment = m.Payment(
                id=f"pay_{secrets.token_hex(12)}", order_id=new.order_id, amount_minor=new.amount_minor,
                currency=new.currency, description=new.description, return_url=new.return_url,
                notify_url=new.notify_url, customer_email=new.customer_email,
                save_card_offered=new.save_card and not new.card_token, charged_token=new.card_token,
                state=m.PENDING, refunded_minor=0, nonce=secrets.token_urlsafe(24), created_at=now,
                expires_at=now + self._ttl, save_consented=False)
            session.add(payment)
            session.flush()   # the payment row first: its events refer to it
            if new.card_token:
                # a merchant-initiated charge of a saved card: no payer, no page, decided at once
                card = session.get(m.SavedCard, new.card_token)
                if card is not None:
                    self._finish(payment, m.SUCCEEDED, mask=card.card_mask)
                    payment.card_token = card.token
                else:
                    self._finish(payment, m.DECLINED, reason=UNKNOWN_TOKEN)
                self._event(session, payment, events)
            return payment

    def get(self, payment_id: str) -> m.Payment:
        with self._transaction() as (session, events):
            payment = self._load(session, payment_id)
            self._expire_if_due(session, payment, events)
            return payment

    def refund(self, payment_id: str, amount_minor: int, refund_id: str) -> tuple[m.Payment, m.Refund]:
        if amount_minor <= 0:
            raise Invalid("the refund amount must be more than zero")
        with self._transaction() as (session, events):
            payment = self._load(session, payment_id)
            done = session.scalar(select(m.Refund).where(m.Refund.payment_id == payment.id,
                                                         m.Refund.refund_id == refund_id))
            if done is not None:
                if done.amount_minor != amount_minor:
                    raise Conflict(f"refund_id {refund_id!r} was already used for a refund of "
                                   f"{to_money(done.amount_minor)} {payment.currency}")
                return payment, done
            self._expire_if_due(session, payment, events)
            if payment.state not in m.REFUNDABLE_STATES:
                raise Refused(f"only a succeeded payment can be refunded; this one is "
                              f"{external_status(payment.state)}")
            remaining = payment.amount_minor - payment.refunded_minor
            if amount_minor > remaining:
                raise Refused(f"the refund of {to_money(amount_minor)} {payment.currency} is more than the "
                              f"{to_money(remaining)} {payment.currency} that remains of the payment")
            payment.refunded_minor += amount_minor
            whole = payment.refunded_minor == payment.amount_minor
            payment.state = m.REFUNDED if whole else m.PARTIALLY_REFUNDED
            event_id = self._event(session, payment, events)
            refund = m.Refund(payment_id=payment.id, refund_id=refund_id, amount_minor=amount_minor,
                              event_id=event_id, created_at=self._clock())
            session.add(refund)
            session.flush()
            return payment, refund

    def resend(self, payment_id: str) -> str:
        """Deliver the payment's latest event again (same id and body), as a merchant asks after an outage."""
        with self._transaction() as (session, events):
            payment = self._load(session, payment_id)
            if payment.last_event_id is None:
                raise Refused("the payment has no outcome to report yet")
            # events are never deleted, so the payment's last one is there
            record = session.get_one(m.Event, payment.last_event_id)
            events.append(record)
            return record.id

    # --- the hosted page -------------------------------------------------------------------------
    def pay(self, payment_id: str, nonce: str, card: Card, save_card: bool) -> m.Payment:
        """The payer's card, once: a payment already decided (or waiting for 3-D Secure) is returned as is."""
        with self._transaction() as (session, events):
            payment = self._load(session, payment_id)
            self._expire_if_due(session, payment, events)
            if payment.state != m.PENDING:
                return payment
            self._check_nonce(payment, nonce)
            payment.card_mask = card.mask
            payment.save_consented = save_card and payment.save_card_offered
            if card.outcome is Outcome.THREE_DS:
                payment.state = m.AWAITING_3DS
                return payment
            if card.outcome is Outcome.DECLINE:
                self._finish(payment, m.DECLINED, reason=INSUFFICIENT_FUNDS)
            else:
                self._succeed(session, payment)
            self._event(session, payment, events)
            return payment

    def confirm_3ds(self, payment_id: str, nonce: str, code: str) -> m.Payment:
        with self._transaction() as (session, events):
            payment = self._load(session, payment_id)
            self._expire_if_due(session, payment, events)
            if payment.state != m.AWAITING_3DS:
                return payment
            self._check_nonce(payment, nonce)
            if hmac.compare_digest(code.strip().encode(), THREE_DS_CODE.encode()):
                self._succeed(session, payment)
            else:
                self._finish(payment, m.DECLINED, reason=WRONG_3DS_CODE)
            self._event(session, payment, events)
            return payment

    # --- views -------------------------------------------------------------------------------------
    def page_url(self, payment: m.Payment) -> str:
        return f"{self.public_url}/pay/{payment.id}"

    def describe(self, payment: m.Payment) -> dict:
        """The payment as the API and the notifications show it."""
        status = external_status(payment.state)
        return {
            "id": payment.id,
            "payment_id": payment.order_id,
            "status": status,
            "amount": to_money(payment.amount_minor),
            "currency": payment.currency,
            "refunded_amount": to_money(payment.refunded_minor),
            "description": payment.description,
            "card_mask": payment.card_mask,
            "card_token": payment.card_token,
            "decline_reason": payment.decline_reason,
            "redirect_url": self.page_url(payment) if status == m.PENDING else None,
            "created_at": _iso(payment.created_at),
            "expires_at": _iso(payment.expires_at),
            "last_event_id": payment.last_event_id,
        }

    # --- plumbing ----------------------------------------------------------------------------------
    @contextmanager
    def _transaction(self) -> Iterator[tuple[Session, list[m.Event]]]:
        """A transaction and the events it produced; they are delivered once it has committed."""
        events: list[m.Event] = []
        with self._sessions() as session, session.begin():
            yield session, events
        for record in events:
            self.notifier.deliver(record.id, record.notify_url, record.body.encode())

    def _load(self, session: Session, payment_id: str) -> m.Payment:
        payment = session.get(m.Payment, payment_id, with_for_update=True)
        if payment is None:
            raise NotFound(f"no payment {payment_id!r}")
        return payment

    def _check_nonce(self, payment: m.Payment, nonce: str) -> None:
        if not hmac.compare_digest((nonce or "").encode(), payment.nonce.encode()):
            raise Invalid("the payment form is out of date; open the payment page again")

    def _expire_if_due(self, session: Session, payment: m.Payment, events: list[m.Event]) -> None:
        if payment.state in m.OPEN_STATES and self._clock() >= payment.expires_at:
            self._finish(payment, m.EXPIRED)
            self._event(session, payment, events)

    def _succeed(self, session: Session, payment: m.Payment) -> None:
        self._finish(payment, m.SUCCEEDED)
        if payment.save_consented:
            card = m.SavedCard(token=f"tok_{secrets.token_hex(16)}", card_mask=payment.card_mask,
                               created_at=self._clock())
            session.add(card)
            payment.card_token = card.token

    def _finish(self, payment: m.Payment, state: str, mask: str | None = None,
                reason: str | None = None) -> None:
        payment.state = state
        payment.finished_at = self._clock()
        payment.decline_reason = reason
        if mask:
            payment.card_mask = mask

    def _event(self, session: Session, payment: m.Payment, events: list[m.Event]) -> str:
        now = self._clock()
        payment.last_event_id = f"evt_{secrets.token_hex(12)}"
        body = {"event_id": payment.last_event_id, "type": f"payment.{external_status(payment.state)}",
                "created": int(now), "payment": self.describe(payment)}
        record = m.Event(id=payment.last_event_id, payment_id=payment.id, notify_url=payment.notify_url,
                         body=json.dumps(body, ensure_ascii=False, separators=(",", ":")), created_at=now,
                         attempts=0)
        session.add(record)
        events.append(record)
        return record.id

    def _record_attempt(self, event_id: str, delivered: bool, error: str | None) -> None:
        with self._sessions() as session, session.begin():
            record = session.get(m.Event, event_id)
            if record is None:
                return
            record.attempts += 1
            if delivered:
                record.delivered_at = self._clock()
            record.last_error = error

    def _expire_abandoned(self) -> None:
        """Payments nobody finished expire on time and the merchant is told, as with a real
        acquirer (any access to a payment also expires it, so this only needs to be periodic)."""
        interval = max(0.1, min(self._ttl / 2, 30.0))
        while not self._closing.wait(interval):
            try:
                with self._transaction() as (session, events):
                    due = session.scalars(select(m.Payment).where(
                        m.Payment.state.in_(m.OPEN_STATES), m.Payment.expires_at <= self._clock())).all()
                    for payment in due:
                        self._expire_if_due(session, payment, events)
            except Exception:   # a busy or closed database: try again next round
                if self._closing.is_set():
                    return
                log.exception("could not expire abandoned payments")

    def _resume_deliveries(self) -> None:
        """Events the last run had not delivered (it stopped in between) go out again."""
        with self._sessions() as session:
            waiting = session.scalars(select(m.Event).where(m.Event.delivered_at.is_(None),
                                                            m.Event.attempts < MAX_ATTEMPTS)).all()
        for record in waiting:
            self.notifier.deliver(record.id, record.notify_url, record.body.encode(), record.attempts)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds")


