"""``cabinet bindings check`` and ``diagnose``: the conformance kit run from the command line, a
line per test with the operations it covers and, for a failure, why; and the capability matrix
with a live health check."""
from __future__ import annotations

import inspect
import time
import traceback
from dataclasses import dataclass
from typing import Callable

from ..billing.contract import BillingBinding
from ..billing.errors import BillingError
from .binding_suite import BindingSuite, NotApplicable, Scenario, acting


@dataclass
class Result:
    test: str
    operations: tuple[str, ...]
    outcome: str                    # passed | failed | not applicable
    reason: str = ""


def checks() -> list[str]:
    """The kit's tests, in the order they are written."""
    tests = [(name, member) for name, member in vars(BindingSuite).items()
             if name.startswith("test_") and callable(member)]
    return [name for name, member in sorted(tests, key=lambda t: inspect.unwrap(t[1]).__code__.co_firstlineno)]


def run_suite(factory: Callable[[], BillingBinding], scenario: Scenario) -> list[Result]:
    """Every test of the kit on a fresh binding from ``factory``, without pytest (a plain install
    has none): what each found, a line each."""
    suite, results = BindingSuite(), []
    for name in checks():
        test = getattr(suite, name)
        operations = tuple(getattr(test, "operations", ()))
        binding = factory()
        try:
            test(binding, scenario)
        except NotApplicable as exc:
            results.append(Result(name, operations, "not applicable", str(exc)))
        except AssertionError as exc:
            results.append(Result(name, operations, "failed", _why(exc)))
        except Exception as exc:         # noqa: BLE001 — a binding that raises is a failed check, with its error
            results.append(Result(name, operations, "failed", _why(exc, f"{type(exc).__name__}: ")))
        else:
            results.append(Result(name, operations, "passed"))
        finally:
            binding.close()
    return results


def _why(exc: BaseException, prefix: str = "") -> str:
    """The failure's message; for an assertion without one, the line of the kit that failed."""
    message = " ".join(f"{prefix}{exc}".split())
    if not message:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.endswith("binding_suite.py")]
        message = f"{frames[-1].line} (binding_suite.py:{frames[-1].lineno})" if frames else "an assertion failed"
    return message[:300]


@dataclass
class Probe:
    operation: str
    ok: bool
    milliseconds: float
    detail: str


def diagnose(binding: BillingBinding, scenario: Scenario) -> tuple[dict[str, bool], list[Probe]]:
    """The capability matrix and a live check: the read operations the scenario makes callable."""
    matrix = {name: name in binding.capabilities for name in binding.operations}
    probes = []
    if binding.per_subscriber and not (scenario.login and scenario.password):
        probes.append(Probe("sign_in", False, 0.0, "its calls act as a signed-in subscriber: give --login "
                                                    "(and the password in CABINET_CHECK_PASSWORD)"))
        return matrix, probes
    if binding.signs_in and scenario.login and scenario.password:
        started = time.perf_counter()
        try:
            binding = acting(binding, scenario)
            detail, ok = "signed in", True
        except BillingError as exc:
            detail, ok = f"{type(exc).__name__}: {exc}", False
        probes.append(Probe("sign_in", ok, (time.perf_counter() - started) * 1000, detail))
        if not ok:
            return matrix, probes
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
