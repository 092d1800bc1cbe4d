"""The reconciliation job: settles what a lost notification or a crash left half done.

* succeeded payments not yet credited (the billing was down, or the engine stopped right after
  the notification) are credited — once, since the billing credits one payment id once;
* payments the gateway has said nothing about for a while are asked about directly.

Run by APScheduler in every engine process; the ledger's row locks and event ids make two
processes running it at once harmless.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Callable

from .gateway import GatewayError, PaymentGateway
from .ledger import SUCCEEDED, Ledger

log = logging.getLogger(__name__)
ASK_AFTER = timedelta(minutes=10)


@dataclass
class Settled:
    credited: int = 0
    updated: int = 0


def reconcile(ledger: Ledger, gateway: PaymentGateway, register: Callable[[str, Decimal, str], str],
              ask_after: timedelta = ASK_AFTER) -> Settled:
    settled = Settled()
    for payment_id, gateway_payment_id in ledger.waiting(ask_after):
        try:
            view, changed = ledger.apply(gateway.payment_status(gateway_payment_id))
        except GatewayError as exc:
            log.warning("asking the gateway about payment %s failed: %s", payment_id, exc)
            continue
        settled.updated += int(changed)
    for payment_id in ledger.due_credits():
        view = ledger.credit(payment_id, register)
        settled.credited += int(view is not None and view.status != SUCCEEDED)
    return settled
