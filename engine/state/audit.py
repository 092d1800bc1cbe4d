"""The audit log: who did what, when, and with what result (actions, sign-ins).

Records are written in their own short transaction, after the fact they describe; a failure to
write one is logged and does not undo what the subscriber did.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any, Mapping

from sqlalchemy import DateTime, Integer, String, Text, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, Database

log = logging.getLogger(__name__)


class AuditRecord(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(150), index=True)        # login, or "anonymous"
    event: Mapped[str] = mapped_column(String(100))                    # "action:block_services", "sign-in" ...
    result: Mapped[str] = mapped_column(String(30))                    # ok | refused | failed | invalid
    address: Mapped[str] = mapped_column(String(64), default="")       # the client's IP address
    details: Mapped[str] = mapped_column(Text, default="{}")           # JSON: parameters, message


class AuditLog:
    def __init__(self, db: Database):
        self.db = db

    def record(self, actor: str, event: str, result: str, address: str = "",
               details: Mapping[str, Any] | None = None) -> None:
        entry = AuditRecord(at=datetime.now(timezone.utc), actor=actor[:150], event=event[:100],
                            result=result[:30], address=address[:64],
                            details=json.dumps(details or {}, ensure_ascii=False, default=str))
        try:
            with self.db.session() as session:
                session.add(entry)
        except SQLAlchemyError:
            log.exception("could not write the audit record %s %s %s", actor, event, result)

    def latest(self, actor: str | None = None, limit: int = 50) -> list[AuditRecord]:
        query = select(AuditRecord).order_by(AuditRecord.id.desc()).limit(limit)
        if actor is not None:
            query = query.where(AuditRecord.actor == actor)
        with self.db.session() as session:
            return list(session.scalars(query))
