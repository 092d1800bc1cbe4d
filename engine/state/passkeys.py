"""Passkeys (WebAuthn credentials): the web's counterpart of the seed's Touch ID / Face ID. Only
public keys are stored; the private key never leaves the person's device."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, LargeBinary, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from .db import Base, Database, changed_rows


class Passkey(Base):
    __tablename__ = "passkeys"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)          # the credential id, base64url
    login: Mapped[str] = mapped_column(String(150), index=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(120))                           # how the person told it apart
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


@dataclass(frozen=True)
class PasskeyView:
    id: str
    login: str
    public_key: bytes
    sign_count: int
    name: str
    created_at: datetime
    last_used_at: datetime | None


def _view(row: Passkey) -> PasskeyView:
    return PasskeyView(row.id, row.login, row.public_key, row.sign_count, row.name, row.created_at, row.last_used_at)


class PasskeyStore:
    def __init__(self, db: Database):
        self.db = db

    def add(self, login: str, credential_id: str, public_key: bytes, sign_count: int, name: str) -> None:
        with self.db.session() as session:
            session.add(Passkey(id=credential_id, login=login, public_key=public_key, sign_count=sign_count,
                                name=name[:120], created_at=datetime.now(timezone.utc)))

    def get(self, credential_id: str) -> PasskeyView | None:
        with self.db.session() as session:
            row = session.get(Passkey, credential_id)
            return _view(row) if row else None

    def of_login(self, login: str) -> list[PasskeyView]:
        with self.db.session() as session:
            return [_view(r) for r in session.scalars(select(Passkey).where(Passkey.login == login)
                                                      .order_by(Passkey.created_at))]

    def used(self, credential_id: str, sign_count: int) -> None:
        with self.db.session() as session:
            session.execute(update(Passkey).where(Passkey.id == credential_id)
                            .values(sign_count=sign_count, last_used_at=datetime.now(timezone.utc)))

    def remove(self, login: str, credential_id: str) -> bool:
        """Only the owner removes a passkey."""
        with self.db.session() as session:
            return changed_rows(session, delete(Passkey).where(Passkey.id == credential_id,
                                                               Passkey.login == login)) == 1
