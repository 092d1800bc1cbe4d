"""The engine's tables are made and changed by Alembic migrations that match the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from engine.state import Database
from engine.state.db import Base


def _head(db: Database) -> str:
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one()


def test_migrations_build_the_models_tables_exactly(fresh_postgres_url):
    db = Database(fresh_postgres_url)
    db.migrate()
    db.migrate()                                            # again: nothing to do
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    db.dispose()
    assert differences == [], "the models changed without a migration: add one under engine/state/migrations"


def test_a_database_made_before_migrations_is_adopted(tmp_path):
    from alembic import command
    from alembic.config import Config

    from engine.state.db import BASELINE, MIGRATIONS
    db = Database(f"sqlite:///{tmp_path / 'old.sqlite'}")
    with db.engine.begin() as connection:                    # the tables of the first release, unversioned:
        config = Config()                                    # as an engine before migrations left them
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, BASELINE)
        connection.execute(text("DROP TABLE alembic_version"))
    db.migrate()
    assert {"payments", "payment_events"} <= set(inspect(db.engine).get_table_names())
    assert _head(db) and "local_users" in inspect(db.engine).get_table_names()
    db.dispose()
