"""Typed errors a binding raises. The engine turns them into degraded sections or messages."""
from __future__ import annotations


class BillingError(Exception):
    """Base of every billing failure."""


class BillingUnavailable(BillingError):
    """The billing could not answer: outage, timeout, malformed answer. Worth retrying later."""


class BillingRejected(BillingError):
    """The billing refused a request for a reason the subscriber should read.

    ``reason`` is subscriber-facing text; ``code`` is a stable machine code (for schema rules).
    """

    def __init__(self, reason: str, code: str = "rejected"):
        super().__init__(reason)
        self.reason = reason
        self.code = code


class BillingNotFound(BillingError):
    """The object does not exist in the billing."""


class OperationNotSupported(BillingError):
    """The binding does not implement this operation (see ``capabilities``)."""
