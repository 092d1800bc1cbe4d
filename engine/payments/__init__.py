"""Payment gateways: the contract (``gateway.py``), the registry of gateway classes, and the
built-in sandbox acquirer (``sandbox/``)."""
from __future__ import annotations

from ..registry import Registry
from .gateway import (
    HTTP_TIMEOUT, NOTIFICATION_MAX_AGE, GatewayError, GatewayRejected, GatewaySession, GatewayUnavailable,
    InvalidSignature, Notification, PaymentGateway, PaymentRequest, PaymentStatus,
)

__all__ = [
    "HTTP_TIMEOUT", "NOTIFICATION_MAX_AGE", "GatewayError", "GatewayRejected", "GatewaySession",
    "GatewayUnavailable", "InvalidSignature", "Notification", "PaymentGateway", "PaymentRequest",
    "PaymentStatus", "gateway_registry",
]


def gateway_registry() -> Registry[type[PaymentGateway]]:
    """Gateways installed in this environment: the built-in sandbox plus the
    ``engine.payment_gateways`` entry points (a duplicate name is a start-up error)."""
    from .sandbox.client import SandboxGateway

    registry: Registry[type[PaymentGateway]] = Registry("payment gateway", [("sandbox", SandboxGateway)])
    registry.add_entry_points("engine.payment_gateways")
    return registry
