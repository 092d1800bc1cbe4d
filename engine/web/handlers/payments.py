""""Пополнить" by bank card: the payment is written to the ledger, then the payer goes to the
gateway's hosted page. A double click opens one payment and one page."""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, Mapping

from flask import url_for
from flask_babel import gettext as _

from ...assembly.handlers import Handler, HandlerContext, HandlerRefused
from ...billing.contract import IDEMPOTENCY_KEY, OWNED_ACCOUNT, Operation, Param
from ...payments.gateway import GatewayRejected, GatewayUnavailable, PaymentRequest
from ...payments.ledger import CREATED, REDIRECTED, PaymentView

if TYPE_CHECKING:     # the runtime imports the handlers
    from ..runtime import Payments

CENT = Decimal("0.01")


def card_payments(ctx: HandlerContext) -> Payments:
    payments = ctx.services.payments
    if payments is None:
        raise HandlerRefused(_("Card payments are not available right now. Try the promised payment "
                               "or pay later."))
    return payments


def amount_within_limits(amount: Decimal, ctx: HandlerContext) -> Decimal:
    amount = amount.quantize(CENT)
    low, high = ctx.cabinet.operator.top_up_min, ctx.cabinet.operator.top_up_max
    if amount < low or amount > high:
        raise HandlerRefused(_("Enter an amount from %(low)s to %(high)s.", low=low, high=high))
    return amount


def open_card_payment(ctx: HandlerContext, *, key: str, account_id: str, amount: Decimal, purpose: str,
                      description: str, save_card: bool = False, before_gateway=None) -> dict:
    """Record the payment, then start it at the gateway: where the payer's browser goes next.
    ``before_gateway(payment)`` runs once the payment exists and before the payer leaves."""
    payments = card_payments(ctx)
    ledger, gateway, public_url = payments.ledger, payments.gateway, payments.public_url
    payment: PaymentView = ledger.open(key=key, login=ctx.identity.login, account_id=account_id, amount=amount,
                                       currency=ctx.cabinet.operator.currency, purpose=purpose)
    receipt_page = url_for("payments.payment", payment_id=payment.id)
    if payment.status not in (CREATED, REDIRECTED):
        return {"redirect": receipt_page}                      # a resubmission after the outcome
    if before_gateway is not None:
        before_gateway(payment)
    try:
        started = gateway.create_payment(PaymentRequest(
            payment_id=payment.id, amount=amount, currency=ctx.cabinet.operator.currency,
            description=description, return_url=public_url + receipt_page,
            notify_url=public_url + url_for("payments.notify"), save_card=save_card))
    except GatewayUnavailable:
        raise HandlerRefused(_("The bank is not answering. Nothing was charged; please try again later.")) \
            from None
    except GatewayRejected as exc:
        ledger.fail(payment.id, exc.reason)
        raise HandlerRefused(exc.reason) from None
    ledger.attach(payment.id, started)
    if started.redirect_url is None:
        return {"redirect": receipt_page}
    return {"gateway_redirect": started.redirect_url}


class CardTopUp(Handler):
    name = "card_top_up"
    operation = Operation("card_top_up", (
        Param("account_id", owned=OWNED_ACCOUNT), Param("amount", "decimal"),
        Param("request_id", filled_by_engine=IDEMPOTENCY_KEY)))

    def perform(self, params: Mapping[str, Any], ctx: HandlerContext) -> dict:
        card_payments(ctx)
        amount = amount_within_limits(params["amount"], ctx)
        return open_card_payment(
            ctx, key=f"top-up:{params['request_id']}", account_id=params["account_id"], amount=amount,
            purpose="top_up", description=_("Top-up of account %(account)s", account=params["account_id"]))
