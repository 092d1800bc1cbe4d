"""The sandbox's merchant API: JSON, authenticated with ``Authorization: Bearer <secret>``."""
from __future__ import annotations

import hmac
from decimal import Decimal, InvalidOperation

from flask import Blueprint, current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates

from .acquirer import Acquirer, Invalid, NewPayment, SandboxError, to_money

bp = Blueprint("api", __name__, url_prefix="/api")
MAX_AMOUNT = Decimal("10000000.00")


class AmountField(fields.Field):
    """An exact amount with at most two decimal places, as a string ("150.00") or an integer;
    floats are refused (150.1 may not be what was meant)."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise ValidationError('write the amount as a string such as "150.00"')
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            raise ValidationError(f"{value!r} is not an amount") from None
        if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
            raise ValidationError("an amount has at most two decimal places")
        if not Decimal("0.01") <= amount <= MAX_AMOUNT:
            raise ValidationError(f"the amount must be between 0.01 and {MAX_AMOUNT}")
        return int(amount * 100)


def _url() -> fields.Url:
    return fields.Url(required=True, schemes={"http", "https"}, require_tld=False)


class CreatePaymentSchema(Schema):
    payment_id = fields.String(required=True, validate=validate.Length(min=1, max=128))
    amount = AmountField(required=True)
    currency = fields.String(required=True,
                             validate=validate.Regexp(r"^[A-Z]{3}$", error="an ISO 4217 code such as RUB"))
    description = fields.String(load_default="", validate=validate.Length(max=500))
    return_url = _url()
    notify_url = _url()
    customer_email = fields.Email(load_default=None, allow_none=True)
    save_card = fields.Boolean(load_default=False)
    card_token = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=64))


class RefundSchema(Schema):
    amount = AmountField(required=True)
    refund_id = fields.String(required=True, validate=validate.Length(min=1, max=128))

    @validates("refund_id")
    def _printable(self, value, **kwargs):
        if not value.isprintable():
            raise ValidationError("use printable characters only")


def _acquirer() -> Acquirer:
    return current_app.extensions["sandbox"].acquirer


@bp.before_request
def _authenticate():
    expected = f"Bearer {current_app.extensions['sandbox'].secret}".encode()
    given = request.headers.get("Authorization", "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(given, expected):
        response = jsonify(error="unauthorized",
                           message="send the merchant secret as 'Authorization: Bearer <secret>'")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="sandbox"'
        return response
    return None


@bp.errorhandler(SandboxError)
def _refused(exc: SandboxError):
    return jsonify(error=exc.code, message=str(exc)), exc.http_status


@bp.errorhandler(ValidationError)
def _invalid(exc: ValidationError):
    fields_ = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
    summary = "; ".join(f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                        for name, msgs in fields_.items())
    return jsonify(error="invalid_request", message=summary, fields=fields_), 400


def _json_body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("send a JSON object with Content-Type: application/json")
    return data


@bp.post("/payments")
def create_payment():
    data = CreatePaymentSchema().load(_json_body())
    payment = _acquirer().create(NewPayment(
        order_id=data["payment_id"], amount_minor=data["amount"], currency=data["currency"],
        description=data["description"], return_url=data["return_url"], notify_url=data["notify_url"],
        customer_email=data["customer_email"], save_card=data["save_card"], card_token=data["card_token"]))
    return jsonify(_acquirer().describe(payment))


@bp.get("/payments/<payment_id>")
def get_payment(payment_id: str):
    return jsonify(_acquirer().describe(_acquirer().get(payment_id)))


@bp.post("/payments/<payment_id>/refunds")
def refund_payment(payment_id: str):
    data = RefundSchema().load(_json_body())
    payment, refund = _acquirer().refund(payment_id, data["amount"], data["refund_id"])
    return jsonify(payment=_acquirer().describe(payment),
                   refund={"refund_id": refund.refund_id, "amount": to_money(refund.amount_minor),
                           "event_id": refund.event_id})


@bp.post("/payments/<payment_id>/notifications")
def resend_notification(payment_id: str):
    """Deliver the latest event again, with its event id: the merchant deduplicates it."""
    return jsonify(event_id=_acquirer().resend(payment_id)), 202
