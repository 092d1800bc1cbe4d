"""The registry of engine handlers (actions the engine performs itself), per app.

Built-ins plus the ``engine.handlers`` entry point group; a duplicate name stops start-up.
"""
from __future__ import annotations

from dataclasses import replace
from importlib.metadata import entry_points

from ...assembly.handlers import Handler
from ...registry import Registry
from .autopay import AutopayOff, AutopaySetup, AutopayStatus
from .payments import CardTopUp
from .requests import BecomeClientHandler, SupportRequestHandler
from .session import SignOut

BUILTIN_HANDLERS: tuple[type[Handler], ...] = (SignOut, SupportRequestHandler, BecomeClientHandler, CardTopUp,
                                                AutopayStatus, AutopaySetup, AutopayOff)
GROUP = "engine.handlers"


def handler_registry() -> Registry[Handler]:
    registry: Registry[Handler] = Registry("handler", ((cls.name, cls()) for cls in BUILTIN_HANDLERS))
    for ep in entry_points(group=GROUP):
        if ep.name in registry and ep.value.startswith("engine."):
            continue
        registry.add(ep.name, ep.load()(), origin=f"entry point {ep.value}")
    return registry


def handler_operations(registry: Registry[Handler]):
    """name -> parameters, what the schema compiler checks ``handler:`` actions and data against
    (a handler that does not declare ``reads`` counts as a change: never a screen's data)."""
    return {name: replace(handler.operation, mutation=not handler.reads) for name, handler in registry.items()}
