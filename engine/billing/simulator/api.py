"""The simulator's REST API under ``/api/v2`` (see ``openapi.yaml``), authenticated with ``X-Api-Key``.

Every answer is computed by the demo billing: the endpoints only translate between its records and
this API's shapes (``wire``). Lists are paginated with ``?page=&perPage=``; mutations take an
``Idempotency-Key`` header, which becomes the billing's request id, so a repeated key repeats no
effect and answers with the first result. A payment is keyed by its ``paymentRef`` instead.
"""
from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields

from ..demo import DemoBilling
from ..records import Page
from . import wire
from .errors import Fault

bp = Blueprint("api", __name__, url_prefix="/api/v2")

API_KEY_HEADER = "X-Api-Key"
IDEMPOTENCY_HEADER = "Idempotency-Key"
DEFAULT_PER_PAGE, MAX_PER_PAGE = 4, 50
MAX_KEY_LENGTH = 200
MAX_AMOUNT_KOP = 10 ** 12


def _billing() -> DemoBilling:
    return current_app.extensions["simulator"].billing


def authenticate() -> None:
    """Refuse a request without the right ``X-Api-Key`` (401 in the simulator's error format)."""
    expected = current_app.extensions["simulator"].api_key.encode()
    given = request.headers.get(API_KEY_HEADER, "").encode("utf-8", "surrogateescape")
    if not hmac.compare_digest(given, expected):
        raise Fault(401, "UNAUTHORIZED", f"send the API key in the {API_KEY_HEADER} header")


bp.before_request(authenticate)


# --- request parts ------------------------------------------------------------------------------------
def _key(value: str, what: str) -> str:
    value = value.strip()
    if not value or len(value) > MAX_KEY_LENGTH or not value.isprintable():
        raise Fault(400, "BAD_REQUEST", f"{what} must be 1 to {MAX_KEY_LENGTH} printable characters")
    return value


def _idempotency_key() -> str:
    if not request.headers.get(IDEMPOTENCY_HEADER, "").strip():
        raise Fault(400, "IDEMPOTENCY_KEY_REQUIRED",
                    f"send an {IDEMPOTENCY_HEADER} header: one key per intended change")
    return _key(request.headers[IDEMPOTENCY_HEADER], IDEMPOTENCY_HEADER)


def _body(schema: Schema) -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Fault(400, "BAD_REQUEST", "send a JSON object with Content-Type: application/json")
    return schema.load(data)


class WholeNumber(fields.Field):
    """A JSON integer (not a boolean, not a string)."""

    def _deserialize(self, value, attr, data, **kwargs) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValidationError("an integer is required")
        return value


class AmountKop(fields.Field):
    """An amount in kopecks (a JSON number) -> Decimal roubles. Whether it is a valid amount (positive,
    whole kopecks) the billing decides, and refuses with a subscriber-facing reason."""

    def _deserialize(self, value, attr, data, **kwargs) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationError("an amount in kopecks (a number) is required")
        if abs(value) > MAX_AMOUNT_KOP:
            raise ValidationError(f"at most {MAX_AMOUNT_KOP} kopecks")
        return Decimal(str(value)) / 100


class PlanChangeBody(Schema):
    planId = fields.String(required=True)


class PauseBody(Schema):
    days = WholeNumber(required=True)


class PauseScheduleBody(Schema):
    startsOn = fields.Date(required=True)
    endsOn = fields.Date(required=True)


class OrderBody(Schema):
    offerId = fields.String(required=True)


class MembershipBody(Schema):
    programmeId = fields.String(required=True)


class RedemptionBody(Schema):
    perkId = fields.String(required=True)


class PaymentBody(Schema):
    amountKop = AmountKop(required=True)


class TransferBody(Schema):
    targetContractNo = fields.String(required=True)
    amountKop = AmountKop(required=True)


class WalletTopUpBody(Schema):
    amountKop = AmountKop(required=True)


class ContactsBody(Schema):
    email = fields.String(load_default="", allow_none=True)
    phone = fields.String(load_default="", allow_none=True)


class PayerBody(Schema):
    fullName = fields.String(required=True)
    contacts = fields.Nested(ContactsBody, load_default=lambda: {"email": "", "phone": ""})
    mailingAddress = fields.String(load_default="", allow_none=True)


class PeriodQuery(Schema):
    from_ = fields.Date(required=True, data_key="from")
    to = fields.Date(required=True)
    page = fields.Raw()
    perPage = fields.Raw()


