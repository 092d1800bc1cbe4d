"""The operator's live preview: a screen of the Directus cabinet, drafts included, rendered by the
engine for the Directus app's preview frame.

Preview pages need a signed, expiring token (``?token=``) that only Directus' extension hands out
to signed-in operators: Directus opens ``/preview/<collection>/<id>``, which sends the browser to
the extension (``/cabinet-engine/preview/...``), which sends it back here with a token. The frame
stays on the engine's origin, as Directus' Visual Editor requires; subscribers never get a token. A preview shows the demo subscriber's data with the demo billing, or the subscriber and
dealer named by CABINET_PREVIEW_SUBSCRIBER / CABINET_PREVIEW_DEALER. Only Directus' origin may frame
these pages, and labels, texts and media carry ``data-directus`` attributes for the visual editor.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import quote, urlencode, urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, send_from_directory, url_for

from ..assembly.ownership import NotOwned
from ..assembly.screen import GUEST, Identity, ScreenRequest, run_screen
from ..directus.client import DirectusError
from ..directus.mapping import ref
from ..directus.model import PREFIX
from ..directus.source import DirectusSource
from ..schema.errors import Location
from .i18n import template_gettext
from .pages import formatter_for
from .runtime import LiveCabinet, runtime
from .security import CONTENT_SECURITY_POLICY, origin

log = logging.getLogger(__name__)
blueprint = Blueprint("preview", __name__, url_prefix="/preview")
ASSETS = Path(__file__).resolve().parent.parent.parent / "preview" / "dist"
TOKEN_MAX_SECONDS = 24 * 3600
_ITEM = re.compile(r"^(cabinet_[a-z_]+) #(.+?)(?: \(|$)")


# --- tokens ----------------------------------------------------------------------------------------
def make_token(secret: str, seconds: int = 3600, now: float | None = None) -> str:
    """``v1.<expires>.<signature>``: what Directus' extension makes with the same secret."""
    expires = int((now or time.time()) + seconds)
    return f"v1.{expires}.{_sign(secret, expires)}"


def token_valid(secret: str, token: str, now: float | None = None) -> bool:
    parts = (token or "").split(".")
    if len(parts) != 3 or parts[0] != "v1" or not parts[1].isdigit() or not secret:
        return False
    expires, now = int(parts[1]), now or time.time()
    if not now < expires <= now + TOKEN_MAX_SECONDS:
        return False
    return hmac.compare_digest(parts[2], _sign(secret, expires))


def _sign(secret: str, expires: int) -> str:
    return hmac.new(secret.encode(), f"preview:{expires}".encode(), hashlib.sha256).hexdigest()


# --- the preview cabinet -----------------------------------------------------------------------------
@dataclass
class PreviewCabinet:
    live: LiveCabinet
    items: Mapping[str, list[dict]]
    # screen id -> {"sections": {section id: directus id}, "fields": {(section id, field key): directus id}}
    editable: dict[str, dict] = field(default_factory=dict)


