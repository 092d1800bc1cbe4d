"""The sandbox's notification signature: ``X-Sandbox-Signature: t=<unix>,v1=<hex>``, where the hex is
HMAC-SHA256 of ``"<t>.<body>"`` with the shared secret.

Signing the timestamp with the body lets the receiver refuse an old notification replayed by
someone who recorded it; each delivery attempt is signed anew, so a retry hours later still passes.
"""
from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Sandbox-Signature"


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={_digest(secret, t, body)}"


def verify_signature(secret: str, body: bytes, header: str | None, max_age_seconds: float,
                     now: float | None = None) -> None:
    """Raise ``ValueError`` saying what is wrong; return quietly when the signature holds."""
    if not header:
        raise ValueError(f"the {HEADER} header is missing")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        raise ValueError(f"the {HEADER} header has no timestamp") from None
    now = time.time() if now is None else now
    if abs(now - t) > max_age_seconds:   # a clock far ahead is as suspicious as an old replay
        raise ValueError(f"the signature timestamp is more than {int(max_age_seconds)} seconds away from now")
    expected = _digest(secret, t, body).encode()
    # several v1 values are allowed (a secret being rotated); each compared in constant time, as
    # bytes (compare_digest refuses non-ASCII text, and a header may carry anything)
    candidates = [value.encode("utf-8", "surrogateescape") for value in parts.get("v1", [])]
    if not any(hmac.compare_digest(expected, candidate) for candidate in candidates):
        raise ValueError("the signature does not match the body")


def _digest(secret: str, t: int, body: bytes) -> str:
    return hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
