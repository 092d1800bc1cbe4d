"""``cabinet bindings check`` and ``diagnose``: the conformance kit run from the command line, a
line per test with the operations it covers and, for a failure, why; and the capability matrix
with a live health check."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

import pytest

from ..billing.contract import OPERATIONS, BillingBinding
from ..billing.errors import BillingError
from .binding_suite import Scenario


@dataclass
class Result:
    test: str
    operations: tuple[str, ...]
    outcome: str                    # passed | failed | not applicable
    reason: str = ""


class _Plugin:
    def __init__(self, factory: Callable[[], BillingBinding], scenario: Scenario):
        self.factory, self.scenario_value = factory, scenario
        self.results: list[Result] = []

    @pytest.fixture
    def binding(self):
        binding = self.factory()
        yield binding
        binding.close()

    @pytest.fixture
    def scenario(self):
        return self.scenario_value

    def pytest_runtest_logreport(self, report):
        if report.when == "call" or (report.when == "setup" and report.outcome != "passed"):
            name = report.nodeid.rsplit("::", 1)[-1]
            from .binding_suite import BindingSuite
            operations = getattr(getattr(BindingSuite, name, None), "operations", ())
            outcome = {"passed": "passed", "failed": "failed", "skipped": "not applicable"}[report.outcome]
            reason = ""
            if report.outcome == "failed":
                reason = _why(report)
            elif report.outcome == "skipped":
                reason = str(report.longrepr[-1]).replace("Skipped: ", "") if isinstance(report.longrepr, tuple) else ""
            self.results.append(Result(name, operations, outcome, reason))


def _why(report) -> str:
    crash = getattr(report.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    return " ".join(text.split())[:300]


def run_suite(factory: Callable[[], BillingBinding], scenario: Scenario) -> list[Result]:
    plugin = _Plugin(factory, scenario)
    # no project configuration (-c): the kit runs the same wherever the command is started
    pytest.main(["-p", "no:cacheprovider", "-p", "no:terminal", "-c", os.devnull, "-o",
                 "python_files=binding_check.py", "--pyargs", "engine.testing.binding_check"],
                plugins=[plugin])
    return plugin.results


@dataclass
class Probe:
    operation: str
    ok: bool
    milliseconds: float
    detail: str


def diagnose(binding: BillingBinding, scenario: Scenario) -> tuple[dict[str, bool], list[Probe]]:
    """The capability matrix and a live check: the read operations the scenario makes callable."""
    matrix = {name: name in binding.capabilities for name in OPERATIONS}
    probes = []
    plans = [("catalog", {}), ("accounts", {"subscriber_id": scenario.subscriber_id})]
    if scenario.dealer_id:
        plans.append(("dealer_orders", {"dealer_id": scenario.dealer_id}))
    for operation, params in plans:
        if not matrix[operation]:
            continue
        started = time.perf_counter()
        try:
            result = binding.call(operation, params)
            detail, ok = f"{len(result)} items" if isinstance(result, (list, tuple)) else "ok", True
        except BillingError as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
        probes.append(Probe(operation, ok, (time.perf_counter() - started) * 1000, detail))
    return matrix, probes
