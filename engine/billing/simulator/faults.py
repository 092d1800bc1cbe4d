"""Fault injection for tests: ``POST /__faults`` makes matching requests fail in a chosen way.

A fault matches a regular expression searched in ``"METHOD PATH"`` (``"GET /api/v2/contracts/108842"``,
no query string) and affects ``times`` matching requests (``null``: every one, until
``DELETE /__faults``). When several match, the oldest applies. ``/__faults`` itself is never
affected. Modes:

- ``slow``: wait ``seconds``, then answer normally;
- ``status500``: answer 500 in the simulator's error format (``INJECTED_FAULT``);
- ``malformed_json``: the normal answer's status and headers with its JSON body cut in half;
- ``wrong_types``: the normal answer with numbers as strings and numeric strings as numbers;
- ``hang``: keep the connection open without a byte of answer for ``seconds``, then drop it;
- ``close_connection``: drop the connection at once without an answer.

``status500``, ``hang`` and ``close_connection`` skip the request unless ``execute`` is true (then the
billing does the work and the answer is lost, as when a network fails after a change); ``slow``,
``malformed_json`` and ``wrong_types`` always execute it. Dropping a connection needs the
simulator's own server (``server.serve``); under another WSGI server it ends in that server's 500.
"""
from __future__ import annotations

import itertools
import json
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate, validates
from werkzeug.wrappers import Response

from .api import authenticate
from .errors import Fault
from .wire import swap_types

FAULTS_PATH = "/__faults"
MODES = ("slow", "status500", "malformed_json", "wrong_types", "hang", "close_connection")
MAX_SECONDS = 300.0
log = logging.getLogger("engine.billing.simulator")


class DropConnection(Exception):
    """Raised out of the WSGI app: the server closes the connection without writing an answer."""


@dataclass
class InjectedFault:
    id: str
    match: re.Pattern[str]
    mode: str
    seconds: float
    remaining: int | None       # None: until cleared
    execute: bool
    hits: int = 0

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "match": self.match.pattern, "mode": self.mode, "seconds": self.seconds,
                "times": self.remaining, "execute": self.execute, "hits": self.hits}


class FaultRegistry:
    """The faults in force; shared by the request threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[InjectedFault] = []
        self._ids = itertools.count(1)

    def add(self, match: str, mode: str, seconds: float, times: int | None, execute: bool) -> InjectedFault:
        with self._lock:
            fault = InjectedFault(f"fault-{next(self._ids)}", re.compile(match), mode, seconds, times,
                                  execute)
            self._faults.append(fault)
            return fault

    def clear(self) -> int:
        with self._lock:
            count, self._faults = len(self._faults), []
            return count

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    def take(self, target: str) -> InjectedFault | None:
        """The fault for a request, counted as used; None when no fault matches."""
        with self._lock:
            for fault in self._faults:
                if fault.match.search(target):
                    fault.hits += 1
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault
            return None


class FaultInjector:
    """WSGI middleware around the Flask app that applies the registry's faults."""

    def __init__(self, app, registry: FaultRegistry):
        self.app, self.registry = app, registry

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == FAULTS_PATH:
            return self.app(environ, start_response)
        target = f"{environ.get('REQUEST_METHOD', 'GET')} {path}"
        fault = self.registry.take(target)
        if fault is None:
            return self.app(environ, start_response)
        log.info("%s %s applies to %s", fault.id, fault.mode, target)
        if fault.mode == "slow":
            time.sleep(fault.seconds)
            return self.app(environ, start_response)
        if fault.mode in ("status500", "hang", "close_connection"):
            if fault.execute:
                Response.from_app(self.app, environ, buffered=True).close()
            if fault.mode == "hang":
                time.sleep(fault.seconds)
            if fault.mode != "status500":
                raise DropConnection(fault.mode)
            body = json.dumps({"fault": {"code": "INJECTED_FAULT", "message": f"injected by {fault.id}"}})
            response = Response(body, status=500, mimetype="application/json")
            return response(environ, start_response)
        response = Response.from_app(self.app, environ, buffered=True)
        data = response.get_data()
        if fault.mode == "malformed_json":
            response.set_data(data[: len(data) // 2] or b"{")
        elif response.mimetype == "application/json":        # wrong_types
            swapped = swap_types(json.loads(data))
            response.set_data(json.dumps(swapped, ensure_ascii=False).encode())
        return response(environ, start_response)


# --- the API that sets them -------------------------------------------------------------------------
bp = Blueprint("faults", __name__)
bp.before_request(authenticate)


class FaultBody(Schema):
    match = fields.String(required=True)
    mode = fields.String(required=True, validate=validate.OneOf(MODES))
    seconds = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=MAX_SECONDS))
    times = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1))
    execute = fields.Boolean(load_default=False)

    @validates("match")
    def _regex(self, value: str, **kwargs) -> None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValidationError(f"not a regular expression: {exc}") from None


def _registry() -> FaultRegistry:
    return current_app.extensions["simulator"].faults


@bp.get(FAULTS_PATH)
def list_faults():
    return jsonify(items=_registry().describe())


@bp.post(FAULTS_PATH)
def add_fault():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Fault(400, "BAD_REQUEST", "send a JSON object with Content-Type: application/json")
    fault = _registry().add(**FaultBody().load(data))
    return jsonify(fault.describe()), 201


@bp.delete(FAULTS_PATH)
def clear_faults():
    return jsonify(cleared=_registry().clear())
