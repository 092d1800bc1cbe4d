"""A reference REST billing: a standalone HTTP billing simulator (``create_simulator_app``,
``python -m engine.billing.simulator``) with an API of its own shape, described in ``openapi.yaml``.

Its state and business rules are the demo billing's (``DemoBilling``), so the demo cabinet runs on
it unchanged through a declarative binding; ``MAPPING.md`` relates its API to the billing contract.
"""
from __future__ import annotations

from .app import create_simulator_app

__all__ = ["create_simulator_app"]
