"""Card payments on the web: the gateway's server-to-server notification, and the page the payer
comes back to (waiting, receipt or refusal)."""
from __future__ import annotations

import logging
from decimal import Decimal

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from ..payments.autopay import SETUP_PURPOSE
from ..payments.gateway import GatewayError, InvalidSignature
from ..payments.ledger import CREDITED, REDIRECTED, SUCCEEDED, PaymentView
from .auth import audit, current_identity
from .contacts import payer_email
from .extensions import csrf
from .pages import formatter_for
from .runtime import Payments, live, runtime

log = logging.getLogger(__name__)
blueprint = Blueprint("payments", __name__, url_prefix="/payments")


def register_in_billing(account_id: str, amount: Decimal, payment_id: str) -> str:
    """Credit the billing (time-boxed); raises when it did not, so the ledger retries."""
    outcome = runtime().calls().call("register_payment", {"account_id": account_id, "amount": amount,
                                                          "payment_id": payment_id})
    if not outcome.ok:
        raise RuntimeError(f"register_payment: {outcome.error} {outcome.reason}".strip())
    return str(outcome.value.get("billing_reference", ""))


def settle(view: PaymentView) -> PaymentView:
    """After a success: credit the billing, and e-mail the receipt once."""
    payments = runtime().payments
    if payments is None:        # a payment's view comes from the ledger: there is none without payments
        raise RuntimeError("settle needs card payments set up")
    if view.status == SUCCEEDED:
        view = payments.ledger.credit(view.id, register_in_billing) or view
    if view.status == CREDITED:
        send_receipt(view)
    return view


def send_receipt(view: PaymentView) -> None:
    address = payer_email(view.account_id)       # also for payments made through a payment link
    if address:
        runtime().outbox.enqueue(
            address, _("Payment receipt: %(amount)s", amount=view.amount),
            _("Account %(account)s is topped up by %(amount)s %(currency)s. Card %(card)s. Payment %(id)s, "
              "billing reference %(reference)s.", account=view.account_id, amount=view.amount,
              currency=view.currency, card=view.card_mask or "—", id=view.id, reference=view.billing_reference),
            dedup_key=f"receipt:{view.id}")


@blueprint.route("/notify", methods=["POST"])
@csrf.exempt   # signed by the gateway instead (HMAC), and no browser sends it
def notify():
    payments = runtime().payments
    if payments is None:
        abort(404)
    try:
        event = payments.gateway.parse_notification(request.get_data(), request.headers)
    except InvalidSignature as exc:
        log.warning("payment notification refused from %s: %s", request.remote_addr, exc)
        audit("payment:notification", "refused", actor="gateway", details={"reason": str(exc)})
        return {"error": "bad signature"}, 400
    view, changed = payments.ledger.apply(event)
    if view is None:
        return {"error": "unknown payment"}, 404
    if changed:
        audit("payment:notification", view.status, actor=view.login, details={"payment": view.id})
    settle(view)                 # a failed credit is retried by the reconciliation job
    return {"status": "ok"}


@blueprint.route("/<payment_id>")
def payment(payment_id: str):
    identity = current_identity()
    payments = runtime().payments
    if payments is None or identity is None:
        abort(404)     # no card payments here, or nobody signed in to own one
    view = payments.ledger.get(payment_id)
    if view is None or view.login != identity.login:
        abort(404)     # another person's payment does not exist for this one
    if view.status == REDIRECTED and view.gateway_payment_id:
        try:             # back from the page before the notification: ask the gateway at once
            view = payments.ledger.apply(payments.gateway.payment_status(view.gateway_payment_id))[0] or view
        except GatewayError as exc:
            log.warning("asking the gateway about %s failed: %s", payment_id, exc)
    view = settle(view)
    waiting = view.status in ("created", REDIRECTED, SUCCEEDED)
    amount = formatter_for(live().cabinet).money(view.amount, view.currency)
    return render_template("payment.html", payment=view, amount=amount, waiting=waiting,
                           autopay=_autopay_outcome(view, payments) if not waiting else None), 200


def _autopay_outcome(view: PaymentView, payments: Payments) -> dict | None:
    """For the payment that sets autopay up: whether the card was saved and the rule works."""
    if view.purpose != SETUP_PURPOSE:
        return None
    autopay = payments.autopay
    rule = autopay.rule(view.account_id)
    if rule is None or rule.setup_payment_id != view.id:
        return None          # set up again since: this payment's rule is history
    return {"state": autopay.state(rule), "card_mask": rule.card_mask}
