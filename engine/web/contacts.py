"""Where the cabinet may write to a subscriber: the payer e-mail the billing keeps for an account.
Nobody can make the cabinet send a link or a receipt to an address of their choosing."""
from __future__ import annotations

from .runtime import runtime


def payer_email(account_id: str) -> str:
    """The e-mail in the account's payer requisites, or "" (unknown, or the billing is down)."""
    outcome = runtime().calls().call("requisites", {"account_id": account_id})
    return str((outcome.value or {}).get("email") or "") if outcome.ok else ""


def subscriber_email(subscriber_id: str | None) -> str:
    """The payer e-mail of the subscriber's first account that has one, or ""."""
    if not subscriber_id:
        return ""
    accounts = runtime().calls().call("accounts", {"subscriber_id": subscriber_id})
    for account in (accounts.value or []) if accounts.ok else []:
        address = payer_email(account["id"])
        if address:
            return address
    return ""
