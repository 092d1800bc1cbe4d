"""Sign-in sessions kept on the server (with Keycloak, or the billing signing subscribers in): the
browser's cookie holds only a random token; its hash names a row with the refresh token and ID
token, or the billing's credential for the subscriber, encrypted with a key derived from the
engine's secret. Signing out, or Keycloak or the billing refusing a renewal, revokes the row, and
every request checks it: a copied cookie of a signed-out session opens nothing."""
from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import DateTime, String, Text, select, update
from sqlalchemy.orm import Mapped, mapped_column

from ..billing.credential import Credential
from .db import Base, Database, changed_rows


class AuthSession(Base):
    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)              # sha256 of the cookie's token
    login: Mapped[str] = mapped_column(String(150), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    access_expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))      # the refresh token's end
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    refresh_token: Mapped[str] = mapped_column(Text)                            # encrypted
    id_token: Mapped[str] = mapped_column(Text)                                 # encrypted (logout hint)
    credential: Mapped[str] = mapped_column(Text, default="", server_default="")   # encrypted JSON (billing)


@dataclass(frozen=True)
class Tokens:
    refresh_token: str
    id_token: str
    access_expires_at: datetime
    expires_at: datetime
    credential: Credential | None = None        # the billing's, for a subscriber it signed in


# Keycloak gives an offline token no end of its own (refresh_expires_in 0): it lives while it is used,
# 30 days idle by default, and Keycloak refuses a refresh past its limit. The server-side session
# keeps it as long.
OPEN_ENDED = timedelta(days=30)


def _refresh_end(now: datetime, refresh_seconds: float) -> datetime:
    return now + (timedelta(seconds=refresh_seconds) if refresh_seconds else OPEN_ENDED)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthSessionStore:
    def __init__(self, db: Database, secret_key: str):
        self.db = db
        key = hashlib.sha256(b"auth-sessions:" + secret_key.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def create(self, login: str, refresh_token: str, id_token: str, access_seconds: float,
               refresh_seconds: float, credential: Credential | None = None) -> str:
        """A new session; returns the token for the browser's (signed) session cookie."""
        token = secrets.token_urlsafe(32)
        now = _now()
        with self.db.session() as session:
            session.add(AuthSession(
                id=_hash(token), login=login, created_at=now,
                access_expires_at=now + timedelta(seconds=access_seconds),
                expires_at=_refresh_end(now, refresh_seconds),
                refresh_token=self._seal(refresh_token), id_token=self._seal(id_token),
                credential=self._seal(credential.to_json()) if credential is not None else ""))
        return token

    @staticmethod
    def ref(token: str) -> str:
        """A session's id: names it without being a credential (what a quick-login code keeps)."""
        return _hash(token)

    def get(self, token: str | None) -> Tokens | None:
        """The session's tokens, or None when it is unknown, revoked or over."""
        return self.by_ref(_hash(token)) if token else None

    def by_ref(self, ref: str | None) -> Tokens | None:
        if not ref:
            return None
        with self.db.session() as session:
            row = session.get(AuthSession, ref)
            if row is None or row.revoked_at is not None or _aware(row.expires_at) <= _now():
                return None
            return self._tokens(row)

    def _tokens(self, row: AuthSession) -> Tokens | None:
        try:
            credential = Credential.from_json(self._open(row.credential)) if row.credential else None
            return Tokens(self._open(row.refresh_token), self._open(row.id_token),
                          _aware(row.access_expires_at), _aware(row.expires_at), credential)
        except InvalidToken:          # sealed with another secret key: as good as gone
            return None

    def renewed_credential(self, ref: str, credential: Credential, idle_seconds: float = 0) -> None:
        """Keep the credential the billing renewed (and, given, how long it now lasts idle)."""
        values: dict = {"credential": self._seal(credential.to_json())}
        if idle_seconds:
            values["expires_at"] = _refresh_end(_now(), idle_seconds)
        with self.db.session() as session:
            session.execute(update(AuthSession).where(AuthSession.id == ref).values(**values))

    def credential_of(self, login: str) -> Credential | None:
        """The billing credential of ``login``'s newest live session (work done for them while they
        are away, such as settling a change whose answer was lost), or None."""
        now = _now()
        with self.db.session() as session:
            rows = session.scalars(select(AuthSession).where(
                AuthSession.login == login, AuthSession.revoked_at.is_(None), AuthSession.credential != "")
                .order_by(AuthSession.created_at.desc()).limit(5)).all()
            for row in rows:
                if _aware(row.expires_at) > now:
                    kept = self._tokens(row)
                    if kept is not None and kept.credential is not None:
                        return kept.credential
        return None

    def refreshed(self, token: str, refresh_token: str, access_seconds: float, refresh_seconds: float) -> None:
        now = _now()
        with self.db.session() as session:
            session.execute(update(AuthSession).where(AuthSession.id == _hash(token)).values(
                refresh_token=self._seal(refresh_token), access_expires_at=now + timedelta(seconds=access_seconds),
                expires_at=_refresh_end(now, refresh_seconds)))

    def revoke(self, token: str | None) -> None:
        if token:
            self.revoke_ref(_hash(token))

    def revoke_ref(self, ref: str) -> None:
        with self.db.session() as session:
            session.execute(update(AuthSession).where(AuthSession.id == ref)
                            .values(revoked_at=_now(), refresh_token="", id_token="", credential=""))

    def revoke_login(self, login: str) -> int:
        """Sign a person out everywhere (an operator's decision, or a stolen device)."""
        with self.db.session() as session:
            return changed_rows(session, update(AuthSession)
                                .where(AuthSession.login == login, AuthSession.revoked_at.is_(None))
                                .values(revoked_at=_now(), refresh_token="", id_token="", credential=""))

    def _seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode() if value else ""

    def _open(self, value: str) -> str:
        return self._fernet.decrypt(value.encode()).decode() if value else ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
