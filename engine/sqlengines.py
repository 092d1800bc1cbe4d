"""SQLAlchemy engines for the engine's databases, the demo billing and the sandbox acquirer.

On SQLite, one file is shared by many threads: WAL (readers never wait for the writer), a busy
timeout, foreign keys, and BEGIN issued by us, so that a writer can take the lock up front with
the execution option ``sqlite_begin="BEGIN IMMEDIATE"`` — a deferred transaction that reads and
then writes fails with "database is locked" instead of waiting for the other writer.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

BEGIN_OPTION = "sqlite_begin"
BUSY_TIMEOUT_MS = 15_000


def open_engine(database_url: str, owner: str, begin: str = "BEGIN") -> Engine:
    """``owner`` names who needs the database in error messages; ``begin`` is how a SQLite
    transaction starts unless an execution option says otherwise."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if not url.database or url.database == ":memory:":
        raise ValueError(f"{owner} needs a SQLite file (sqlite:////path/file.sqlite): an in-memory "
                         f"database is not shared between threads")
    Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        dbapi_connection.isolation_level = None      # sqlite3 would begin on its own; we do (below)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql(connection.get_execution_options().get(BEGIN_OPTION, begin))

    return engine
