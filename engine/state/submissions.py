"""What became of each submitted action form, kept for a day: a double submit (two taps, a reload
of the answer) is answered with the first outcome instead of being checked and run again, on any
engine machine. The billing's own idempotency key still guards the effect itself."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Mapping

from sqlalchemy import DateTime, String, Text, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, Database

KEPT_FOR = timedelta(days=1)
IGNORED = frozenset({"csrf_token"})     # renewed with the session; not part of what was asked


class ActionSubmission(Base):
    __tablename__ = "action_submissions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    action: Mapped[str] = mapped_column(String(100))
    outcome: Mapped[str] = mapped_column(Text)          # JSON


def submission_key(login: str, action_id: str, posted: Mapping[str, str]) -> str:
    """The same user posting the same form of the same rendered page (its ``_key``) again."""
    values = "\x00".join(f"{k}={v}" for k, v in sorted(posted.items()) if k not in IGNORED)
    return hashlib.sha256(f"{login}\x00{action_id}\x00{values}".encode()).hexdigest()


class Submissions:
    def __init__(self, db: Database):
        self.db = db

    def outcome(self, key: str) -> dict[str, Any] | None:
        with self.db.session() as session:
            row = session.get(ActionSubmission, key)
            if row is None or row.created_at.replace(tzinfo=row.created_at.tzinfo or timezone.utc) < _now() - KEPT_FOR:
                return None
            return json.loads(row.outcome)

    def record(self, key: str, action_id: str, outcome: Mapping[str, Any]) -> None:
        """Keep the first outcome of a submission (a racing duplicate keeps the one stored first)."""
        now = _now()
        try:
            with self.db.session() as session:
                session.execute(delete(ActionSubmission).where(ActionSubmission.created_at < now - KEPT_FOR))
                session.add(ActionSubmission(key=key, created_at=now, action=action_id,
                                             outcome=json.dumps(dict(outcome), ensure_ascii=False)))
        except IntegrityError:
            pass


def _now() -> datetime:
    return datetime.now(timezone.utc)
