""""Автопополнение" in the cabinet: the rule's state for a screen, setting it up (consent, then a
payment that saves the card on the bank's page) and turning it off with one click."""
from __future__ import annotations

from typing import Any, Mapping

from flask_babel import gettext as _

from ...assembly.handlers import Handler, HandlerContext, HandlerRefused
from ...billing.contract import IDEMPOTENCY_KEY, OWNED_ACCOUNT, Operation, Param
from ...payments.autopay import BELOW_THRESHOLD, SETUP_PURPOSE, TRIGGERS, Autopay
from .payments import CENT, amount_within_limits, card_payments, open_card_payment

AGREED = ("1", "on", "yes", "true")


def _autopay(ctx: HandlerContext) -> Autopay:
    payments = card_payments(ctx)
    return payments.autopay


class AutopayStatus(Handler):
    """The account's rule as data: ``state`` is none | active | pending | card_not_saved | off."""

    name = "autopay"
    reads = True
    operation = Operation("autopay", (Param("account_id", owned=OWNED_ACCOUNT),))

    def perform(self, params: Mapping[str, Any], ctx: HandlerContext) -> dict:
        payments = ctx.services.payments
        if payments is None:
            return {"available": False, "state": "none"}
        autopay: Autopay = payments.autopay
        rule = autopay.rule(params["account_id"])
        data: dict[str, Any] = {"available": True, "state": autopay.state(rule)}
        if rule is not None:
            data.update(card_mask=rule.card_mask, trigger=rule.trigger, threshold=rule.threshold,
                        amount=rule.amount, last_failure=rule.last_failure,
                        charged_on=rule.charged_on.isoformat() if rule.charged_on else None)
        return data


class AutopaySetup(Handler):
    name = "autopay_setup"
    operation = Operation("autopay_setup", (
        Param("account_id", owned=OWNED_ACCOUNT), Param("trigger"), Param("threshold", "decimal", required=False),
        Param("amount", "decimal"), Param("consent", required=False),
        Param("request_id", filled_by_engine=IDEMPOTENCY_KEY)))

    def perform(self, params: Mapping[str, Any], ctx: HandlerContext) -> dict:
        autopay = _autopay(ctx)
        if str(params.get("consent") or "").lower() not in AGREED:
            raise HandlerRefused(_("To turn autopay on, agree to top-ups from your card without your "
                                   "confirmation."))
        trigger = params["trigger"]
        if trigger not in TRIGGERS:
            raise HandlerRefused(_("Choose when to top up the account."))
        amount = amount_within_limits(params["amount"], ctx)
        threshold = params.get("threshold")
        if trigger == BELOW_THRESHOLD:
            if threshold is None:
                raise HandlerRefused(_("Enter the balance below which the account is topped up."))
            threshold = threshold.quantize(CENT)
            if abs(threshold) > ctx.cabinet.operator.top_up_max:
                raise HandlerRefused(_("Enter a balance from %(low)s to %(high)s.",
                                       low=-ctx.cabinet.operator.top_up_max, high=ctx.cabinet.operator.top_up_max))
        else:
            threshold = None
        account_id = params["account_id"]

        def pending_rule(payment) -> None:
            autopay.begin(login=ctx.identity.login, account_id=account_id, trigger=trigger, threshold=threshold,
                          amount=amount, setup_payment_id=payment.id)
        return open_card_payment(
            ctx, key=f"autopay-setup:{params['request_id']}", account_id=account_id, amount=amount,
            purpose=SETUP_PURPOSE, save_card=True, before_gateway=pending_rule,
            description=_("Top-up of account %(account)s and autopay set-up", account=account_id))


class AutopayOff(Handler):
    name = "autopay_off"
    operation = Operation("autopay_off", (Param("account_id", owned=OWNED_ACCOUNT),
                                          Param("request_id", filled_by_engine=IDEMPOTENCY_KEY)))

    def perform(self, params: Mapping[str, Any], ctx: HandlerContext) -> dict:
        _autopay(ctx).turn_off(params["account_id"])    # already off (a double click) is as good
        return {}
