"""A payment page reachable without signing in, from a link in a suspension letter: signed,
expiring, bound to one account. Whoever holds the link can pay into that account and see that
payment's outcome — nothing else of the account (its balance or services) is shown."""
from __future__ import annotations

import secrets
from decimal import Decimal

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..assembly.params import AMOUNT
from ..payments.gateway import GatewayRejected, GatewayUnavailable, PaymentRequest
from ..payments.ledger import CREATED, REDIRECTED
from .auth import audit
from .pages import formatter_for
from .payments import settle
from .runtime import Payments, live, runtime

blueprint = Blueprint("payment_links", __name__, url_prefix="/pay")
DEFAULT_DAYS = 7
SALT = "payment-link"


def payment_link(secret_key: str, public_url: str, account_id: str) -> str:
    """The link to put into a letter (what `cabinet payment-link` prints)."""
    token = URLSafeTimedSerializer(secret_key, salt=SALT).dumps({"account": account_id})
    return f"{public_url}/pay/{token}"


def _account_of(token: str) -> str:
    rt = runtime()
    try:
        data = URLSafeTimedSerializer(rt.settings.secret_key, salt=SALT).loads(
            token, max_age=rt.settings.payment_link_days * 86400)
    except SignatureExpired:
        abort(410)
    except BadSignature:
        abort(404)
    return str(data.get("account", ""))


@blueprint.route("/<token>", methods=["GET", "POST"])
def pay(token: str):
    account_id = _account_of(token)
    rt = runtime()
    operator = live().cabinet.operator
    outcome = rt.calls().call("account", {"account_id": account_id})
    recommended = ((outcome.value or {}).get("recommended_payment") or {}).get("amount") if outcome.ok else None
    error = None
    if request.method == "POST" and rt.payments is not None:
        text = (request.form.get("amount") or "").strip().replace(",", ".")
        amount = Decimal(text).quantize(Decimal("0.01")) if AMOUNT.fullmatch(text) else None
        if amount is None or not operator.top_up_min <= amount <= operator.top_up_max:
            error = _("Enter an amount from %(low)s to %(high)s.", low=operator.top_up_min, high=operator.top_up_max)
        else:
            return _start(rt.payments, token, account_id, amount,
                          request.form.get("key") or secrets.token_hex(8))
    return render_template("payment_link.html", account=account_id, error=error,
                           amount=request.form.get("amount") or (str(recommended) if recommended else ""),
                           key=secrets.token_hex(16), available=rt.payments is not None)


def _start(payments: Payments, token: str, account_id: str, amount: Decimal, key: str):
    ledger, gateway = payments.ledger, payments.gateway
    payment = ledger.open(key=f"link:{account_id}:{key}", login="", account_id=account_id, amount=amount,
                          currency=live().cabinet.operator.currency)
    receipt = url_for("payment_links.receipt", token=token, payment_id=payment.id)
    if payment.status not in (CREATED, REDIRECTED):
        return redirect(receipt)
    try:
        started = gateway.create_payment(PaymentRequest(
            payment_id=payment.id, amount=amount, currency=payment.currency,
            description=_("Top-up of account %(account)s", account=account_id),
            return_url=payments.public_url + receipt, notify_url=payments.public_url + url_for("payments.notify")))
    except GatewayUnavailable:
        return render_template("payment_link.html", account=account_id, amount=str(amount), key=key, available=True,
                               error=_("The bank is not answering. Nothing was charged; please try again later.")), 503
    except GatewayRejected as exc:
        ledger.fail(payment.id, exc.reason)
        return render_template("payment_link.html", account=account_id, amount=str(amount), key=key,
                               available=True, error=exc.reason), 422
    ledger.attach(payment.id, started)
    audit("payment-link:started", "ok", actor=f"link:{account_id}", details={"payment": payment.id})
    return redirect(started.redirect_url or receipt)


@blueprint.route("/<token>/payments/<payment_id>")
def receipt(token: str, payment_id: str):
    account_id = _account_of(token)
    payments = runtime().payments
    view = payments.ledger.get(payment_id) if payments else None
    if view is None or view.account_id != account_id or view.login:
        abort(404)   # only payments made through such a link, into this account
    view = settle(view)
    waiting = view.status in ("created", REDIRECTED, "succeeded")
    amount = formatter_for(live().cabinet).money(view.amount, view.currency)
    return render_template("payment.html", payment=view, amount=amount, waiting=waiting)
