"""One SQLAlchemy engine and session factory per app."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator, cast

from pathlib import Path

from sqlalchemy import CursorResult, Delete, Update, create_engine, event, inspect, text
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
MIGRATION_LOCK = 7_361_024_001   # any constant: the key of the advisory lock migrators share


class Base(DeclarativeBase):
    pass


class Database:
    def __init__(self, url: str):
        options: dict[str, Any] = {"pool_pre_ping": True}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False, "timeout": 15}
        self.engine = create_engine(url, **options)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_all(self) -> None:
        """Tables straight from the models, for tests of a single store; the app uses ``migrate``."""
        Base.metadata.create_all(self.engine)

    def migrate(self) -> None:
        """Bring the tables to the newest migration. Engine processes starting together on
        PostgreSQL take turns (an advisory lock); a database an engine made before migrations
        existed (tables, no version) is recorded as the baseline first."""
        from alembic import command
        from alembic.config import Config

        with self.engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = connection
            tables = set(inspect(connection).get_table_names())
            if "alembic_version" not in tables and "local_users" in tables:
                command.stamp(config, BASELINE)
            command.upgrade(config, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            with session.begin():
                yield session

    def dispose(self) -> None:
        self.engine.dispose()


def changed_rows(session: Session, statement: Update | Delete) -> int:
    """How many rows an UPDATE or DELETE without RETURNING changed."""
    # Session.execute returns a CursorResult for these, but SQLAlchemy types it as a plain Result
    return cast(CursorResult, session.execute(statement)).rowcount


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")   # readers do not block the writer
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
