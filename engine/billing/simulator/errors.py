"""The simulator's error format: ``{"fault": {"code": "CONTRACT_NOT_FOUND", "message": "..."}}``.

Refusals of the billing (``BillingRejected``) answer 422 when the request itself is unacceptable
(an amount, a period, a field) and 409 when the state of the contract does not allow it now;
their ``message`` is the subscriber-facing text of the billing, kept as it is, and their code is
the billing's reason code upper-cased (``insufficient_funds`` -> ``INSUFFICIENT_FUNDS``).
"""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, request
from marshmallow import ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from ..errors import BillingNotFound, BillingRejected, BillingUnavailable

log = logging.getLogger(__name__)

# refusals about the request itself (422); every other refusal is about the state (409)
UNACCEPTABLE = frozenset({"invalid_amount", "block_days_out_of_range", "invalid_period",
                          "payer_name_required", "invalid_email", "invalid_phone", "same_account",
                          "tariff_not_offered", "block_start_too_early", "block_start_too_late"})

# what a BillingNotFound names, by the start of its text
_NOT_FOUND = (("no account", "CONTRACT_NOT_FOUND"), ("no service", "PRODUCT_NOT_FOUND"),
              ("no subscriber", "CUSTOMER_NOT_FOUND"), ("no catalog item", "OFFER_NOT_FOUND"),
              ("no order", "ORDER_NOT_FOUND"), ("no dealer", "PARTNER_NOT_FOUND"),
              ("no bonus programme", "PROGRAMME_NOT_FOUND"), ("no bonus reward", "PERK_NOT_FOUND"))


class Fault(Exception):
    """An answer in the simulator's error format."""

    def __init__(self, status: int, code: str, message: str, **extra: Any):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


def fault_response(status: int, code: str, message: str, **extra: Any):
    response = jsonify(fault={"code": code, "message": message, **extra})
    response.status_code = status
    return response


def register(app: Flask) -> None:
    @app.errorhandler(Fault)
    def _fault(exc: Fault):
        return fault_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.errorhandler(BillingRejected)
    def _rejected(exc: BillingRejected):
        status = 422 if exc.code in UNACCEPTABLE else 409
        return fault_response(status, exc.code.upper(), exc.reason)

    @app.errorhandler(BillingNotFound)
    def _not_found(exc: BillingNotFound):
        text = str(exc)
        code = next((code for prefix, code in _NOT_FOUND if text.startswith(prefix)), "NOT_FOUND")
        return fault_response(404, code, text)

    @app.errorhandler(BillingUnavailable)
    def _unavailable(exc: BillingUnavailable):
        return fault_response(503, "BILLING_UNAVAILABLE", str(exc) or "the billing is unavailable")

    @app.errorhandler(OperationalError)
    def _database(exc: OperationalError):
        log.warning("database error on %s %s: %s", request.method, request.path, exc.orig)
        return fault_response(503, "BILLING_UNAVAILABLE",
                              "the billing's database is unavailable, retry later")

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError):
        fields = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        summary = "; ".join(f"{name}: {' '.join(map(str, msgs)) if isinstance(msgs, list) else msgs}"
                            for name, msgs in fields.items())
        return fault_response(400, "BAD_REQUEST", summary, fields=fields)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        codes = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "UNSUPPORTED_MEDIA_TYPE"}
        code = exc.code or 500          # a bare HTTPException has no code: an internal error
        # the fault format's message is text; only a bare HTTPException lacks a description
        message = (f"no such endpoint: {request.method} {request.path}" if code == 404
                   else exc.description or "")
        response = fault_response(code, codes.get(code, "HTTP_ERROR"), message)
        if code == 405:
            response.headers["Allow"] = exc.get_response().headers.get("Allow", "")
        return response

    @app.errorhandler(Exception)
    def _internal(exc: Exception):
        log.exception("unexpected error on %s %s", request.method, request.path)
        return fault_response(500, "INTERNAL", "an unexpected error in the billing")
