"""The engine's gateway for the sandbox acquirer: speaks its merchant API over HTTP, as a gateway for
a real provider would, and verifies its notifications."""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Mapping
from urllib.parse import quote

from marshmallow import Schema, fields, validate

from ..gateway import (
    NOTIFICATION_MAX_AGE, GatewayRejected, GatewaySession, GatewayUnavailable, InvalidSignature, Notification,
    PaymentGateway, PaymentRequest, PaymentStatus, money,
)
from .signature import HEADER, verify_signature


class SandboxGatewayOptions(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False)   # the sandbox's base URL
    secret = fields.String(required=True, validate=validate.Length(min=1))


class SandboxGateway(PaymentGateway):
    options_schema = SandboxGatewayOptions

    def __init__(self, url: str, secret: str):
        super().__init__()
        self._base = url.rstrip("/")
        self._secret = secret

    def create_payment(self, request: PaymentRequest) -> GatewaySession:
        data = self._call("POST", "/api/payments", {
            "payment_id": request.payment_id, "amount": str(request.amount), "currency": request.currency,
            "description": request.description, "return_url": request.return_url,
            "notify_url": request.notify_url, "customer_email": request.customer_email,
            "save_card": request.save_card, "card_token": request.card_token,
        })
        return GatewaySession(gateway_payment_id=data["id"], redirect_url=data.get("redirect_url"),
                              status=PaymentStatus(data["status"]))

    def payment_status(self, gateway_payment_id: str) -> Notification:
        data = self._call("GET", f"/api/payments/{quote(gateway_payment_id, safe='')}")
        # the latest event's id: a notification of the same event and this answer deduplicate
        return _notification(data, data.get("last_event_id") or f"{data['id']}:{data['status']}")

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        try:
            verify_signature(self._secret, body, _header(headers, HEADER),
                             NOTIFICATION_MAX_AGE.total_seconds())
        except ValueError as exc:
            raise InvalidSignature(str(exc)) from None
        try:
            data = json.loads(body)
            return _notification(data["payment"], data["event_id"])
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidSignature(f"the notification is signed but cannot be read ({exc})") from None

    def refund(self, gateway_payment_id: str, amount: Decimal, refund_id: str) -> Notification:
        data = self._call("POST", f"/api/payments/{quote(gateway_payment_id, safe='')}/refunds",
                          {"amount": str(money(amount)), "refund_id": refund_id})
        return _notification(data["payment"], data["refund"]["event_id"])

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._secret}", "Accept": "application/json"}
        response = self._send(method, self._base + path, json=body, headers=headers)
        if response.status_code == 401:
            raise GatewayRejected("the sandbox refused the merchant secret; "
                                  "check the gateway's 'secret' option")
        try:
            data = response.json()
        except ValueError:
            raise GatewayUnavailable(f"the sandbox answered HTTP {response.status_code} without JSON; "
                                     f"is the gateway's 'url' option the sandbox?") from None
        if response.status_code >= 400:
            raise GatewayRejected(data.get("message") or f"the sandbox refused (HTTP {response.status_code})")
        return data


def _notification(payment: Mapping[str, Any], event_id: str) -> Notification:
    return Notification(
        gateway_payment_id=payment["id"], payment_id=payment["payment_id"],
        status=PaymentStatus(payment["status"]),
        amount=money(payment["amount"]), currency=payment["currency"],
        card_mask=payment.get("card_mask"), card_token=payment.get("card_token"),
        decline_reason=payment.get("decline_reason"), event_id=event_id,
        refunded_amount=money(payment.get("refunded_amount", "0.00")),
    )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name in any letter case (a plain dict is not case-insensitive as Werkzeug's are)."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name.lower()), None)
    return value
