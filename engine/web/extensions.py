"""Flask extensions. Babel and CSRF keep their state in ``app.extensions`` and may be shared;
the rate limiter keeps counters on itself, so each app gets its own (``make_limiter``).

Rate limits are written one way: a view says its limits where it is defined (``@rate_limited``),
and ``apply_rate_limits`` wraps every such view of an app with that app's limiter once all views
are registered."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Flask, current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

babel = Babel()
csrf = CSRFProtect()


def make_limiter(app: Flask, storage_uri: str, key_prefix: str) -> Limiter:
    # Counters live in Redis when several engine processes serve one cabinet; if that store is
    # down, limits fall back to this process's memory instead of failing sign-in.
    limiter = Limiter(key_func=get_remote_address, app=app, storage_uri=storage_uri, default_limits=[],
                      strategy="moving-window", headers_enabled=True, key_prefix=key_prefix,
                      swallow_errors=True, in_memory_fallback_enabled=True)
    # Only views that name their limits are limited (sign-in, codes, public forms), and their
    # decorators check them; the app-wide check before every request would only cost each page.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    app.extensions["cabinet_limiter"] = limiter
    return limiter


def limiter_of(app: Flask | None = None) -> Limiter:
    return (app or current_app).extensions["cabinet_limiter"]


LIMITS = "_cabinet_rate_limits"


@dataclass(frozen=True)
class RateLimit:
    setting: str                                  # the setting that holds the rate, e.g. login_rate
    methods: tuple[str, ...] | None               # None: every method
    key: Callable[[], str] | None                 # None: per client address
    exempt_when: Callable[[], bool] | None
    shared: str | None = None                     # views naming the same one count together


def rate_limited(setting: str, *, methods: tuple[str, ...] | None = ("POST",), key: Callable[[], str] | None = None,
                 exempt_when: Callable[[], bool] | None = None, shared: str | None = None):
    """Mark a view with a limit whose rate is the setting ``setting`` (several marks: several limits);
    views marked with the same ``shared`` name draw on one allowance."""
    def mark(view):
        view.__dict__.setdefault(LIMITS, []).append(RateLimit(setting, methods, key, exempt_when, shared))
        return view
    return mark


def apply_rate_limits(app: Flask) -> None:
    """Wrap every view of ``app`` that is marked ``@rate_limited`` with the app's own limiter."""
    limiter, settings = limiter_of(app), app.extensions["cabinet"].settings
    for endpoint, view in list(app.view_functions.items()):
        limits = getattr(view, LIMITS, ())
        limited: Callable[..., Any] = view
        for limit in limits:
            rate, methods = getattr(settings, limit.setting), list(limit.methods) if limit.methods else None
            if limit.shared:
                limited = limiter.shared_limit(rate, limit.shared, methods=methods, key_func=limit.key,
                                               exempt_when=limit.exempt_when)(limited)
            else:
                limited = limiter.limit(rate, methods=methods, key_func=limit.key,
                                        exempt_when=limit.exempt_when)(limited)
        if limits:
            app.view_functions[endpoint] = limited
