"""The engine's own check that every account or service id in a request belongs to the user.

Bindings never do this check; the engine does it before the binding sees the id. An id that is
not the user's is answered with 404, exactly like an id that does not exist, so ids cannot be
probed.
"""
from __future__ import annotations

import logging

from ..billing.contract import OWNED_ACCOUNT, OWNED_SERVICE
from .calls import CallSession
from .ttlcache import TtlCache

log = logging.getLogger(__name__)


class NotOwned(Exception):
    """The id is not one of the user's (or does not exist)."""


class OwnershipUnknown(Exception):
    """The billing could not tell us the user's accounts right now."""


class Ownership:
    def __init__(self, calls: CallSession, subscriber_id: str | None, cache: TtlCache | None = None):
        self.calls = calls
        self.subscriber_id = subscriber_id
        # account lists change rarely; a short-lived cache spares the billing one round trip per page
        self.cache = cache

    def accounts(self) -> list[dict]:
        """The user's accounts as plain data; [] for users who are not subscribers."""
        if not self.subscriber_id:
            return []
        key = self.cache_key()
        cached = self.cache.get(key) if self.cache else None
        if cached is not None:
            return cached
        outcome = self.calls.call("accounts", {"subscriber_id": self.subscriber_id})
        if not outcome.ok:
            raise OwnershipUnknown(outcome.error)
        accounts = _with_ids(outcome.value, "accounts")
        if self.cache:
            self.cache.put(key, accounts)
        return accounts

    def cache_key(self) -> str:
        """Whose account list this is. With a per-subscriber binding the billing answers for the
        credential, so the credential is part of the key: two people whose billing sign-in gave
        the same subscriber id (a binding's mistake) still never share a list."""
        credential = self.calls.credential
        return f"{self.subscriber_id}\x00{credential.fingerprint}" if credential else str(self.subscriber_id)

    def account_ids(self) -> set[str]:
        return {a["id"] for a in self.accounts()}

    def service_ids(self) -> set[str]:
        keys = [self.calls.submit("services", {"account_id": account_id}) for account_id in sorted(self.account_ids())]
        ids: set[str] = set()
        for key in keys:
            outcome = self.calls.result(key)
            if not outcome.ok:
                raise OwnershipUnknown(outcome.error)
            ids |= {s["id"] for s in _with_ids(outcome.value, "services")}
        return ids

    def check(self, owned: str, value: object) -> None:
        value = str(value)
        if owned == OWNED_ACCOUNT and value not in self.account_ids():
            raise NotOwned(value)
        if owned == OWNED_SERVICE and value not in self.service_ids():
            raise NotOwned(value)


def _with_ids(value, operation: str) -> list[dict]:
    """The records of a list answer, each with a string id; anything else means the billing
    answered in a shape we cannot trust for an access decision."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str) for r in value):
        log.warning("the billing's %s answer is not a list of records with ids", operation)
        raise OwnershipUnknown("malformed")
    return value
