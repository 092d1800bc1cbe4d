"""The sandbox acquirer as its own process, for tests."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import free_port, python_service

__all__ = ["free_port", "sandbox_process"]


@contextmanager
def sandbox_process(folder: Path, secret: str):
    """Start ``python -m engine.payments.sandbox`` on a free 127.0.0.1 port; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with python_service("the sandbox acquirer", "engine.payments.sandbox",
                        ["--database", str(folder / "sandbox.sqlite"), "--public-url", base], folder,
                        {"SANDBOX_SECRET": secret}, port=port) as started:
        yield started
