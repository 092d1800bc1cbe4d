"""``GET /healthz``: is the engine up, which cabinet version is live, is the last reload good.

The answer reads only what the runtime holds in memory (no database or billing round trip), so
``healthz_answer`` gives it in front of Flask, without the session, CSRF and locale work a page
needs; the view below answers the same for anything that reaches Flask.
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Sequence

from flask import Blueprint, jsonify

from .runtime import Runtime, runtime

blueprint = Blueprint("health", __name__)
PATH = "/healthz"


def health_report(rt: Runtime) -> dict[str, Any]:
    return {
        "status": "ok",
        "cabinet_version": rt.live.cabinet.version,
        "binding": rt.settings.binding,
        # a newer schema failed validation and the live cabinet is the last good one;
        # `cabinet validate` shows why (details stay off this public endpoint)
        "schema_update_refused": rt.last_error is not None,
    }


@blueprint.route(PATH)
def healthz():
    return jsonify(health_report(runtime()))


def healthz_answer(rt: Runtime, security_headers: Sequence[tuple[str, str]]):
    """A WSGI answer to GET and HEAD /healthz made from the runtime alone; None for other methods
    (Flask answers them: 405)."""
    headers = tuple(security_headers)

    def answer(environ: dict[str, Any], start_response: Callable) -> Iterable[bytes] | None:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return None
        # as Flask's jsonify writes it: sorted keys, compact, a final newline
        body = (json.dumps(health_report(rt), sort_keys=True, separators=(",", ":")) + "\n").encode()
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                                  *headers])
        return [] if method == "HEAD" else [body]

    return answer


@blueprint.route("/healthz/bindings")
def bindings_health():
    """How the billing binding is doing: state (ok, degraded, down, unknown), error rate and median
    latency over the last minutes, per operation; and its circuit breaker, when it has one."""
    rt = runtime()
    report = {"binding": rt.settings.binding, **rt.call_stats.report()}
    breaker = getattr(rt.binding, "breaker", None)
    if breaker is not None:
        report["circuit"] = breaker.state
    return jsonify(report)
