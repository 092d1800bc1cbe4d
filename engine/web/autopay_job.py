"""The scheduler's autopay round, in an app context: balances and recommended-payment dates from
the billing, charges through the ledger, a receipt for each top-up and an e-mail when one fails.

Letters written here have no request to take a language from: they use the operator's first
language, as every other letter the engine sends without a visitor."""
from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import force_locale, gettext as _

from ..payments.autopay import DUE_DATE, AccountState, RuleView
from ..payments.ledger import CREDITED, PaymentView
from .contacts import payer_email
from .runtime import live, runtime

log = logging.getLogger(__name__)


def operator_today() -> date:
    return datetime.now(ZoneInfo(live().cabinet.operator.timezone)).date()


def run_autopay(today: date | None = None) -> list[PaymentView]:
    """One round over every active rule; returns the payments it made."""
    from .payments import register_in_billing, send_receipt

    rt = runtime()
    if rt.payments is None:           # scheduled by setup_payments, once payments are set up
        return []
    autopay = rt.payments.autopay
    calls = rt.calls()

    def account_of(account_id: str) -> AccountState | None:
        outcome = calls.call("account", {"account_id": account_id})
        if not outcome.ok:
            log.warning("autopay: the balance of %s is unknown (%s); its rule waits for the next round",
                        account_id, outcome.error)
            return None
        recommended = outcome.value.get("recommended_payment") or {}
        due = recommended.get("due_date")
        return AccountState(Decimal(outcome.value["balance"]), date.fromisoformat(due) if due else None)

    with force_locale(live().cabinet.operator.default_locale):
        made = autopay.run(today or operator_today(), account_of, register_in_billing)
        for payment in made:
            if payment.status == CREDITED:
                send_receipt(payment)
    return made


def autopay_failed(rule: RuleView, reason: str) -> None:
    """Tell the payer that today's top-up did not happen, and why (once a rule and day)."""
    address = payer_email(rule.account_id)
    if not address:
        log.warning("autopay of %s failed and the account has no payer e-mail to tell: %s", rule.account_id, reason)
        return
    with force_locale(live().cabinet.operator.default_locale):
        when = (_("on the recommended payment's date") if rule.trigger == DUE_DATE
                else _("because the balance fell below %(threshold)s", threshold=rule.threshold))
        runtime().outbox.enqueue(
            address, _("Autopay of account %(account)s failed", account=rule.account_id),
            _("We tried to top up account %(account)s by %(amount)s from card %(card)s %(when)s, "
              "but the payment did not go through: %(reason)s\n\nTop up the account yourself so that "
              "your services keep working, or set autopay up again with another card.",
              account=rule.account_id, amount=rule.amount, card=rule.card_mask or "—", when=when,
              reason=reason or "—"),
            dedup_key=f"autopay-failed:{rule.id}:{operator_today().isoformat()}")
