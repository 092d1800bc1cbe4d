"""The cabinet as an installable app (PWA): the web app manifest, the operator's monogram icons,
the service worker and the page it shows when there is no connection.

Everything here is public (no sign-in) and carries nothing personal: the service worker stores
only the offline page and static files, never a screen or an API answer.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import threading
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from .. import __version__
from .i18n import request_locale, text_direction
from .runtime import live, runtime
from .theming import static_folders

blueprint = Blueprint("pwa", __name__)


# name -> (size, maskable); 180 is the apple-touch-icon iOS puts on the home screen (it rounds it itself)
ICONS = {"192": (192, False), "512": (512, False), "180": (180, False), "maskable-512": (512, True)}
FONT_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf")
# Static files the service worker stores on install (besides the offline page and the icons);
# their content is part of the cache name, so a deploy that changes them refreshes the cache.
PRECACHED_STATIC = ("cabinet.css", "pwa.js")
SW_CONFIG = re.compile(r"/\*CONFIG\*/.*?/\*END\*/", re.S)


# --- colours, names, direction -------------------------------------------------------------------

def _colour(name: str) -> str:
    """From the effective light palette: the operator's colours over the theme's defaults."""
    return live().cabinet.branding.light[name]


def theme_colour() -> str:
    return _colour("primary")


def _request_locale() -> str:
    """The locale a page asked for (``?lang=``: the manifest is fetched without the session
    cookie, so the page names its language), else the usual choice."""
    cabinet = live().cabinet
    asked = request.args.get("lang", "")
    if asked in cabinet.operator.locales:
        return asked
    return request_locale(cabinet)


# --- the manifest --------------------------------------------------------------------------------

@blueprint.route("/manifest.webmanifest")
def manifest():
    cabinet = live().cabinet
    locale = _request_locale()
    operator = cabinet.operator
    name = operator.name.render(locale) or operator.name.render(operator.default_locale)
    body = {
        "id": "/",
        "name": name,
        "short_name": name,
        "lang": locale,
        "dir": text_direction(locale),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": theme_colour(),
        "background_color": _colour("bg"),
        "icons": [
            {"src": url_for(".icon", size=192), "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": url_for(".icon", size=512), "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": url_for(".maskable_icon"), "sizes": "512x512", "type": "image/png",
             "purpose": "maskable"},
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"      # a branding change reaches installed apps soon
    response.vary.add("Accept-Language")
    return response


# --- icons ---------------------------------------------------------------------------------------

class IconCache:
    """Rendered icons of the live cabinet's version; a new version (a branding change) starts over."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version = ""
        self._icons: dict[str, bytes] = {}

    def get(self, version: str, name: str, render) -> bytes:
        with self._lock:
            if version != self._version:
                self._version, self._icons = version, {}
            png = self._icons.get(name)
            if png is None:
                png = self._icons[name] = render()
            return png


def _font(size: int):
    from PIL import ImageFont

    for candidate in FONT_CANDIDATES:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)    # Pillow >= 10.1: a scalable built-in font


def monogram(name: str, size: int, maskable: bool, background: str, foreground: str) -> bytes:
    """A PNG: the first letter of ``name`` on a full-bleed square of ``background``. A maskable
    icon keeps the letter inside the central safe zone (a circle of 80% of the side)."""
    from PIL import Image, ImageDraw

    letter = next((c for c in name if c.isalnum()), "•").upper()
    image = Image.new("RGB", (size, size), background)
    draw = ImageDraw.Draw(image)
    font = _font(round(size * (0.42 if maskable else 0.6)))
    # centre the letter's ink, not its line box: glyph metrics differ between fonts and scripts
    left, top, right, bottom = draw.textbbox((0, 0), letter, font=font)
    draw.text(((size - (right - left)) / 2 - left, (size - (bottom - top)) / 2 - top), letter,
              font=font, fill=foreground)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _icon_response(name: str) -> WerkzeugResponse:     # what make_conditional is typed to return
    cabinet = live().cabinet
    size, maskable = ICONS[name]
    override = _static_file(f"icons/{name}.png")    # an operator's own drawing, from a theme
    if override is not None:
        png = override.read_bytes()
    else:
        # one mark per operator in every language: the name in the cabinet's first locale
        operator = cabinet.operator.name.render(cabinet.operator.default_locale)
        cache = current_app.extensions.setdefault("pwa_icons", IconCache())
        png = cache.get(cabinet.version, name, lambda: monogram(
            operator, size, maskable, theme_colour(), _colour("on_primary")))
    response = Response(png, mimetype="image/png")
    response.set_etag(hashlib.sha256(png).hexdigest()[:20])
    response.cache_control.public = True
    response.cache_control.max_age = 3600
    return response.make_conditional(request)


@blueprint.route("/icons/<int:size>.png")
def icon(size: int):
    if str(size) not in ICONS:
        abort(404)
    return _icon_response(str(size))


@blueprint.route("/icons/maskable-512.png")
def maskable_icon():
    return _icon_response("maskable-512")


@blueprint.route("/apple-touch-icon.png")
def apple_touch_icon():
    """Where iOS looks when a page names no apple-touch-icon."""
    return _icon_response("180")


# --- the service worker --------------------------------------------------------------------------

def _static_file(name: str) -> Path | None:
    """``name`` from the static folders in theme order (an operator's override wins)."""
    for folder in static_folders(runtime().settings):
        path = folder / name
        if path.is_file():
            return path
    return None


def cache_name() -> str:
    """The service worker's cache: the engine's version, the precached static files (with icons a
    theme overrides) and the cabinet's version (monograms, logo), so a deploy or a branding change
    replaces it."""
    digest = hashlib.sha256(f"{__version__}\0{live().cabinet.version}".encode())
    for name in (*PRECACHED_STATIC, "sw.js", *(f"icons/{icon}.png" for icon in ICONS)):
        path = _static_file(name)
        digest.update(path.read_bytes() if path else b"")
    return f"cabinet-{digest.hexdigest()[:16]}"


def precache_urls() -> list[str]:
    urls = [url_for("static", filename=name) for name in PRECACHED_STATIC if _static_file(name)]
    urls += [url_for(".icon", size=192), url_for(".icon", size=512), url_for(".maskable_icon"),
             url_for(".icon", size=180)]
    logo = live().cabinet.branding.logo
    if logo and not logo.startswith(("https://", "http://", "//")):   # the offline page shows it
        urls.append(logo if logo.startswith("/") else url_for("media", filename=logo))
    return urls


@blueprint.route("/sw.js")
def service_worker():
    path = _static_file("sw.js")
    if path is None:
        abort(404)
    config = {"cache": cache_name(), "offline": url_for(".offline"), "precache": precache_urls()}
    script = SW_CONFIG.sub(lambda _m: json.dumps(config), path.read_text(encoding="utf-8"), count=1)
    response = Response(script, mimetype="application/javascript")
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"    # the browser checks every visit for a new worker
    return response


# --- the offline page ----------------------------------------------------------------------------

@blueprint.route("/offline")
def offline():
    # The service worker stores this page and shows it to whoever holds the phone next: render it
    # as for a visitor (no sign-out form with its CSRF token, no account), whoever asks.
    return render_template("offline.html", current_user=None, home_url="/", languages=[])


@blueprint.app_context_processor
def _pwa_context():
    return {"pwa_theme_color": theme_colour()}
