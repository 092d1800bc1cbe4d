"""How the billing binding has been doing: per operation, the outcomes and latencies of recent
calls (kept in memory, per process). What operators see of their integration's health."""
from __future__ import annotations

import statistics
import threading
from typing import Any
import time
from collections import deque
from dataclasses import dataclass, field

WINDOW = 200              # calls remembered per operation
RECENT_SECONDS = 300      # "down" and the error rate look at this much of the past


@dataclass
class _Operation:
    calls: deque = field(default_factory=lambda: deque(maxlen=WINDOW))    # (at, ok, seconds)


class CallStats:
    def __init__(self, clock=time.time):
        self._clock = clock
        self._operations: dict[str, _Operation] = {}
        self._lock = threading.Lock()

    def record(self, operation: str, ok: bool, seconds: float) -> None:
        with self._lock:
            self._operations.setdefault(operation, _Operation()).calls.append((self._clock(), ok, seconds))

    def report(self) -> dict:
        """{state: ok | degraded | down | unknown, error_rate, latency_ms (median), operations: {...}}."""
        now = self._clock()
        with self._lock:
            recent = {name: [c for c in op.calls if now - c[0] <= RECENT_SECONDS]
                      for name, op in self._operations.items()}
        operations = {name: _summary(calls) for name, calls in sorted(recent.items()) if calls}
        every = [c for calls in recent.values() for c in calls]
        summary: dict[str, Any] = _summary(every) if every else {"calls": 0, "error_rate": 0.0, "latency_ms": None}
        if not every:
            state = "unknown"
        elif summary["error_rate"] >= 0.999:
            state = "down"
        elif summary["error_rate"] > 0.05:
            state = "degraded"
        else:
            state = "ok"
        return {"state": state, **summary, "window_seconds": RECENT_SECONDS, "operations": operations}


def _summary(calls) -> dict:
    errors = sum(1 for _, ok, _ in calls if not ok)
    return {"calls": len(calls), "error_rate": round(errors / len(calls), 3),
            "latency_ms": round(statistics.median(s for _, _, s in calls) * 1000, 1)}
