"""The engine's own state in SQLAlchemy: users of local sign-in, the audit log, the mail outbox,
quick-login codes, support requests and applications, and the payments ledger."""
from . import audit, auth_sessions, outbox, passkeys, payments, quick_codes, requests, submissions, users  # noqa: F401  (their tables join the metadata that create_all makes)
from .db import Database

__all__ = ["Database"]
