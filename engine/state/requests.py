"""What people send the operator through the cabinet: support requests and applications to
become a client. Stored before they are e-mailed, so an outage of mail loses none."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, Database


class SupportRequest(Base):
    __tablename__ = "support_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)      # the form's idempotency key
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    login: Mapped[str] = mapped_column(String(150), default="")    # empty when sent without signing in
    account_number: Mapped[str] = mapped_column(String(64), default="")
    email: Mapped[str] = mapped_column(String(320))
    phone: Mapped[str] = mapped_column(String(64), default="")
    message: Mapped[str] = mapped_column(Text)


class ClientApplication(Base):
    __tablename__ = "client_applications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str] = mapped_column(String(64))
    email: Mapped[str] = mapped_column(String(320), default="")
    address: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text, default="")


def store_once(db: Database, record) -> int:
    """Store a record keyed by its form's idempotency key; a resubmission returns the first id."""
    record.created_at = datetime.now(timezone.utc)
    try:
        with db.session() as session:
            session.add(record)
            session.flush()
            return record.id
    except IntegrityError:
        with db.session() as session:
            existing = session.query(type(record)).filter_by(key=record.key).one()
            return existing.id
