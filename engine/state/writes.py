"""Every change the engine asks a billing for, by its idempotency key, in the engine's database.

A write is ``begun`` before the billing is called. A second call with the same key (a double
submit that got past the form's own guard, another engine machine, a retry) does not reach the
billing: it gets the first one's result when there is one, or hears that the first is still
unsettled. A write whose answer was lost (sent, no answer) is kept as ``unknown`` and asked again
with the same key by ``reconcile`` until the billing says what became of it; the subscriber is
told it is being checked, and what it came to once it is settled. A write the billing refused,
or that never reached it, is forgotten: trying again is safe.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import DateTime, Integer, String, Text, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..jsonable import jsonable
from .db import Base, Database, changed_rows

KEPT_FOR = timedelta(days=1)        # what billings keep idempotency keys for, at least (docs/bindings.md)

PENDING, DONE, UNKNOWN, REFUSED = "pending", "done", "unknown", "refused"


class BillingWrite(Base):
    __tablename__ = "billing_writes"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    operation: Mapped[str] = mapped_column(String(100))
    params: Mapped[str] = mapped_column(Text)               # JSON: what is sent again to settle it
    actor: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)     # JSON of the billing's answer
    reason: Mapped[str] = mapped_column(Text, default="")    # a refusal's words
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    told: Mapped[int] = mapped_column(Integer, default=0)    # the subscriber has heard how it settled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class Write:
    key: str
    operation: str
    params: dict[str, Any]
    actor: str
    state: str
    result: Any = None
    reason: str = ""
    attempts: int = 1


def write_key(operation: str, request_id: str) -> str:
    return hashlib.sha256(f"{operation}\x00{request_id}".encode()).hexdigest()


class BillingWrites:
    def __init__(self, db: Database, clock=lambda: datetime.now(timezone.utc)):
        self.db = db
        self.clock = clock

    def begin(self, operation: str, request_id: str, params: dict[str, Any], actor: str) -> Write | None:
        """Claim the write; None when this call is the first (go on and call the billing), else the
        write as it stands (``done`` with its result, or ``pending``/``unknown``: do not call)."""
        key, now = write_key(operation, request_id), self.clock()
        try:
            with self.db.session() as session:
                session.execute(delete(BillingWrite).where(BillingWrite.created_at < now - KEPT_FOR,
                                                           BillingWrite.state != UNKNOWN))
                session.add(BillingWrite(key=key, operation=operation, params=_dumps(params), actor=actor,
                                         state=PENDING, created_at=now, updated_at=now, attempts=1, told=0,
                                         reason=""))
            return None
        except IntegrityError:
            found = self.get(key)
            return found if found is not None else self.begin(operation, request_id, params, actor)

    def get(self, key: str) -> Write | None:
        with self.db.session() as session:
            row = session.get(BillingWrite, key)
            return _write(row) if row is not None else None

    def settle(self, key: str, result: Any) -> None:
        self._set(key, state=DONE, result=_dumps(result))

    def refuse(self, key: str, reason: str) -> None:
        """A write that was unknown and turned out refused: kept, so its subscriber hears of it."""
        self._set(key, state=REFUSED, reason=reason)

    def in_doubt(self, key: str) -> None:
        self._set(key, state=UNKNOWN)

    def forget(self, key: str) -> None:
        """Nothing happened (refused at once, or never reached the billing): trying again is safe."""
        with self.db.session() as session:
            session.execute(delete(BillingWrite).where(BillingWrite.key == key))

    def unsettled(self, settled_before: datetime | None = None) -> list[Write]:
        """Writes whose outcome is unknown (and left over pending ones: an engine stopped mid-call)."""
        before = settled_before or self.clock()
        with self.db.session() as session:
            rows = session.scalars(select(BillingWrite).where(
                BillingWrite.state.in_((UNKNOWN, PENDING)), BillingWrite.updated_at <= before)).all()
            return [_write(row) for row in rows]

    def tried_again(self, key: str) -> None:
        with self.db.session() as session:
            session.execute(update(BillingWrite).where(BillingWrite.key == key).values(
                attempts=BillingWrite.attempts + 1, updated_at=self.clock()))

    def news_for(self, actor: str) -> list[Write]:
        """What the actor should hear of: their writes still being checked, and those settled by
        asking again that they have not heard of yet (these are marked as told)."""
        with self.db.session() as session:
            rows = session.scalars(select(BillingWrite).where(
                BillingWrite.actor == actor, BillingWrite.told == 0,
                (BillingWrite.state == UNKNOWN)
                | (BillingWrite.state.in_((DONE, REFUSED)) & (BillingWrite.attempts > 1)))
                .order_by(BillingWrite.created_at)).all()
            writes = [_write(row) for row in rows]
            settled = [w.key for w in writes if w.state != UNKNOWN]
            if settled:
                session.execute(update(BillingWrite).where(BillingWrite.key.in_(settled)).values(told=1))
            return writes

    def _set(self, key: str, **values: Any) -> None:
        with self.db.session() as session:
            changed_rows(session, update(BillingWrite).where(BillingWrite.key == key).values(
                updated_at=self.clock(), **values))


def _write(row: BillingWrite) -> Write:
    return Write(row.key, row.operation, json.loads(row.params), row.actor, row.state,
                 json.loads(row.result) if row.result else None, row.reason or "", row.attempts)


def _dumps(value: Any) -> str:
    return json.dumps(jsonable(value), ensure_ascii=False)
