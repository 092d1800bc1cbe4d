"""The billing's own payment site, as billings have one (``/pay/<contractNo>``): a page where a
contract is paid without the cabinet. The cabinet links to it (``payment_pages``). It stands in for
a payment system's page, so it takes an amount and credits it; a real one would take a card."""
from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation
from html import escape

from flask import Blueprint, Response, current_app, request

from ..errors import BillingNotFound, BillingRejected

bp = Blueprint("pay", __name__)

_PAGE = """<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Оплата по договору {number}</title></head>
<body><main><h1>Оплата по договору {number}</h1>{message}
<form method="post"><label>Сумма, ₽ <input name="amount" inputmode="decimal" required></label>
<button type="submit">Оплатить</button></form></main></body></html>"""


def _page(number: str, message: str = "", status: int = 200) -> Response:
    return Response(_PAGE.format(number=escape(number), message=message), status=status,
                    mimetype="text/html")


@bp.route("/pay/<contractNo>", methods=["GET", "POST"])
def pay(contractNo: str) -> Response:
    billing = current_app.extensions["simulator"].billing
    try:
        billing.account(contractNo)
    except BillingNotFound:
        return _page(contractNo, "<p role='alert'>Договор не найден.</p>", 404)
    if request.method == "GET":
        return _page(contractNo)
    try:
        amount = Decimal((request.form.get("amount") or "").replace(",", ".").strip())
        receipt = billing.register_payment(contractNo, amount, f"site-{uuid.uuid4().hex}")
    except (InvalidOperation, BillingRejected) as exc:
        reason = exc.reason if isinstance(exc, BillingRejected) else "Укажите сумму числом."
        return _page(contractNo, f"<p role='alert'>{escape(reason)}</p>", 422)
    return _page(contractNo, f"<p role='status'>Зачислено {escape(str(receipt.amount))} ₽.</p>")
