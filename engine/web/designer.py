"""What Directus' hooks ask the engine, with the secret they share (``X-Cabinet-Secret``):

* ``POST /api/v1/schema/validate`` — would the cabinet still be valid after this save? The engine
  applies the proposed change to the items it last read and compiles the result, as subscribers
  would get it and as the preview would; 422 with every problem, each naming the item and field.
* ``POST /api/v1/schema/changed`` — something was saved: read Directus again and, if the result
  compiles, serve it (at once; polling is only the fallback).
* ``GET /api/v1/schema/status`` — the live version, the last refused update, the billing's health.
"""
from __future__ import annotations

import hmac
import logging
import threading
import time
from datetime import datetime, timezone

from flask import Blueprint, abort, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate

from ..directus.model import PREFIX, SUBMITTED
from ..directus.source import DirectusSource
from ..schema import SchemaInvalid
from .extensions import csrf
from .runtime import live, runtime

log = logging.getLogger(__name__)
blueprint = Blueprint("designer", __name__, url_prefix="/api/v1/schema")
SECRET_HEADER = "X-Cabinet-Secret"


class ChangeSchema(Schema):
    event = fields.String(required=True, validate=validate.OneOf(("create", "update", "delete")))
    collection = fields.String(required=True, validate=validate.Regexp(rf"^{PREFIX}[a-z_]+$"))
    keys = fields.List(fields.Raw(), load_default=list)
    payload = fields.Dict(load_default=None, allow_none=True)


def _authorised() -> DirectusSource:
    rt = runtime()
    secret = rt.settings.directus_secret
    given = request.headers.get(SECRET_HEADER, "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        abort(401)
    if not isinstance(rt.source, DirectusSource):
        abort(409)
    return rt.source


class ChangedSchema(Schema):
    """What was saved: any collection the cabinet uses, files included; sorting too."""
    event = fields.String(required=True, validate=validate.OneOf(("create", "update", "delete", "sort")))
    collection = fields.String(required=True, validate=validate.Regexp(r"^[a-z_]+$"))
    keys = fields.List(fields.Raw(), load_default=list)


def _change(schema: Schema) -> dict:
    try:
        return schema.load(request.get_json(silent=True) or {})
    except ValidationError as exc:
        abort(jsonify({"valid": False, "error": "bad request", "fields": exc.messages}), 400)


class Validated:
    """Cabinets compiled for changes that passed validation, until Directus says they are saved."""

    def __init__(self, seconds: float = 30.0):
        self.seconds = seconds
        self._entries: dict[tuple, tuple[float, object]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(key: tuple) -> tuple:
        collection, keys = key
        return collection, frozenset(str(k) for k in keys)

    def put(self, key: tuple, value) -> None:
        now = time.monotonic()
        with self._lock:
            self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self.seconds}
            self._entries[self._key(key)] = (now, value)

    def take(self, key: tuple):
        with self._lock:
            entry = self._entries.pop(self._key(key), None)
        return entry[1] if entry and time.monotonic() - entry[0] < self.seconds else None


def _issue(issue) -> dict:
    return {**issue.as_dict(), "where": str(issue.location) if issue.location else "the cabinet"}


@blueprint.route("/validate", methods=["POST"])
@csrf.exempt          # called by Directus with the shared secret, never by a browser
def validate_change():
    source = _authorised()
    change = _change(ChangeSchema())
    if change["collection"] in SUBMITTED:
        return {"valid": True}
    rt = runtime()
    issues, seen = [], set()
    # as subscribers get it, and (when there are drafts) as the preview shows them
    variants = (False, True) if source.has_drafts(change) else (False,)
    live_variant = None
    for drafts in variants:
        candidate = source.with_change(change["event"], change["collection"], change["keys"], change["payload"],
                                       drafts=drafts)
        try:
            cabinet = rt.compile(candidate)
            if not drafts:
                live_variant = (candidate, cabinet)
        except SchemaInvalid as exc:
            for issue in exc.issues:
                if (issue.path, issue.message) not in seen:
                    seen.add((issue.path, issue.message))
                    issues.append(_issue(issue))
    if issues:
        log.info("refused a change of %s %s: %d problems", change["collection"], change["keys"], len(issues))
        return {"valid": False, "issues": issues}, 422
    if change["event"] == "update":
        rt.validated_changes.put((change["collection"], change["keys"]), live_variant)
    return {"valid": True}


@blueprint.route("/changed", methods=["POST"])
@csrf.exempt
def changed():
    source = _authorised()
    change = _change(ChangedSchema())
    rt = runtime()
    ready = rt.validated_changes.take((change["collection"], change["keys"])) if change["event"] == "update" else None
    if ready is not None:
        # the change was validated moments ago: serve what was compiled then, and confirm it
        # against Directus in the background (a subscriber sees the edit without waiting for that)
        candidate, cabinet = ready
        source.adopt(candidate)
        rt.adopt(cabinet)
        threading.Thread(target=rt.reload, name="directus-confirm", daemon=True).start()
        return {"reloaded": True, "version": cabinet.version, "refused": []}
    reloaded = rt.reload()
    return {"reloaded": reloaded, "version": live().cabinet.version,
            "refused": [_issue(i) for i in rt.last_error.issues] if rt.last_error else []}


@blueprint.route("/status")
def status():
    source = _authorised()
    rt = runtime()
    return {
        "source": "directus", "label": source.label,
        "version": live().cabinet.version,
        "loaded_at": datetime.fromtimestamp(rt.loaded_at, timezone.utc).isoformat(timespec="seconds"),
        "directus_reachable": source.last_failure is None,
        "directus_error": source.last_failure,
        "last_error": {"issues": [_issue(i) for i in rt.last_error.issues]} if rt.last_error else None,
        "billing": {"binding": rt.settings.binding, **rt.call_stats.report()},
    }
