"""The hosted payment pages the payer sees: the card form, the 3-D Secure challenge, the outcome.

The form carries the payment's nonce instead of a CSRF token: the provider has no session with the
payer, and the nonce proves the form came from this payment's page.
"""
from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from . import models as m
from .acquirer import Acquirer, Invalid, NotFound, external_status
from .cards import DECLINE_CARD, SUCCESS_CARD, THREE_DS_CARD, THREE_DS_CODE, read_card

bp = Blueprint("pages", __name__)

CURRENCY_SIGNS = {"RUB": "₽", "USD": "$", "EUR": "€"}
TEST_CARDS = (
    (SUCCESS_CARD, "оплата проходит", "success"),
    (DECLINE_CARD, "отказ: недостаточно средств", "declined: insufficient funds"),
    (THREE_DS_CARD, f"3-D Secure, код {THREE_DS_CODE}", f"3-D Secure, code {THREE_DS_CODE}"),
)


def _acquirer() -> Acquirer:
    return current_app.extensions["sandbox"].acquirer


@bp.get("/pay/<payment_id>")
def pay(payment_id: str):
    payment = _acquirer().get(payment_id)
    if payment.state == m.AWAITING_3DS:
        return redirect(url_for(".three_ds", payment_id=payment.id), 303)
    if payment.state != m.PENDING:
        return _outcome(payment)
    return _card_form(payment)


@bp.post("/pay/<payment_id>")
def submit_card(payment_id: str):
    payment = _acquirer().get(payment_id)
    if payment.state != m.PENDING:       # paid once: a second submit only shows what happened
        return pay(payment_id)
    form = request.form
    card, errors = read_card(form.get("card_number", ""), form.get("expiry", ""), form.get("cvc", ""),
                             form.get("holder", ""), datetime.now(UTC).date())
    if card is None:
        return _card_form(payment, errors, status=422)
    payment = _acquirer().pay(payment.id, form.get("nonce", ""), card, form.get("save_card") == "yes")
    return _after_decision(payment)


@bp.route("/pay/<payment_id>/3ds", methods=["GET", "POST"])
def three_ds(payment_id: str):
    payment = _acquirer().get(payment_id)
    if payment.state == m.PENDING:
        return redirect(url_for(".pay", payment_id=payment.id), 303)
    if payment.state != m.AWAITING_3DS:
        return _outcome(payment)
    if request.method == "POST":
        form = request.form
        payment = _acquirer().confirm_3ds(payment.id, form.get("nonce", ""), form.get("code", ""))
        return _after_decision(payment)
    return _page("three_ds.html", payment)


@bp.errorhandler(NotFound)
def _not_found(exc: NotFound):
    return _page("message.html", None, status=404, title="Платёж не найден / Payment not found",
                 text="Проверьте ссылку или вернитесь в магазин. / Check the link or go back to the shop.")


@bp.errorhandler(Invalid)
def _stale_form(exc: Invalid):
    return _page("message.html", None, status=400, title="Форма устарела / The form is out of date",
                 text="Откройте страницу оплаты заново. / Open the payment page again.")


def _after_decision(payment: m.Payment) -> BaseResponse:   # redirect() gives werkzeug's Response
    if payment.state == m.AWAITING_3DS:
        return redirect(url_for(".three_ds", payment_id=payment.id), 303)
    if payment.state == m.PENDING:
        return redirect(url_for(".pay", payment_id=payment.id), 303)
    return redirect(return_url(payment), 303)


def _card_form(payment: m.Payment, errors: dict[str, str] | None = None, status: int = 200) -> Response:
    form = request.form if request.method == "POST" else {}
    values = {"card_number": form.get("card_number", ""), "expiry": form.get("expiry", ""),
              "holder": form.get("holder", ""), "save_card": form.get("save_card") == "yes"}   # never the CVC
    return _page("pay.html", payment, status=status, errors=errors or {}, values=values,
                 test_cards=TEST_CARDS)


def _outcome(payment: m.Payment) -> Response:
    return _page("outcome.html", payment, status_name=external_status(payment.state),
                 back_url=return_url(payment))


def _page(template: str, payment: m.Payment | None, status: int = 200, **context) -> Response:
    if payment is not None:
        context.update(payment=payment, amount=format_amount(payment.amount_minor, payment.currency))
    response = Response(render_template(template, **context), status=status, mimetype="text/html")
    # the form posts here and is then redirected to the shop: both are allowed form targets
    shop = _origin(payment.return_url) if payment is not None else ""
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' {shop}; "
        f"frame-ancestors 'none'; base-uri 'none'")
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def return_url(payment: m.Payment) -> str:
    """The shop's return address with the payment's id and status added to its query."""
    parts = urlsplit(payment.return_url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k not in ("payment_id", "status")]
    query += [("payment_id", payment.order_id), ("status", external_status(payment.state))]
    return urlunsplit(parts._replace(query=urlencode(query)))


def format_amount(minor: int, currency: str) -> str:
    """1 234,50 ₽ — the Russian way, with non-breaking spaces."""
    whole, cents = divmod(minor, 100)
    grouped = f"{whole:,}".replace(",", "\u00a0")
    return f"{grouped},{cents:02d}\u00a0{CURRENCY_SIGNS.get(currency, currency)}"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"

