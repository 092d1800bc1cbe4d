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


def security_headers(policy: str) -> list[tuple[str, str]]:
    """The headers every answer gets with this policy (answers made before Flask add them as they are)."""
    headers = [("Content-Security-Policy", policy), ("X-Content-Type-Options", "nosniff"),
               ("Referrer-Policy", "same-origin")]
    if "frame-ancestors 'none'" in policy:
        headers.append(("X-Frame-Options", "DENY"))    # older browsers; a preview may be framed
    return headers


def install_security_headers(app: Flask, form_targets: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Add the headers to every answer of ``app``; returns them for the answers made before Flask."""
    policy = content_security_policy(form_targets)
    defaults = security_headers(policy)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        present = {name.lower() for name, _ in headers.items()}
        if "content-security-policy" in present:
            # a view set its own policy (a preview may be framed by the CMS): the rest follow it
            wanted = security_headers(headers["Content-Security-Policy"])
        else:
            wanted = defaults
        missing = [(name, value) for name, value in wanted if name.lower() not in present]
        if "cache-control" not in present and \
                headers.get("Content-Type", "").split(";", 1)[0].strip().lower() == "text/html":
            missing.append(("Cache-Control", "no-store"))   # pages show personal data
        headers.extend(missing)     # one pass over the headers, not a lookup per header
        return response

    return defaults
