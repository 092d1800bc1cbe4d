"""Quick-login codes: a 4-digit code that signs one user in again on one device.

A device is a random id kept in that device's cookie. Only hashes are stored: of the device id,
and of the code salted with the device id, so the table alone (without the cookie) is not
enough to try the 10 000 possible codes offline.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Literal

from sqlalchemy import Boolean, DateTime, Integer, String, delete, update
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .db import Base, Database, changed_rows

CODE_LENGTH = 4
MAX_FAILED_ATTEMPTS = 5


class QuickCode(Base):
    __tablename__ = "quick_codes"

    device_hash: Mapped[str] = mapped_column(String(64), primary_key=True)   # sha256 of the device id
    login: Mapped[str] = mapped_column(String(150), index=True)
    code_hash: Mapped[str] = mapped_column(String(255))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # with Keycloak: the server-side session the code renews (its id, which is a hash: no credential)
    session_ref: Mapped[str] = mapped_column(String(64), server_default="")


@dataclass(frozen=True)
class Attempt:
    """One code entered on a device. ``unavailable``: the device has no enabled code."""

    outcome: Literal["ok", "wrong", "unavailable"]
    login: str | None = None
    failed_attempts: int = 0
    disabled: bool = False          # this wrong attempt was the last one allowed
    session_ref: str = ""           # with Keycloak: the session the code renews

    @property
    def attempts_left(self) -> int:
        return max(MAX_FAILED_ATTEMPTS - self.failed_attempts, 0)


def new_device_id() -> str:
    return secrets.token_urlsafe(32)


def is_valid_code(code: str) -> bool:
    return len(code) == CODE_LENGTH and code.isascii() and code.isdigit()


def _device_hash(device_id: str) -> str:
    # the id is 256 random bits, so a plain digest is enough: nothing to guess
    return hashlib.sha256(device_id.encode()).hexdigest()


def _salted(device_id: str, code: str) -> str:
    return f"{device_id}:{code}"


class QuickCodeStore:
    def __init__(self, db: Database):
        self.db = db

    def get(self, device_id: str | None) -> QuickCode | None:
        if not device_id:
            return None
        with self.db.session() as session:
            return session.get(QuickCode, _device_hash(device_id))

    def set(self, device_id: str, login: str, code: str, replaces: str | None = None, session_ref: str = "") -> bool:
        """Store ``code`` for ``login`` on a new device id; drop the code of the id it replaces.
        Returns whether a previous code was dropped."""
        with self.db.session() as session:
            previous = session.get(QuickCode, _device_hash(replaces)) if replaces else None
            if previous is not None:
                session.delete(previous)
            session.add(QuickCode(device_hash=_device_hash(device_id), login=login,
                                  code_hash=generate_password_hash(_salted(device_id, code)),
                                  failed_attempts=0, disabled=False, created_at=datetime.now(timezone.utc),
                                  session_ref=session_ref))
        return previous is not None

    def verify(self, device_id: str | None, code: str) -> Attempt:
        """Check ``code``; a wrong one counts, and the last allowed wrong one disables the code.

        The attempt is counted first, in one UPDATE of its own, and only then is the code checked:
        parallel guesses each use up an attempt, on any database, so no more than the allowed
        number of guesses is ever checked."""
        if not device_id:
            return Attempt("unavailable")
        device = _device_hash(device_id)
        with self.db.session() as session:
            counted = changed_rows(
                session, update(QuickCode)
                .where(QuickCode.device_hash == device, QuickCode.disabled.is_(False),
                       QuickCode.failed_attempts < MAX_FAILED_ATTEMPTS)
                .values(failed_attempts=QuickCode.failed_attempts + 1))
            if counted == 0:
                row = session.get(QuickCode, device)
                return Attempt("unavailable", row.login if row else None)
        with self.db.session() as session:
            row = session.get(QuickCode, device)
            if row is None:
                return Attempt("unavailable")
            if check_password_hash(row.code_hash, _salted(device_id, code)):
                row.failed_attempts = 0
                row.last_used_at = datetime.now(timezone.utc)
                return Attempt("ok", row.login, session_ref=row.session_ref or "")
            row.disabled = row.failed_attempts >= MAX_FAILED_ATTEMPTS
            return Attempt("wrong", row.login, row.failed_attempts, row.disabled)

    def rebind(self, device_id: str, session_ref: str) -> None:
        """The code now renews this session (the one it restored)."""
        with self.db.session() as session:
            session.execute(update(QuickCode).where(QuickCode.device_hash == _device_hash(device_id))
                            .values(session_ref=session_ref))

    def remove_all(self, login: str) -> int:
        """Delete every device's code of ``login`` (after a password reset); returns how many."""
        with self.db.session() as session:
            return changed_rows(session, delete(QuickCode).where(QuickCode.login == login))

    def remove(self, device_id: str | None) -> str | None:
        """Delete the device's code; returns the login it belonged to, if there was one."""
        if not device_id:
            return None
        with self.db.session() as session:
            row = session.get(QuickCode, _device_hash(device_id))
            if row is None:
                return None
            session.delete(row)
            return row.login
