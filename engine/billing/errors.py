"""Typed errors a binding raises. The engine turns them into degraded sections or messages."""
from __future__ import annotations


class BillingError(Exception):
    """Base of every billing failure."""


class BillingUnavailable(BillingError):
    """The billing could not answer: outage, timeout, malformed answer. Worth retrying later."""


class BillingOutcomeUnknown(BillingUnavailable):
    """A request that changes something was sent, but no answer came back (a read timeout, the
    connection dropped): it may or may not have been carried out. The engine keeps it as unknown
    and asks again with the same idempotency key until the billing says what became of it; it is
    never reported as "nothing changed"."""


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


class BillingSessionExpired(BillingError):
    """The billing no longer takes the subscriber's credential (its session key ran out, the
    password changed). The engine asks the binding to ``renew`` it once and repeats the call; when
    that fails too, the subscriber is signed out and signs in again."""
