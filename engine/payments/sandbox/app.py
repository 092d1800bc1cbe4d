"""The sandbox acquirer as its own Flask app: a payment provider of our own to develop and test
against, with hosted pages, a merchant API and signed notifications, like real acquiring."""
from __future__ import annotations

import atexit
from dataclasses import dataclass
from typing import cast

from flask import Flask, jsonify
from flask.json.provider import DefaultJSONProvider

from . import api, pages
from .acquirer import PAYMENT_TTL_SECONDS, Acquirer
from .notifier import RETRY_DELAYS


@dataclass(frozen=True)
class SandboxState:
    acquirer: Acquirer
    secret: str

    def __repr__(self) -> str:   # the secret never reaches a log or a traceback
        return "<SandboxState>"


def create_sandbox_app(database_url: str, secret: str, public_url: str, *,
                       payment_ttl: float = PAYMENT_TTL_SECONDS,
                       retry_delays: tuple[float, ...] = RETRY_DELAYS) -> Flask:
    """``public_url`` is where payers' browsers reach this app (hosted page links are built on it);
    ``payment_ttl`` (seconds) and ``retry_delays`` are shortened only by tests."""
    if not secret:
        raise ValueError("the sandbox needs a merchant secret")
    app = Flask(__name__)   # templates/ and static/ next to this module
    acquirer = Acquirer(database_url, secret, public_url, payment_ttl=payment_ttl, retry_delays=retry_delays)
    app.extensions["sandbox"] = SandboxState(acquirer, secret)
    cast(DefaultJSONProvider, app.json).ensure_ascii = False   # a plain Flask app has the default provider
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    atexit.register(acquirer.close)
    return app
