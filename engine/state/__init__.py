"""The engine's own state in SQLAlchemy: users of local sign-in, the audit log, the mail outbox,
quick-login codes, support requests and applications, the payments ledger, and the changes
asked of the billing by their idempotency keys."""
from . import (  # noqa: F401  (their tables join the metadata that create_all makes)
    audit, auth_sessions, outbox, passkeys, payments, quick_codes, requests, submissions, users, writes,
)
from .db import Database

__all__ = ["Database"]
