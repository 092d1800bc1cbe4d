"""The application factory. Start-up runs in a fixed order; each step says why it comes where it does."""
from __future__ import annotations

import atexit
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from flask import Flask, abort, jsonify, render_template, request, send_from_directory
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException
from werkzeug.security import safe_join

from ..assembly.ttlcache import TtlCache
from ..billing import binding_registry, resolve_binding
from ..config import ConfigError, Settings, load_settings
from ..kinds import field_kind_registry, kind_template_folders, section_kind_registry, template_globals
from ..schema import YamlSource
from ..notify import channel_registry
from ..state import Database
from ..state.outbox import Outbox
from ..state.users import UserStore
from . import api, designer, health, payment_links, payments, preview, pwa, screens
from .payment_setup import setup_payments
from .auth import current_identity
from .auth.local import LocalAuthenticator
from .extensions import apply_rate_limits, babel, csrf, make_limiter
from .handlers import handler_registry
from .i18n import CATALOGS, compile_catalogs, request_locale, select_locale, template_gettext, text_direction
from .runtime import LiveCabinet, Runtime, compile_cabinet_for, binding_options, live
from .security import install_security_headers
from .static import PREFIX as STATIC_PREFIX, StaticFiles
from .theming import ThemeEnvironment, missing_kind_templates, static_folders, theme_loader

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    """Build an app. Raises ``ConfigError`` or ``SchemaInvalid`` with every problem listed."""
    # 1. Settings first: everything below depends on them, and a bad one must stop us before any I/O.
    settings = settings or load_settings(**overrides)
    app = Flask("engine", static_folder=None, instance_path=str(settings.instance_dir))
    app.jinja_environment = ThemeEnvironment    # before anything asks for app.jinja_env
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_SECURE=settings.cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="cabinet_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        SESSION_REFRESH_EACH_REQUEST=False,   # an absolute 12 h lifetime, and no cookie rewrite per page
        WTF_CSRF_TIME_LIMIT=None,       # tied to the session instead: a long form-fill is not an error
        BABEL_TRANSLATION_DIRECTORIES=str(CATALOGS),
        BABEL_DEFAULT_LOCALE="ru",
        MAX_CONTENT_LENGTH=1 * 1024 * 1024,
    )
    app.config.update(settings.extra)
    if settings.trusted_proxies:
        # the client's address from X-Forwarded-For, set by this many proxies in front (rate limits key on it)
        from werkzeug.middleware.proxy_fix import ProxyFix
        # Flask's documented way to wrap the app in middleware; its typing declares wsgi_app a method
        app.wsgi_app = ProxyFix(app.wsgi_app,  # type: ignore[method-assign]
                                x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)   # not a line per schema check

    # 2. Registries before the binding and the schema: a duplicate plugin name fails here, first.
    field_kinds, section_kinds, bindings = field_kind_registry(), section_kind_registry(), binding_registry()
    handlers = handler_registry()

    # 3. The binding before the schema: validation checks the schema against its capabilities.
    try:
        binding_cls = resolve_binding(bindings, settings.binding)
    except LookupError as exc:
        raise ConfigError(f"CABINET_BINDING: {exc}") from None
    try:
        binding = binding_cls(**binding_options(binding_cls, dict(settings.binding_options)))
    except (ValidationError, TypeError) as exc:
        raise ConfigError(f"CABINET_BINDING_OPTIONS: not valid for the {settings.binding!r} binding: {exc}") from None

    # 4. The cabinet: an invalid schema stops start-up with all its problems (SchemaInvalid). The
    #    runtime is then built complete around it.
    source = cabinet_source(settings)
    try:
        cabinet = compile_cabinet_for(source, settings, field_kinds, section_kinds, binding, handlers)
    except Exception:
        binding.close()
        raise
    if cabinet.hidden_note:          # the one line saying what the binding's gaps left out, and why
        log.warning("the cabinet is served with parts %s", cabinet.hidden_note)
    db = Database(settings.database_url)
    rt = Runtime(
        settings=settings, field_kinds=field_kinds, section_kinds=section_kinds, bindings=bindings,
        handlers=handlers, binding=binding, source=source, db=db,
        executor=ThreadPoolExecutor(settings.billing_workers, thread_name_prefix="billing"),
        accounts_cache=TtlCache(settings.accounts_cache_seconds), live=LiveCabinet.of(cabinet),
        outbox=Outbox(db, retry_seconds=settings.mail_retry_seconds), preview_cache=preview.PreviewCache(),
        validated_changes=designer.Validated(),
    )
    source.accepted()
    app.extensions["cabinet"] = rt
    atexit.register(rt.close)
    if settings.directus_url:
        rt.watch(settings.directus_poll_seconds)   # the fallback when a change notification is lost
    elif settings.reload_seconds:
        rt.watch(settings.reload_seconds)   # operators editing YAML see their change without a restart

    # 5. The engine's own tables, and the demo users when serving the demo billing; then mail, whose
    #    outbox is one of those tables (without CABINET_SMTP_URL mail waits there, nothing is lost).
    db.migrate()
    for _name, channel_cls in channel_registry().items():
        channel = channel_cls.from_settings(settings)
        if channel is not None:          # a channel without its settings (no SMTP URL) is off
            rt.deliver(channel, settings.mail_poll_seconds)
    if settings.demo_users:
        from ..billing.demo import DEMO_USERS
        UserStore(db).ensure(DEMO_USERS)
    rt.settle_writes(WRITES_SETTLE_SECONDS)    # changes whose answer was lost, asked about again

    # 6. Extensions: CSRF on every POST; languages; rate limits (before auth, whose views use them).
    csrf.init_app(app)
    compile_catalogs()
    babel.init_app(app, locale_selector=select_locale)
    make_limiter(app, settings.ratelimit_storage, settings.ratelimit_prefix)

    # 7. Templates: the theme chain, and what every template may use.
    app.jinja_loader = theme_loader(settings, kind_template_folders(field_kinds, section_kinds))
    app.jinja_env.globals.update(template_globals())
    app.jinja_env.globals["_"] = template_gettext
    _install_template_context(app)
    for problem in missing_kind_templates(app.jinja_env, field_kinds, section_kinds):
        log.error(problem)

    # 8. Views: auth first (screens redirect to it), then the cabinet, the API and health.
    if rt.binding.per_subscriber and settings.sign_in != "billing":
        raise ConfigError(f"the binding {settings.binding!r} acts with each subscriber's own billing credential: "
                          f"set CABINET_SIGN_IN=billing so subscribers sign in with their billing login")
    if settings.sign_in == "keycloak":
        from .auth.keycloak import KeycloakAuthenticator
        KeycloakAuthenticator(settings).init_app(app)
    elif settings.sign_in == "billing":
        from .auth.billing import BillingAuthenticator
        BillingAuthenticator().init_app(app)
    else:
        LocalAuthenticator().init_app(app)
    app.register_blueprint(screens.blueprint)
    app.register_blueprint(api.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(pwa.blueprint)      # public: manifest, icons, service worker, offline page
    app.register_blueprint(designer.blueprint)
    app.register_blueprint(preview.blueprint)
    app.register_blueprint(payments.blueprint)
    app.register_blueprint(payment_links.blueprint)
    setup_payments(app, settings)
    apply_rate_limits(app)      # every view registered above that says its limits
    _install_static(app, settings)

    # 9. Last: headers and error pages wrap everything registered above; then what is answered in
    #    front of Flask (static files, /healthz), with the same headers.
    headers = install_security_headers(app, form_targets=[settings.keycloak_url or "",
                                                          rt.payments.pages if rt.payments else ""])
    _install_error_pages(app)
    _install_front(app, rt, settings, headers)
    return app


def cabinet_source(settings: Settings):
    """YAML files (the embedded default), or Directus when CABINET_DIRECTUS_URL is set."""
    if settings.directus_url:
        from ..directus.client import DirectusClient
        from ..directus.source import DirectusSource
        return DirectusSource(DirectusClient(settings.directus_url, settings.directus_token),
                              settings.instance_dir / "directus")
    return YamlSource(settings.schemas)


def _install_template_context(app: Flask) -> None:
    @app.context_processor
    def _context():
        cabinet = live().cabinet
        locale = request_locale(cabinet)
        branding = cabinet.branding
        return {
            "operator_name": cabinet.operator.name.render(locale),
            "branding": {
                "colors": dict(branding.colors), "font": branding.font, "radius": branding.radius,
                "logo_url": _media_url(branding.logo) if branding.logo else "",
                "light": branding.light, "dark": branding.dark,      # read-only mappings, as compiled
            },
            "text_direction": text_direction(locale),
            "current_user": current_identity(),
            "locale": locale,
            "languages": [
                {"code": code, "title": LANGUAGE_NAMES.get(code, code.upper()), "url": url, "active": code == locale}
                for code, url in screens.language_urls(cabinet.operator.locales).items()
            ],
        }


# Each language named in itself, as people look for it in a language switch.
LANGUAGE_NAMES = {"ru": "Русский", "en": "English", "uk": "Українська", "kk": "Қазақша", "be": "Беларуская",
                  "uz": "Oʻzbekcha", "hy": "Հայերեն", "ka": "ქართული", "az": "Azərbaycanca", "ar": "العربية",
                  "he": "עברית", "de": "Deutsch", "fr": "Français", "es": "Español", "tr": "Türkçe"}


def _media_url(path: str) -> str:
    from flask import url_for

    if path.startswith(("https://", "/")):
        return path
    return url_for("media", filename=path)


STATIC_MAX_AGE = 3600
WRITES_SETTLE_SECONDS = 30


def _install_static(app: Flask, settings: Settings) -> None:
    folders = static_folders(settings)

    # Plain GETs of existing files are answered in front of Flask (``_install_front``); this view
    # answers the rest (a missing file's 404 page, Range requests) and builds the URLs.
    @app.route("/static/<path:filename>", endpoint="static")
    def static(filename: str):
        for folder in folders:
            path = safe_join(str(folder), filename)
            if path is not None and os.path.isfile(path):
                return send_from_directory(folder, filename, max_age=STATIC_MAX_AGE)
        abort(404)

    @app.route("/media/<path:filename>", endpoint="media")
    def media(filename: str):
        folder = app.extensions["cabinet"].source.media_dir()
        if folder is None:
            abort(404)
        return send_from_directory(folder, filename, max_age=3600)


def _install_front(app: Flask, rt: Runtime, settings: Settings, headers: list[tuple[str, str]]) -> None:
    """Static files and /healthz need nothing of what Flask does per request (session, CSRF,
    locale, rate limits, template context), so they are answered in front of it, with the same
    headers; whatever those answers leave (a missing file, another method) goes on to Flask."""
    files = StaticFiles(static_folders(settings), STATIC_MAX_AGE, headers)
    healthz = health.healthz_answer(rt, headers)
    flask_wsgi = app.wsgi_app

    def front(environ: dict[str, Any], start_response):
        path = environ.get("PATH_INFO", "")
        answer = None
        if path.startswith(STATIC_PREFIX):
            answer = files(environ, start_response)
        elif path == health.PATH:
            answer = healthz(environ, start_response)
        return flask_wsgi(environ, start_response) if answer is None else answer

    # Flask's documented way to wrap the app in middleware; its typing declares wsgi_app a method
    app.wsgi_app = front  # type: ignore[method-assign]


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _install_error_pages(app: Flask) -> None:
    from flask_babel import gettext as _

    messages = {
        400: lambda: _("The request could not be understood."),
        403: lambda: _("You do not have access to this page."),
        404: lambda: _("There is no such page."),
        405: lambda: _("This page cannot be used that way."),
        410: lambda: _("This link has expired. Ask for a new one."),
        413: lambda: _("The request is too large."),
        429: lambda: _("Too many attempts. Please wait a minute and try again."),
        500: lambda: _("Something went wrong on our side. Please try again later."),
    }

    def render_error(code: int, message: str):
        if _wants_json():
            return jsonify(error=code, message=message), code
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        return render_error(400, _("The form has expired. Go back, reload the page and try again."))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = exc.code or 500
        return render_error(code, messages.get(code, lambda: exc.description)())

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unexpected error on %s", request.path)
        return render_error(500, messages[500]())
