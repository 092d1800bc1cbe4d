"""Flask extensions. Babel and CSRF keep their state in ``app.extensions`` and may be shared;
the rate limiter keeps counters on itself, so each app gets its own (``make_limiter``)."""
from __future__ import annotations

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
