"""The sandbox acquirer's own tables (its own ``DeclarativeBase``, ``sandbox_`` prefix): it is a
separate provider and shares nothing with the engine, even when it runs in the same process.

Money is kept in minor units (kopecks) as integers; instants as Unix seconds.
"""
from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Payment states. The API reports AWAITING_3DS as "pending": only the payer can move it on.
PENDING = "pending"
AWAITING_3DS = "awaiting_3ds"
SUCCEEDED = "succeeded"
DECLINED = "declined"
EXPIRED = "expired"
REFUNDED = "refunded"
PARTIALLY_REFUNDED = "partially_refunded"
OPEN_STATES = (PENDING, AWAITING_3DS)
REFUNDABLE_STATES = (SUCCEEDED, PARTIALLY_REFUNDED)


class SandboxBase(DeclarativeBase):
    pass


class Payment(SandboxBase):
    __tablename__ = "sandbox_payments"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(128), unique=True)       # the merchant's payment_id
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(Text, default="")
    return_url: Mapped[str] = mapped_column(Text)
    notify_url: Mapped[str] = mapped_column(Text)
    customer_email: Mapped[str | None] = mapped_column(String(254))
    save_card_offered: Mapped[bool] = mapped_column(Boolean, default=False)
    charged_token: Mapped[str | None] = mapped_column(String(64))        # the token of a direct charge
    state: Mapped[str] = mapped_column(String(24), default=PENDING)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    card_mask: Mapped[str | None] = mapped_column(String(32))
    card_token: Mapped[str | None] = mapped_column(String(64))           # issued or charged token
    save_consented: Mapped[bool] = mapped_column(Boolean, default=False)  # remembered across 3-D Secure
    decline_reason: Mapped[str | None] = mapped_column(Text)
    nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float)
    last_event_id: Mapped[str | None] = mapped_column(String(40))


class SavedCard(SandboxBase):
    """A card a payer agreed to save; its token charges it without the payer."""

    __tablename__ = "sandbox_saved_cards"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    card_mask: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[float] = mapped_column(Float)


class Refund(SandboxBase):
    __tablename__ = "sandbox_refunds"
    __table_args__ = (UniqueConstraint("payment_id", "refund_id"),)   # the merchant's idempotency key

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("sandbox_payments.id"))
    refund_id: Mapped[str] = mapped_column(String(128))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[float] = mapped_column(Float)


class Event(SandboxBase):
    """A notification: its body is fixed when the event happens, so every delivery (retry or
    replay) carries the same body and event id; only the signature's timestamp is new."""

    __tablename__ = "sandbox_events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(ForeignKey("sandbox_payments.id"), index=True)
    notify_url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[float | None] = mapped_column(Float)
    last_error: Mapped[str | None] = mapped_column(Text)
