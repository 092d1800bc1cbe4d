"""The billing contract (operations, records, errors) and the registry of bindings."""
from __future__ import annotations

import importlib

from ..registry import Registry
from .contract import OPERATIONS, BillingBinding, Operation, Param
from .credential import Credential
from .errors import (
    BillingError, BillingNotFound, BillingOutcomeUnknown, BillingRejected, BillingSessionExpired, BillingUnavailable,
    OperationNotSupported,
)
from .records import Page

__all__ = [
    "OPERATIONS", "BillingBinding", "Operation", "Param", "BillingError", "BillingNotFound",
    "BillingOutcomeUnknown", "BillingRejected", "BillingSessionExpired", "BillingUnavailable", "Credential",
    "OperationNotSupported", "Page",
    "binding_registry", "resolve_binding",
]


def resolve_binding(registry: Registry[type[BillingBinding]], name: str) -> type[BillingBinding]:
    """A binding by its registered name, or by import path ``package.module:Class`` (a binding an
    implementer has not packaged yet). Raises ``LookupError`` with a message that says what exists."""
    if ":" in name:
        module_name, _, class_name = name.partition(":")
        try:
            binding = getattr(importlib.import_module(module_name), class_name)
        except (ImportError, AttributeError) as exc:
            raise LookupError(f"cannot import the binding {name!r}: {exc}") from None
        if not (isinstance(binding, type) and issubclass(binding, BillingBinding)):
            raise LookupError(f"{name!r} is not a BillingBinding subclass")
        return binding
    if name not in registry:
        raise LookupError(f"no billing binding {name!r}; installed: {', '.join(registry.names())} "
                          f"(or give an import path such as mypackage.billing:MyBinding)")
    return registry.get(name)


def binding_registry() -> Registry[type[BillingBinding]]:
    """Bindings installed in this environment: built-ins plus the ``engine.bindings`` entry points."""
    from .demo import DemoBilling
    from .rest import RestBinding

    registry: Registry[type[BillingBinding]] = Registry("billing binding", [("demo", DemoBilling),
                                                                          ("rest", RestBinding)])
    registry.add_entry_points("engine.bindings")
    return registry
