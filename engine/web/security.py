"""Response headers that every page gets."""
from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "img-src 'self' data: https:",
    "media-src 'self' https:",
    "style-src 'self' 'unsafe-inline'",     # branding colours are inline custom properties
    "script-src 'self'",
    "worker-src 'self'",                    # the service worker (/sw.js)
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",               # preview pages relax this for the CMS origin only
])


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """The policy, with the other sites a form's answer may lead to: a browser applies form-action
    to the redirect after a post too, so logging out through Keycloak or paying on the acquirer's
    page would be blocked by 'self' alone."""
    extra = sorted({origin(url) for url in form_targets if url})
    if not extra:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", "form-action 'self' " + " ".join(extra))


def install_security_headers(app: Flask, form_targets: Iterable[str] = ()) -> None:
    policy = content_security_policy(form_targets)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]:
            response.headers.setdefault("X-Frame-Options", "DENY")    # older browsers; a preview may be framed
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")   # pages show personal data
        return response