class PreviewCache:
    """The compiled preview of the items last read, recompiled when they change."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: str | None = None
        self._value: PreviewCabinet | None = None

    def get(self, rt) -> PreviewCabinet:
        source: DirectusSource = rt.source
        frozen = source.preview()
        key = frozen.fingerprint()
        with self._lock:
            if key != self._key or self._value is None:
                cabinet = rt.compile(frozen)
                self._value = PreviewCabinet(LiveCabinet.of(cabinet), frozen.items, _editable(cabinet))
                self._key = key
            return self._value


def _editable(cabinet) -> dict[str, dict]:
    """Which Directus item each section and field of each screen comes from (the compiler keeps
    where each node was written)."""
    found: dict[str, dict] = {}
    for screen in cabinet.screens.values():
        entry = found.setdefault(screen.id, {"sections": {}, "fields": {}})
        _walk(screen.sections, entry)
    return found


def _walk(sections, entry: dict) -> None:
    for section in sections:
        item = _item(section.origin)
        if item:
            entry["sections"][section.id] = item[1]
        for spec in section.fields:
            field_item = _item(spec.origin)
            if field_item:
                entry["fields"][(section.id, spec.key)] = field_item[1]
        _walk(section.children, entry)


def _item(location: Location | None) -> tuple[str, str] | None:
    match = _ITEM.match(location.file) if location else None
    return (match.group(1), match.group(2)) if match else None


# --- the page ----------------------------------------------------------------------------------------
class PreviewLinks:
    """Links inside a preview stay in the preview (with the token)."""

    def __init__(self, token: str):
        self.token = token

    def screen(self, screen_id: str, params: Mapping[str, Any]) -> str:
        values = {k: str(v) for k, v in params.items() if v is not None and v != ""}
        return url_for("preview.page", collection=PREFIX + "screens", item_id=screen_id) + "?" + \
            urlencode({**values, "token": self.token})

    def action(self, action_id: str) -> str:
        return "#"                  # a preview never submits


def _target(items: Mapping[str, list[dict]], collection: str, item_id: str) -> tuple[str | None, dict]:
    """The screen (and its route values) that shows an item of ``collection``."""
    by_id = {name: {str(row.get("id")): row for row in rows} for name, rows in items.items()}
    if collection == PREFIX + "screens":
        return item_id, {}
    if collection == PREFIX + "fields":
        row = by_id.get(PREFIX + "fields", {}).get(item_id)
        collection, item_id = PREFIX + "sections", str(ref(row.get("section"))) if row else ""
    if collection == PREFIX + "sections":
        row = by_id.get(PREFIX + "sections", {}).get(item_id)
        for _ in range(10):                       # up through tabs and groups to the screen
            if row is None or ref(row.get("screen")):
                break
            row = by_id.get(PREFIX + "sections", {}).get(str(ref(row.get("parent"))))
        return (str(ref(row.get("screen"))) if row and ref(row.get("screen")) else None), {}
    if collection == PREFIX + "navigation":
        row = by_id.get(PREFIX + "navigation", {}).get(item_id)
        return (str(ref(row.get("screen"))) if row else None), {}
    if collection == PREFIX + "news":
        for screen in items.get(PREFIX + "screens", []):
            for call in screen.get("data") or []:
                if isinstance(call, Mapping) and call.get("content") == "news" and call.get("id"):
                    param = re.findall(r"<([a-z_]+)>", screen.get("route") or "")
                    return screen["id"], ({param[0]: item_id} if param else {})
    return None, {}


def _identity(rt, roles: tuple[str, ...]) -> Identity:
    settings = rt.settings
    if "subscriber" in roles or "dealer" in roles:
        if settings.binding == "demo":
            from ..billing.demo import DEMO_USERS
            wanted = "subscriber" if "subscriber" in roles else "dealer"
            users: tuple[Mapping[str, Any], ...] = DEMO_USERS    # plain dicts, values of several types
            user = next(u for u in users if wanted in u["roles"])
            return Identity("preview", user["name"], frozenset(user["roles"]), user["subscriber_id"], user["dealer_id"])
        if "subscriber" in roles:
            return Identity("preview", "Preview", frozenset({"subscriber"}), settings.preview_subscriber or None)
        return Identity("preview", "Preview", frozenset({"dealer"}), None, settings.preview_dealer or None)
    return GUEST


@blueprint.route("/assets/<path:filename>")
def asset(filename: str):
    """The visual editing scripts (built by scripts/build-preview.sh); public, like any script."""
    if not ASSETS.is_dir():
        abort(404)
    return send_from_directory(ASSETS, filename, max_age=3600)


@blueprint.route("/<collection>/<item_id>")
def page(collection: str, item_id: str):
    rt = runtime()
    if not isinstance(rt.source, DirectusSource):
        abort(404)
    if "token" not in request.args and rt.settings.directus_public_url:
        # opened by Directus (Live Preview, Visual Editor): its extension gives signed-in operators a
        # token and sends them back here; anybody else gets no further than Directus' sign-in
        return redirect(f"{rt.settings.directus_public_url}/cabinet-engine/preview/{quote(collection)}/"
                        f"{quote(item_id)}", 302)
    if not token_valid(rt.settings.directus_secret, request.args.get("token", "")):
        abort(403)
    try:
        rt.source.refresh()                    # an operator just saved: show what Directus holds now
    except DirectusError as exc:
        log.warning("preview: reading Directus failed, showing the last version read: %s", exc)
    preview = rt.preview_cache.get(rt)
    g.cabinet_live = preview.live              # this request's layout, navigation and links: the preview's
    cabinet = preview.live.cabinet
    screen_id, params = _target(preview.items, collection, item_id)
    if screen_id is None or screen_id not in cabinet.screens:
        screen_id = next(iter(cabinet.screens))
    spec = cabinet.screens[screen_id]
    params = {**{name: request.args[name] for name in spec.route_params if name in request.args}, **params}
    token = request.args["token"]
    formatter = formatter_for(cabinet)
    req = ScreenRequest(
        cabinet=cabinet, screen=spec, identity=_identity(rt, spec.roles), route_params=params,
        wanted_account=None, formatter=formatter, links=PreviewLinks(token), gettext=template_gettext,
        today=_today(cabinet), query={k: v for k, v in request.args.items() if k != "token"})
    try:
        view = run_screen(req, rt.calls(), None)
    except NotOwned:          # an id in the address that the preview subscriber does not have
        abort(404)
    _annotate(view, screen_id, preview.editable.get(screen_id, {}))
    response = make_response(render_template("screen.html", page=view,
                                             preview_directus_url=rt.settings.directus_public_url))
    # only Directus may frame it (the security headers leave a CSP set here as it is)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", f"frame-ancestors {_origin(rt.settings.directus_public_url)}")
    response.headers["X-Robots-Tag"] = "noindex"
    return response


def _today(cabinet) -> date:
    return datetime.now(ZoneInfo(cabinet.operator.timezone)).date()


def _annotate(view, screen_id: str, editable: Mapping[str, Any]) -> None:
    """Mark what the visual editor may edit: ``source`` names the Directus item."""
    view.source = f"{PREFIX}screens:{screen_id}"
    for section in _sections(view.sections):
        item = editable.get("sections", {}).get(section.id)
        section.source = f"{PREFIX}sections:{item}" if item else None
        for field_view in section.fields:
            field_item = editable.get("fields", {}).get((section.id, field_view.key))
            field_view.source = f"{PREFIX}fields:{field_item}" if field_item else None


def _sections(sections):
    for section in sections:
        yield section
        yield from _sections(section.children)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return origin(url) if parts.scheme and parts.netloc else "'none'"
