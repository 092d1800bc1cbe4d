"""The sandbox acquirer (a Flask app of its own: ``create_sandbox_app``) and the engine's gateway
for it (``SandboxGateway``)."""
from __future__ import annotations

from .app import create_sandbox_app
from .client import SandboxGateway

__all__ = ["SandboxGateway", "create_sandbox_app"]
