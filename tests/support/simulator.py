"""The billing simulator as its own process, for tests."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import python_service


@contextmanager
def simulator_process(folder: Path, api_key: str, *extra_args: str):
    """Start ``python -m engine.billing.simulator`` on a free 127.0.0.1 port with its state in
    ``folder``; yields its base URL. ``extra_args`` go to its command line (``--today``, ...)."""
    database = f"sqlite:///{(folder / 'simulator.sqlite').resolve()}"
    with python_service("the billing simulator", "engine.billing.simulator", ["--database", database, *extra_args],
                        folder, {"SIMULATOR_API_KEY": api_key}) as base:
        yield base


@contextmanager
def ubilling_process(folder: Path, *extra_args: str, faults_key: str = ""):
    """Start ``python -m engine.billing.ubilling`` (Ubilling's XMLAgent, simulated) on a free
    127.0.0.1 port; yields the address userstats is installed at (``…/billing/userstats``). With
    ``faults_key`` it serves ``/__faults`` (outside userstats) for tests."""
    env = {"UBILLING_FAULTS_API_KEY": faults_key} if faults_key else {}
    with python_service("the Ubilling simulator", "engine.billing.ubilling", list(extra_args), folder, env) as base:
        yield f"{base}/billing/userstats"
