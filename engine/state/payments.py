"""The payments ledger's tables: a payment is written before the payer leaves for the gateway,
and every gateway event is kept (its id unique, so a replay is recognised)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (Index("ix_payments_status", "status", "next_credit_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)            # the engine's payment id
    key: Mapped[str] = mapped_column(String(64), unique=True)                # the form's idempotency key
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    login: Mapped[str] = mapped_column(String(150), index=True)
    account_id: Mapped[str] = mapped_column(String(100))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    currency: Mapped[str] = mapped_column(String(3))
    purpose: Mapped[str] = mapped_column(String(30))                         # top_up | autopay
    status: Mapped[str] = mapped_column(String(20))                          # see engine.payments.ledger
    gateway: Mapped[str] = mapped_column(String(50))
    gateway_payment_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    card_mask: Mapped[str] = mapped_column(String(40), default="")
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    billing_reference: Mapped[str] = mapped_column(String(100), default="")
    credit_attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_credit_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")


class PaymentEvent(Base):
    __tablename__ = "payment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(String(120), unique=True)          # the gateway's: replays repeat it
    payment_id: Mapped[str] = mapped_column(ForeignKey("payments.id"), index=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(30))
    applied: Mapped[str] = mapped_column(String(20))                         # changed | ignored


class AutopayRule(Base):
    """"Автопополнение" of one account from a saved card: top up ``amount`` when the balance falls
    below ``threshold`` (trigger ``below_threshold``) or on the recommended payment's date
    (``due_date``). A rule starts pending: it becomes active when the payment that saves the card
    (``setup_payment_id``) succeeds with the payer's consent. ``charged_on`` is the day of the last
    charge: claiming a day is one atomic UPDATE, so two engine processes never charge one rule twice
    on one day."""

    __tablename__ = "autopay_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    login: Mapped[str] = mapped_column(String(150), index=True)
    account_id: Mapped[str] = mapped_column(String(100), unique=True)
    card_token: Mapped[str] = mapped_column(String(200))                     # "" until the card is saved
    card_mask: Mapped[str] = mapped_column(String(40))
    trigger: Mapped[str] = mapped_column(String(20), server_default="below_threshold")
    threshold: Mapped[Decimal | None] = mapped_column(Numeric(14, 2), nullable=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    active: Mapped[bool] = mapped_column(default=True)
    charged_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    setup_payment_id: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    last_failure: Mapped[str] = mapped_column(Text, server_default="")      # why the last charge failed
