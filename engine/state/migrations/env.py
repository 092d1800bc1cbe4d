"""Alembic environment for the engine's own database (run by engine.state.db.Database.migrate)."""
from __future__ import annotations

from alembic import context

from engine.state.db import Base
import engine.state  # noqa: F401  (every model joins Base.metadata)

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
