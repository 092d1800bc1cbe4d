"""``GET /healthz``: is the engine up, which cabinet version is live, is the last reload good."""
from __future__ import annotations

from flask import Blueprint, jsonify

from .runtime import live, runtime

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz")
def healthz():
    rt = runtime()
    body = {
        "status": "ok",
        "cabinet_version": live().cabinet.version,
        "binding": rt.settings.binding,
        # a newer schema failed validation and the live cabinet is the last good one;
        # `cabinet validate` shows why (details stay off this public endpoint)
        "schema_update_refused": rt.last_error is not None,
    }
    return jsonify(body)


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
