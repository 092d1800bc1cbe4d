"""Users of the local sign-in (the embedded default when no Keycloak is configured)."""
from __future__ import annotations

from typing import Iterable, Mapping

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from .db import Base, Database

# Compared against when the login is unknown, so a wrong login costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password")


class LocalUser(Base):
    __tablename__ = "local_users"

    login: Mapped[str] = mapped_column(String(150), primary_key=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[str] = mapped_column(String(200), default="subscriber")     # space-separated
    subscriber_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    dealer_id: Mapped[str | None] = mapped_column(String(100), nullable=True)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(self.roles.split())


class UserStore:
    def __init__(self, db: Database):
        self.db = db

    def add(self, login: str, password: str, name: str = "", roles: Iterable[str] = ("subscriber",),
            subscriber_id: str | None = None, dealer_id: str | None = None) -> None:
        with self.db.session() as session:
            session.add(LocalUser(login=login, password_hash=generate_password_hash(password), name=name,
                                  roles=" ".join(sorted(roles)), subscriber_id=subscriber_id, dealer_id=dealer_id))

    def ensure(self, users: Iterable[Mapping]) -> None:
        """Add users that are missing (demo accounts); existing ones keep their passwords."""
        for user in users:
            with self.db.session() as session:
                if session.get(LocalUser, user["login"]) is not None:
                    continue
            try:
                self.add(user["login"], user["password"], user.get("name", ""), user.get("roles", ("subscriber",)),
                         user.get("subscriber_id"), user.get("dealer_id"))
            except IntegrityError:
                pass  # another process added it at the same moment

    def authenticate(self, login: str, password: str) -> LocalUser | None:
        with self.db.session() as session:
            user = session.scalar(select(LocalUser).where(LocalUser.login == login))
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        return user if check_password_hash(user.password_hash, password) else None

    def set_password(self, login: str, password: str) -> None:
        with self.db.session() as session:
            user = session.get(LocalUser, login)
            if user is None:
                raise KeyError(login)
            user.password_hash = generate_password_hash(password)

    def get(self, login: str) -> LocalUser | None:
        with self.db.session() as session:
            return session.get(LocalUser, login)

    def link(self, login: str, subscriber_id: str | None, dealer_id: str | None) -> None:
        """Point a user at a subscriber and/or dealer of the billing (None: leave as it is; "": unlink)."""
        with self.db.session() as session:
            user = session.get(LocalUser, login)
            if user is None:
                raise KeyError(login)
            if subscriber_id is not None:
                user.subscriber_id = subscriber_id or None
            if dealer_id is not None:
                user.dealer_id = dealer_id or None

    def all(self) -> list[LocalUser]:
        with self.db.session() as session:
            return list(session.scalars(select(LocalUser).order_by(LocalUser.login)))
