"""The simulator as a Flask app: userstats' front controller ``index.php`` at ``{prefix}/`` and
``{prefix}/index.php``, dispatching as the PHP does (authentication, the ``module`` switch,
``UBA_ENABLED``, XMLAgent), with the billing in memory.

Tests can make a request end without an answer: the app is wrapped in the billing simulator's
``FaultInjector`` (its registry is ``app.extensions["ubilling"].faults``), and with
``faults_api_key`` the simulator's ``/__faults`` endpoint is served too (with ``X-Api-Key``).
Dropping the connection needs ``engine.billing.simulator.server.serve``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Flask, current_app, request
from marshmallow import ValidationError
from werkzeug.wrappers import Response

from ..simulator import faults
from ..simulator.errors import Fault, fault_response
from . import auth, creditor, pages, paycards, xmlagent
from .call import Call, Die, GetParams
from .render import plain_response, render_response
from .seed import demo_state
from .state import BillingState

# modules/general of userstats: ?module=<name> of any other name dies with "Wrong module"
MODULES = frozenset({"adservice", "advservice", "announcements", "catv", "catvu", "creditor", "megogo", "olltv",
                     "omegatv", "omprostotv", "omsweettv", "omyoutv", "opayz", "paycards", "payments", "polls",
                     "reminder", "speedtest", "tariffchanger", "ticketing", "traffic", "trinitytv", "visor",
                     "zdocs", "zfreeze", "zinsurance", "zload"})
# the PHP never looks at the method; every one runs the script
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@dataclass(frozen=True)
class UbillingSimulator:
    state: BillingState
    faults: faults.FaultRegistry


@dataclass(frozen=True)
class _FaultsEndpointHost:
    """What the billing simulator's ``/__faults`` blueprint reads as ``app.extensions["simulator"]``."""
    api_key: str
    faults: faults.FaultRegistry

    def __repr__(self) -> str:      # the key never reaches a log or a traceback
        return "<_FaultsEndpointHost>"


def _load_module(call: Call, login: str, ip: str) -> Response:
    """``zbs_LoadModule()``; creditor and paycards answer agent calls, other modules are pages."""
    name = re.sub(r"[^a-zA-Z0-9_]", "", (call.query.get("module") or "").replace("\0", ""))
    if name not in MODULES:
        raise Die(plain_response("Wrong module"))
    if name == "creditor" and call.query.check("agentcredit"):
        return creditor.agent_credit(call, login)
    if name == "paycards" and call.query.check("agentpaycards"):
        return paycards.agent_paycard(call, login, ip)
    return pages.module_page(name)


def _dispatch(call: Call, redirected: bool) -> Response:
    """userstats/index.php."""
    state, query = call.state, call.query
    ip = auth.detect_ip(call)
    login = auth.login_by_ip(call, ip)
    if login in state.userstats_denied:
        return pages.access_denied_page()
    if not ip:
        return pages.login_page(redirected)
    if query.check("module"):
        return _load_module(call, login, ip)
    if state.ini.on("UBA_ENABLED"):
        if query.check("xmlagent"):
            return xmlagent.run(call, login)
    elif query.check("xmlagent"):
        return render_response([{"reason": "disabled"}], "error", "", call.output_format)
    return pages.profile_page(login, redirected)


def _front_controller() -> Response:
    simulator: UbillingSimulator = current_app.extensions["ubilling"]
    body = request.get_data(cache=True)        # php://input holds the body even for a form, so read it first
    call = Call(state=simulator.state,
                query=GetParams.from_query_string(request.query_string.decode("utf-8", "replace")),
                post={name: values[-1] for name, values in request.form.lists()},
                cookies=request.cookies.to_dict(),
                body=body,
                remote_addr=request.remote_addr or "",
                method=request.method,
                uri=request.full_path if request.query_string else request.path)
    with simulator.state.lock:
        cookies, redirected = auth.init_cookies(call)
        try:
            response = _dispatch(call, redirected)
        except Die as stop:
            response = stop.response
    for header in cookies:
        response.headers.add("Set-Cookie", header)
    return response


def _add_slash(prefix: str) -> Response:
    """What Apache does for the directory without its slash."""
    query = request.query_string.decode("latin-1")
    response = Response("", status=301)
    response.headers["Location"] = f"{prefix}/" + (f"?{query}" if query else "")
    return response


def _serve_fault_endpoint(app: Flask, api_key: str, registry: faults.FaultRegistry) -> None:
    app.extensions["simulator"] = _FaultsEndpointHost(api_key, registry)
    app.register_blueprint(faults.bp)

    @app.errorhandler(Fault)
    def _fault(exc: Fault) -> Any:
        return fault_response(exc.status, exc.code, exc.message, **exc.extra)

    @app.errorhandler(ValidationError)
    def _invalid(exc: ValidationError) -> Any:
        return fault_response(400, "BAD_REQUEST", str(exc.messages))


def create_ubilling_app(*, today: date | None = None, config: dict[str, object] | None = None,
                        prefix: str = "/billing/userstats", faults_api_key: str | None = None) -> Flask:
    """The simulator on a fresh demo billing (``seed``). ``today`` pins the billing's date,
    ``config`` overrides userstats.ini options (None removes one), ``prefix`` is where userstats is
    installed, ``faults_api_key`` serves ``/__faults``."""
    app = Flask(__name__, static_folder=None)
    registry = faults.FaultRegistry()
    app.extensions["ubilling"] = UbillingSimulator(demo_state(today=today, config=config), registry)
    base = "/" + prefix.strip("/") if prefix.strip("/") else ""
    app.add_url_rule(f"{base}/", "userstats", _front_controller, methods=METHODS)
    app.add_url_rule(f"{base}/index.php", "userstats_index", _front_controller, methods=METHODS)
    if base:
        app.add_url_rule(base, "userstats_directory", lambda: _add_slash(base), methods=METHODS)

    @app.get("/healthz")
    def healthz() -> Response:
        # for the test harness only: no Ubilling installation has it
        return Response("ok", mimetype="text/plain")

    if faults_api_key:
        _serve_fault_endpoint(app, faults_api_key, registry)
    # wrapping wsgi_app is Flask's documented way to add a middleware; its typing sees only a method
    app.wsgi_app = faults.FaultInjector(app.wsgi_app, registry)  # type: ignore[method-assign]
    return app


__all__ = ["create_ubilling_app", "UbillingSimulator"]