def _paging() -> tuple[int, int]:
    def number(name: str, default: int, highest: int | None) -> int:
        raw = request.args.get(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1 or (highest is not None and value > highest):
            limit = f"1 to {highest}" if highest else "1 or more"
            raise Fault(400, "BAD_REQUEST", f"{name} must be an integer, {limit}", fields={name: [limit]})
        return value

    return number("page", 1, None), number("perPage", DEFAULT_PER_PAGE, MAX_PER_PAGE)


def _paged(load: Callable[[], Sequence[Any]], shape: Callable[[Any], dict[str, Any]]):
    """One page of a list: ``{"items": [...], "page": 2, "perPage": 4, "total": 11}``."""
    page, per_page = _paging()       # checked before the billing is asked
    items = load()
    start = (page - 1) * per_page
    return jsonify(items=[shape(item) for item in items[start:start + per_page]], page=page,
                   perPage=per_page, total=len(items))


def _windowed(load: Callable[[int, int], Sequence[Any]], shape: Callable[[Any], dict[str, Any]]):
    """The same answer as ``_paged`` for a list the billing pages itself: only this page is read
    (``load(limit, offset)`` answers a Page with the total), as a real billing's long lists are."""
    page, per_page = _paging()
    items = load(per_page, (page - 1) * per_page)
    total = items.total if isinstance(items, Page) and items.total is not None else len(items)
    return jsonify(items=[shape(item) for item in items], page=page, perPage=per_page, total=total)


# --- customers and contracts ------------------------------------------------------------------------
@bp.get("/customers/by-login/<login>")
def customer_by_login(login: str):
    found = _billing().resolve_subscriber(login)
    if found is None:
        raise Fault(404, "CUSTOMER_NOT_FOUND", f"no customer with the login {login!r}")
    return jsonify(customerId=found, login=login)


@bp.get("/customers/<customerId>/contracts")
def customer_contracts(customerId: str):
    return _paged(lambda: _billing().accounts(customerId), wire.contract)


@bp.get("/contracts/<contractNo>")
def get_contract(contractNo: str):
    return jsonify(wire.contract(_billing().account(contractNo)))


# --- products and plans -----------------------------------------------------------------------------
@bp.get("/contracts/<contractNo>/products")
def contract_products(contractNo: str):
    return _paged(lambda: _billing().services(contractNo), wire.product)


@bp.get("/products/<productId>")
def get_product(productId: str):
    return jsonify(wire.product(_billing().service(productId)))


@bp.get("/products/<productId>/plans")
def product_plans(productId: str):
    return _paged(lambda: _billing().tariffs(productId), wire.plan_offer)


@bp.post("/products/<productId>/plan-changes")
def change_plan(productId: str):
    key, body = _idempotency_key(), _body(PlanChangeBody())
    return jsonify(wire.outcome(_billing().change_tariff(productId, body["planId"], key)))


@bp.post("/products/<productId>/termination")
def terminate_product(productId: str):
    key = _idempotency_key()
    return jsonify(wire.outcome(_billing().disconnect_service(productId, key)))


# --- voluntary pause --------------------------------------------------------------------------------
@bp.get("/contracts/<contractNo>/pause")
def pause_conditions(contractNo: str):
    return jsonify(wire.pause_conditions(_billing().block_terms(contractNo)))


@bp.post("/contracts/<contractNo>/pause")
def start_pause(contractNo: str):
    key, body = _idempotency_key(), _body(PauseBody())
    return jsonify(wire.outcome(_billing().block_services(contractNo, body["days"], key)))


@bp.post("/contracts/<contractNo>/pause-schedule")
def schedule_pause(contractNo: str):
    key, body = _idempotency_key(), _body(PauseScheduleBody())
    return jsonify(wire.outcome(_billing().schedule_block(contractNo, body["startsOn"], body["endsOn"], key)))


@bp.delete("/contracts/<contractNo>/pause")
def end_pause(contractNo: str):
    key = _idempotency_key()
    return jsonify(wire.outcome(_billing().unblock_services(contractNo, key)))


# --- ledger -----------------------------------------------------------------------------------------
@bp.get("/contracts/<contractNo>/ledger")
def ledger(contractNo: str):
    period = PeriodQuery().load(request.args.to_dict())
    return _windowed(lambda limit, offset: _billing().history(contractNo, period["from_"], period["to"], limit, offset),
                     wire.ledger_entry)


# --- usage and bundles ------------------------------------------------------------------------------
@bp.get("/contracts/<contractNo>/usage")
def usage_events(contractNo: str):
    period = PeriodQuery().load(request.args.to_dict())
    return _paged(lambda: _billing().usage(contractNo, period["from_"], period["to"]).records, wire.usage_event)


@bp.get("/contracts/<contractNo>/bundles")
def bundles(contractNo: str):
    return _paged(lambda: _billing().package_balances(contractNo), wire.bundle)


# --- trust credit (promised payment) ----------------------------------------------------------------
@bp.get("/contracts/<contractNo>/trust-credit")
def trust_credit(contractNo: str):
    return jsonify(wire.trust_credit(_billing().promised_payment_terms(contractNo)))


@bp.post("/contracts/<contractNo>/trust-credit")
def take_trust_credit(contractNo: str):
    key = _idempotency_key()
    return jsonify(wire.outcome(_billing().activate_promised_payment(contractNo, key)))


# --- offers and orders ------------------------------------------------------------------------------
@bp.get("/offers")
def offers():
    return _paged(_billing().catalog, wire.offer)


@bp.get("/contracts/<contractNo>/orders")
def contract_orders(contractNo: str):
    return _paged(lambda: _billing().orders(contractNo), wire.order)


@bp.post("/contracts/<contractNo>/orders")
def place_order(contractNo: str):
    key, body = _idempotency_key(), _body(OrderBody())
    return jsonify(wire.order(_billing().order(contractNo, body["offerId"], key))), 201


@bp.post("/contracts/<contractNo>/orders/<orderId>/cancellation")
def cancel_order(contractNo: str, orderId: str):
    key = _idempotency_key()
    return jsonify(wire.order(_billing().cancel_order(contractNo, orderId, key)))


# --- money ------------------------------------------------------------------------------------------
@bp.put("/contracts/<contractNo>/payments/<paymentRef>")
def book_payment(contractNo: str, paymentRef: str):
    key, body = _key(paymentRef, "paymentRef"), _body(PaymentBody())
    return jsonify(wire.payment(_billing().register_payment(contractNo, body["amountKop"], key)))


@bp.post("/contracts/<contractNo>/transfers")
def make_transfer(contractNo: str):
    key, body = _idempotency_key(), _body(TransferBody())
    receipt = _billing().transfer(contractNo, body["targetContractNo"], body["amountKop"], key)
    return jsonify(wire.transfer(receipt))


@bp.post("/contracts/<contractNo>/products/<productId>/wallet-top-ups")
def top_up_product_wallet(contractNo: str, productId: str):
    key, body = _idempotency_key(), _body(WalletTopUpBody())
    return jsonify(wire.outcome(_billing().top_up_service(contractNo, productId, body["amountKop"], key)))


@bp.get("/contracts/<contractNo>/loyalty")
def loyalty(contractNo: str):
    return jsonify(wire.loyalty(_billing().bonuses(contractNo)))


@bp.get("/contracts/<contractNo>/loyalty/programmes")
def loyalty_programmes(contractNo: str):
    return _paged(lambda: _billing().bonus_programmes(contractNo), wire.loyalty_programme)


@bp.post("/contracts/<contractNo>/loyalty/membership")
def join_loyalty_programme(contractNo: str):
    key, body = _idempotency_key(), _body(MembershipBody())
    return jsonify(wire.outcome(_billing().join_bonus_programme(contractNo, body["programmeId"], key)))


@bp.post("/contracts/<contractNo>/loyalty/redemptions")
def redeem_points(contractNo: str):
    key, body = _idempotency_key(), _body(RedemptionBody())
    return jsonify(wire.outcome(_billing().spend_bonus_points(contractNo, body["perkId"], key)))


@bp.get("/contracts/<contractNo>/payment-pages")
def payment_pages(contractNo: str):
    language = request.accept_languages.best_match(["ru", "en"]) or "ru"
    return jsonify({"items": [wire.payment_page(p) for p in _billing().payment_pages(contractNo, language)]})


# --- payer ------------------------------------------------------------------------------------------
@bp.get("/contracts/<contractNo>/payer")
def get_payer(contractNo: str):
    return jsonify(wire.payer(_billing().requisites(contractNo)))


@bp.put("/contracts/<contractNo>/payer")
def put_payer(contractNo: str):
    key, body = _idempotency_key(), _body(PayerBody())
    contacts = body["contacts"]
    requisites = _billing().update_requisites(
        contractNo, body["fullName"], key, email=contacts.get("email") or "",
        phone=contacts.get("phone") or "", postal_address=body["mailingAddress"] or "")
    return jsonify(wire.payer(requisites))


# --- partners (dealers) -----------------------------------------------------------------------------
@bp.get("/partners/<partnerId>/clients")
def partner_clients(partnerId: str):
    return _windowed(lambda limit, offset: _billing().dealer_subscribers(partnerId, limit, offset), wire.client)


@bp.get("/partners/<partnerId>/order-stats")
def partner_order_stats(partnerId: str):
    return jsonify(wire.order_stats(_billing().dealer_orders(partnerId)))
