"""The billing simulator as its own Flask app: the demo billing's state and rules behind a REST API
of its own shape (``openapi.yaml``), with fault injection for tests."""
from __future__ import annotations

import atexit
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import cast

from flask import Flask, Response, jsonify, request
from flask.json.provider import DefaultJSONProvider

from ..demo import DemoBilling
from . import api, errors, faults, pay

OPENAPI_PATH = Path(__file__).with_name("openapi.yaml")
log = logging.getLogger("engine.billing.simulator")


@dataclass(frozen=True)
class SimulatorState:
    billing: DemoBilling
    api_key: str
    faults: faults.FaultRegistry

    def __repr__(self) -> str:   # the key never reaches a log or a traceback
        return "<SimulatorState>"


def create_simulator_app(database_url: str, api_key: str, *, latency_ms: int = 0,
                         today: date | None = None, public_url: str = "") -> Flask:
    """The simulator on the demo billing's database (created and seeded on first use); ``today``
    pins the billing's date, ``latency_ms`` delays every billing call, ``public_url`` is where its
    own payment site (``/pay/...``) is reached."""
    if not api_key:
        raise ValueError("the billing simulator needs an API key")
    app = Flask(__name__, static_folder=None)
    billing = DemoBilling(database_url, latency_ms=latency_ms, today=today, payment_site=public_url)
    registry = faults.FaultRegistry()
    app.extensions["simulator"] = SimulatorState(billing, api_key, registry)
    # Flask's default json_provider_class, which this app keeps
    json_provider = cast(DefaultJSONProvider, app.json)
    json_provider.ensure_ascii = False
    json_provider.sort_keys = False
    app.register_blueprint(api.bp)
    app.register_blueprint(pay.bp)
    app.register_blueprint(faults.bp)
    errors.register(app)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/openapi.yaml")
    def openapi():
        return Response(OPENAPI_PATH.read_bytes(), mimetype="application/yaml")

    @app.after_request
    def _log(response):
        # method, path and status only: never headers (the API key) nor bodies
        log.info("%s %s %s", request.method, request.path, response.status_code)
        return response

    # wrapping wsgi_app is Flask's documented way to add a middleware; its typing sees only a method
    app.wsgi_app = faults.FaultInjector(app.wsgi_app, registry)  # type: ignore[method-assign]
    atexit.register(billing.close)
    return app
