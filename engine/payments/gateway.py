"""The payment gateway contract: what the engine asks of an acquirer, and what it gets back.

A gateway subclasses ``PaymentGateway``. The engine records a payment before it sends the payer
away (``create_payment``), learns the outcome from a signed server-to-server notification
(``parse_notification``) or by asking (``payment_status``, for reconciliation), and gives money
back with ``refund``. The browser's return to ``return_url`` only tells the payer's page where to
go: it proves nothing, the notification (or ``payment_status``) does.

Money is ``Decimal`` with two places. Every outbound HTTP call goes through the instance's one
``engine.http.HttpClient`` (``self.http``) with ``HTTP_TIMEOUT``; network failures, timeouts and 5xx
answers become ``GatewayUnavailable`` (try again later), a refusal becomes ``GatewayRejected``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, ClassVar, Mapping

import requests

from ..http import HttpClient, HttpUnavailable

log = logging.getLogger(__name__)

CENT = Decimal("0.01")
HTTP_TIMEOUT = (3, 10)                       # seconds: connect, read
NOTIFICATION_MAX_AGE = timedelta(minutes=10)  # an older signed notification is a replay: refuse it
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class PaymentStatus(str, Enum):
    PENDING = "pending"                        # created; the payer has not finished (or 3-D Secure waits)
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    REFUNDED = "refunded"                      # the whole amount was given back
    PARTIALLY_REFUNDED = "partially_refunded"
    EXPIRED = "expired"                        # the payer never paid in time

    @property
    def final(self) -> bool:
        """No payer action can change it any more (refunds still may)."""
        return self is not PaymentStatus.PENDING


class GatewayError(Exception):
    """Base of the gateway errors."""


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached or failed (network, timeout, 5xx): the outcome is unknown;
    retry, or ask ``payment_status`` later."""


class GatewayRejected(GatewayError):
    """The gateway refused the request; ``reason`` says why in words a person can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class InvalidSignature(GatewayError):
    """A notification whose signature is missing, wrong or too old: ignore its content."""


def money(value: Any) -> Decimal:
    """An exact amount with two places; refuses floats (inexact), other precisions and non-numbers."""
    if isinstance(value, (float, bool)):
        raise ValueError(f"an amount must be a Decimal or a string, not {type(value).__name__}")
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount") from None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"{value!r} is not an amount with at most two decimal places")
    return amount.quantize(CENT)


@dataclass(frozen=True)
class PaymentRequest:
    payment_id: str                  # the engine's own id; the gateway treats it as the idempotency key
    amount: Decimal
    currency: str                    # ISO 4217, e.g. RUB
    description: str
    return_url: str                  # where the payer's browser comes back
    notify_url: str                  # where the gateway POSTs the notification
    customer_email: str | None = None
    save_card: bool = False          # offer the payer to save the card for autopay
    card_token: str | None = None    # charge a saved card at once, without the payer

    def __post_init__(self) -> None:
        if not self.payment_id:
            raise ValueError("payment_id is required")
        amount = money(self.amount)
        if amount <= 0:
            raise ValueError("the amount must be more than zero")
        object.__setattr__(self, "amount", amount)
        if not _CURRENCY.match(self.currency):
            raise ValueError(f"currency {self.currency!r} is not an ISO 4217 code such as RUB")


@dataclass(frozen=True)
class GatewaySession:
    gateway_payment_id: str          # store it with the payment: status and refunds name it
    redirect_url: str | None         # the hosted payment page; None when a card token was charged directly
    status: PaymentStatus


@dataclass(frozen=True)
class Notification:
    """The state of a payment as the gateway reports it (in a notification, a status answer or a
    refund answer)."""

    gateway_payment_id: str
    payment_id: str                  # the engine's id from the PaymentRequest
    status: PaymentStatus
    amount: Decimal
    currency: str
    card_mask: str | None = None     # "4111 11•• •••• 1111"
    card_token: str | None = None    # when the payer saved the card (or the token that was charged)
    decline_reason: str | None = None
    event_id: str = ""               # unique per event; a replayed or retried notification repeats it
    refunded_amount: Decimal = Decimal("0.00")   # total given back so far


class PaymentGateway:
    """Base class of gateways. Instances are used from several threads at once."""

    #: marshmallow schema of the gateway's options; the engine loads the options with it and passes
    #: the result to the constructor as keyword arguments
    options_schema: ClassVar[Any] = None

    def __init__(self) -> None:
        self.http = HttpClient(timeout=HTTP_TIMEOUT)      # one connection pool per gateway instance

    def create_payment(self, request: PaymentRequest) -> GatewaySession:
        """Register the payment (idempotent on ``request.payment_id``) and say where to send the payer."""
        raise NotImplementedError

    def payment_status(self, gateway_payment_id: str) -> Notification:
        """Ask the gateway directly, for reconciliation when a notification is late or lost."""
        raise NotImplementedError

    def parse_notification(self, body: bytes, headers: Mapping[str, str]) -> Notification:
        """Verify the signature of a notification (``InvalidSignature`` when it is missing, wrong
        or older than ``NOTIFICATION_MAX_AGE``) and read it."""
        raise NotImplementedError

    def refund(self, gateway_payment_id: str, amount: Decimal, refund_id: str) -> Notification:
        """Give ``amount`` back; the same ``refund_id`` again repeats no effect and answers the same."""
        raise NotImplementedError

    def close(self) -> None:
        self.http.close()

    def __repr__(self) -> str:   # never shows options: they hold secrets
        return f"<{type(self).__name__}>"

    # --- plumbing for subclasses ------------------------------------------------------------------
    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One HTTP call with the gateway's timeouts, never retried (a payment is never sent twice);
        unreachable or failing gateways (5xx) raise ``GatewayUnavailable``. Other answers are
        returned for the subclass to read."""
        try:
            return self.http.send(method, url, idempotent=False, **kwargs)
        except HttpUnavailable as exc:
            log.warning("payment gateway unavailable: %s", exc)
            raise GatewayUnavailable(f"the payment gateway is not available: {exc}") from None
