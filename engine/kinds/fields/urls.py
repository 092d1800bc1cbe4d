"""Which URLs the theme may put into href and src attributes.

Values come from billings and operator schemas; a ``javascript:`` (or ``data:``) URL there must
never become a link. Only a short allow-list passes: everything else is shown as plain text.
"""
from __future__ import annotations

import re
from typing import Any

from marshmallow import ValidationError

WEB = ("http", "https")
LINK = ("http", "https", "mailto", "tel")

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
# browsers drop tabs and newlines inside URLs ("java\nscript:"), so refuse any control character
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def safe_url(value: Any, schemes: tuple[str, ...] = WEB) -> str | None:
    """``value`` if it is a site path ("/news/5") or an URL with one of ``schemes``; else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or _CONTROL.search(url):
        return None
    if url.startswith("/"):
        # "//host" and "/\host" lead to another site; a site path has one slash
        return url if url[1:2] not in ("/", "\\") else None
    match = _SCHEME.match(url)
    if match is None or match.group(1).lower() not in schemes:
        return None
    if match.group(1).lower() in WEB and not url[match.end():].startswith("//"):
        return None  # "https:evil" is not an absolute address
    return url


class SafeUrl:
    """marshmallow validator for URL options (images, videos, posters)."""

    def __init__(self, schemes: tuple[str, ...] = WEB):
        self.schemes = schemes

    def __call__(self, value: Any) -> Any:
        if safe_url(value, self.schemes) is None:
            allowed = " or ".join(f"{s}://" for s in self.schemes if s in WEB)
            raise ValidationError(f"use an address starting with {allowed} or a site path starting with /")
        return value
