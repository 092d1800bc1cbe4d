"""A small Directus REST client over ``engine.http`` (one session, connection reuse, timeouts on
every call), with paging and typed errors.

Directus answers errors as ``{"errors": [{"message": ..., "extensions": {"code": ...}}]}``; that
shape is read only from answers that are errors (an item whose text contains the word "errors"
is data, not a failure).
"""
from __future__ import annotations

import logging
from typing import Any, Iterator, Mapping

import requests

from ..http import HttpClient, HttpUnavailable

log = logging.getLogger(__name__)

TIMEOUT = (3.05, 15)           # seconds: connect, read
PAGE_SIZE = 200


class DirectusError(Exception):
    """Directus refused the request; ``code`` is its error code (FORBIDDEN, INVALID_PAYLOAD ...)."""

    def __init__(self, message: str, status: int = 0, code: str = "", messages: tuple[str, ...] = ()):
        super().__init__(message)
        self.status = status
        self.code = code
        self.messages = messages or (message,)


class DirectusUnavailable(DirectusError):
    """Directus could not be reached, did not answer in time, or failed (5xx)."""


class DirectusAuthError(DirectusError):
    """Wrong credentials or a token without the permission asked for (401, 403)."""


class DirectusClient:
    def __init__(self, url: str, token: str | None = None, timeout: tuple[float, float] = TIMEOUT):
        self.url = url.rstrip("/")
        self.timeout = timeout
        # Directus' 5xx answers carry messages people must see (a hook's refusal), so they come back
        self.http = HttpClient(self.url, timeout, headers={"Accept": "application/json"},
                               server_errors_unavailable=False)
        if token:
            self.http.session.headers["Authorization"] = f"Bearer {token}"

    def __repr__(self) -> str:        # never the token
        return f"<DirectusClient {self.url}>"

    # --- authentication ----------------------------------------------------------------------------
    def login(self, email: str, password: str) -> None:
        """Sign in as a user (the provisioning admin); later calls carry its access token."""
        try:
            data = self.post("/auth/login", {"email": email, "password": password})
        except DirectusAuthError as exc:
            raise DirectusAuthError(f"Directus at {self.url} refused the e-mail and password: {exc}",
                                    exc.status, exc.code) from None
        self.http.session.headers["Authorization"] = f"Bearer {data['access_token']}"

    # --- verbs -------------------------------------------------------------------------------------
    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params)

    def post(self, path: str, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._call("POST", path, json=body, params=params)

    def patch(self, path: str, body: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        return self._call("PATCH", path, json=body, params=params)

    def delete(self, path: str, body: Any = None) -> Any:
        return self._call("DELETE", path, json=body)

    def upload(self, path: str, filename: str, content: bytes, content_type: str,
               fields: Mapping[str, str] | None = None) -> Any:
        files = {"file": (filename, content, content_type)}
        return self._call("POST", path, data=dict(fields or {}), files=files)

    def items(self, collection: str, params: Mapping[str, Any] | None = None) -> Iterator[dict]:
        """Every item of a collection, page by page."""
        page = 1
        while True:
            batch = self.get(f"/items/{collection}", {**(params or {}), "limit": PAGE_SIZE, "page": page})
            if isinstance(batch, dict):       # a singleton answers with its one item
                yield batch
                return
            yield from batch
            if len(batch) < PAGE_SIZE:
                return
            page += 1

    def server_version(self) -> str:
        """The Directus version (needs an admin token)."""
        info = self.get("/server/info")
        return str((info or {}).get("version") or "")

    def close(self) -> None:
        self.http.close()

    # --- plumbing ----------------------------------------------------------------------------------
    def download(self, path: str) -> bytes:
        """A file's bytes (``/assets/<id>``)."""
        try:
            response = self.http.send("GET", path)
        except HttpUnavailable as exc:
            raise DirectusUnavailable(f"Directus at {self.url}: {exc}") from None
        if response.status_code != 200:
            raise DirectusError(f"Directus did not give {path} (HTTP {response.status_code})", response.status_code)
        return response.content

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.http.send(method, path, idempotent=False, **kwargs)
        except HttpUnavailable as exc:
            raise DirectusUnavailable(f"Directus at {self.url}: {exc}; is it running?") from None
        if response.status_code == 204 or not response.content:
            if response.status_code >= 400:
                raise self._error(response, method, path, ())
            return None
        try:
            body = response.json()
        except ValueError:
            if response.status_code >= 400:
                raise self._error(response, method, path, ()) from None
            raise DirectusError(f"Directus answered {method} {path} with something that is not JSON "
                                f"(HTTP {response.status_code}); is {self.url} a Directus server?",
                                response.status_code) from None
        if response.status_code >= 400:
            errors = body.get("errors") if isinstance(body, dict) else None
            raise self._error(response, method, path, errors if isinstance(errors, list) else ())
        return body.get("data") if isinstance(body, dict) and "data" in body else body

    def _error(self, response: requests.Response, method: str, path: str, errors) -> DirectusError:
        messages = tuple(str(e.get("message", "")) for e in errors if isinstance(e, dict)) or \
            (f"HTTP {response.status_code}",)
        codes = [str((e.get("extensions") or {}).get("code", "")) for e in errors if isinstance(e, dict)]
        code = codes[0] if codes else ""
        text = f"Directus refused {method} {path}: {'; '.join(messages)}"
        if response.status_code >= 500:
            return DirectusUnavailable(text, response.status_code, code, messages)
        if response.status_code in (401, 403):
            return DirectusAuthError(text, response.status_code, code, messages)
        return DirectusError(text, response.status_code, code, messages)
