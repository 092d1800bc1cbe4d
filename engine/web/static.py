"""The theme's static files, answered in front of Flask.

A stylesheet or a script needs none of what a page needs (session, CSRF, locale, rate limits,
context processors), so ``StaticFiles`` answers them straight from the WSGI environ: the same
file of the theme chain (override, theme, base) as the ``static`` view, with the same headers
(ETag, Last-Modified, an hour's public caching, the content type, the security headers) and a 304
for a matching If-None-Match or If-Modified-Since. Anything else (a missing file, a Range request,
a method other than GET or HEAD, a large file) is left to the Flask view, which answers as before.

A file's headers and bytes are kept between requests, keyed by what ``os.stat`` says of it, and
every request stats the folders again: an edited or newly overriding file is served at once.
"""
from __future__ import annotations

import mimetypes
import os
import stat as stat_module
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence
from urllib.parse import quote
from zlib import adler32

from werkzeug.http import dump_options_header, http_date, is_resource_modified
from werkzeug.security import safe_join
from werkzeug.utils import get_content_type

PREFIX = "/static/"
KEPT_BYTES = 512 * 1024          # larger files go through Flask (streamed, not kept in memory)
KEPT_FILES = 256


@dataclass(frozen=True)
class _File:
    identity: tuple[int, int, int]        # (st_ino, st_mtime_ns, st_size): the version kept
    body: bytes
    headers: tuple[tuple[str, str], ...]  # for 200 (Content-Length, Expires and Date added per answer)
    etag: str                             # unquoted, as werkzeug makes it
    modified: datetime


class StaticFiles:
    def __init__(self, folders: Sequence[Path], max_age: int, security_headers: Sequence[tuple[str, str]]):
        self.folders = [str(folder) for folder in folders]
        self.max_age = max_age
        self.security_headers = tuple(security_headers)
        self._files: dict[str, _File] = {}
        self._lock = threading.Lock()
        self._expires_at = (0, "")

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes] | None:
        """The answer for a plain GET or HEAD of an existing static file; None: Flask answers."""
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD") or "HTTP_RANGE" in environ:
            return None
        # WSGI gives the path as latin-1; Flask's routing reads it as UTF-8, and so does this
        raw = environ.get("PATH_INFO", "")[len(PREFIX):]
        try:
            filename = raw.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return None
        found = self._find(filename)
        if found is None:
            return None
        path, stat = found
        if stat.st_size > KEPT_BYTES:
            return None
        entry = self._entry(path, stat)
        if entry is None:
            return None
        expires = self._expires()
        if ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ) and not is_resource_modified(
                environ, etag=entry.etag, last_modified=entry.modified):
            # as werkzeug answers a 304: entity headers dropped, Expires kept
            start_response("304 Not Modified", [
                (name, value) for name, value in entry.headers
                if name not in ("Content-Type", "Last-Modified", "Content-Encoding")
            ] + [("Expires", expires)] + list(self.security_headers))
            return []
        start_response("200 OK", [*entry.headers, ("Content-Length", str(len(entry.body))), ("Expires", expires),
                                  *self.security_headers])
        return [] if method == "HEAD" else [entry.body]

    def _expires(self) -> str:
        second = int(time.time())
        kept = self._expires_at
        if kept[0] != second:             # one date string per second, not one per answer
            kept = self._expires_at = (second, http_date(second + self.max_age))
        return kept[1]

    def _find(self, filename: str) -> tuple[str, os.stat_result] | None:
        """The first folder of the chain holding the file, as the ``static`` view looks."""
        for folder in self.folders:
            path = safe_join(folder, filename)
            if path is None:
                return None
            try:
                stat = os.stat(path)
            except (OSError, ValueError):
                continue
            if stat_module.S_ISREG(stat.st_mode):
                return path, stat
        return None

    def _entry(self, path: str, stat: os.stat_result) -> _File | None:
        identity = (stat.st_ino, stat.st_mtime_ns, stat.st_size)
        entry = self._files.get(path)
        if entry is not None and entry.identity == identity:
            return entry
        try:
            with open(path, "rb") as f:
                body = f.read(KEPT_BYTES + 1)
            after = os.stat(path)
        except OSError:
            return None
        if (after.st_ino, after.st_mtime_ns, after.st_size) != identity or len(body) != stat.st_size:
            return None          # changed while read: let Flask answer this once
        entry = self._describe(path, stat, body)
        with self._lock:
            if len(self._files) >= KEPT_FILES:
                self._files.clear()
            self._files[path] = entry
        return entry

    def _describe(self, path: str, stat: os.stat_result, body: bytes) -> _File:
        """The headers werkzeug's send_file gives this file (see werkzeug.utils.send_file)."""
        name = os.path.basename(path)
        mimetype, encoding = mimetypes.guess_type(name)
        headers = [("Content-Type", get_content_type(mimetype or "application/octet-stream", "utf-8"))]
        if encoding is not None:
            headers.append(("Content-Encoding", encoding))
        try:
            name.encode("ascii")
            names = {"filename": name}
        except UnicodeEncodeError:
            simple = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
            names = {"filename": simple, "filename*": f"UTF-8''{quote(name, safe='!#$&+-.^_`|~')}"}
        etag = f"{stat.st_mtime}-{stat.st_size}-{adler32(path.encode()) & 0xFFFFFFFF}"
        modified = datetime.fromtimestamp(int(stat.st_mtime), tz=timezone.utc)
        headers += [
            ("Content-Disposition", dump_options_header("inline", names)),
            ("Last-Modified", http_date(stat.st_mtime)),
            ("Cache-Control", f"public, max-age={self.max_age}"),
            ("ETag", f'"{etag}"'),
            ("Accept-Ranges", "bytes"),
        ]
        return _File((stat.st_ino, stat.st_mtime_ns, stat.st_size), body, tuple(headers), etag, modified)
