"""Outbound HTTP of the engine: one ``requests.Session`` per client, a timeout on every call,
retries with backoff for idempotent calls only, a circuit breaker, and the usual authentications.

Failures come out as two exceptions: ``HttpUnavailable`` (nothing usable came back: refused,
timed out, dropped, a 5xx, the breaker open) and, for every other answer, the response itself for
the caller to read. Nothing here logs a header value or a query: they may carry secrets.

The circuit breaker: after ``failures`` unavailable answers in a row it opens and calls fail at
once for ``reset_seconds``; then one call goes through (half-open): success closes it, failure
opens it again. A billing that is down then costs subscribers no waiting at all.
"""
from __future__ import annotations

import base64
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

import requests

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.05, 10.0)          # seconds: connect, read


class HttpUnavailable(Exception):
    """The other side could not be used: refused, timed out, dropped, a 5xx, or the breaker is open.
    ``sent``: the last request may have reached it (no answer came, the connection dropped after
    sending, a gateway timed out waiting for it): what it asked may have been done."""

    def __init__(self, message: str, sent: bool = False):
        super().__init__(message)
        self.sent = sent


class CircuitOpen(HttpUnavailable):
    pass


# --- the circuit breaker ------------------------------------------------------------------------------
class CircuitBreaker:
    CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"

    def __init__(self, failures: int = 5, reset_seconds: float = 30.0, clock: Callable[[], float] = time.monotonic):
        self.failures = failures
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failed = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state()

    def _state(self) -> str:
        if self._opened_at is None:
            return self.CLOSED
        return self.HALF_OPEN if self._clock() - self._opened_at >= self.reset_seconds else self.OPEN

    def allow(self) -> bool:
        """May a call go out now? In half-open state only one trial call at a time."""
        with self._lock:
            state = self._state()
            if state == self.CLOSED:
                return True
            if state == self.HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def succeeded(self) -> None:
        with self._lock:
            if self._opened_at is not None:
                log.info("circuit closed: the service answers again")
            self._failed, self._opened_at, self._probing = 0, None, False

    def failed(self) -> None:
        with self._lock:
            self._failed += 1
            if self._probing or self._failed >= self.failures:
                if self._opened_at is None or self._probing:
                    log.warning("circuit open for %.0f s after %d failures", self.reset_seconds, self._failed)
                self._opened_at, self._probing = self._clock(), False


# --- authentication -----------------------------------------------------------------------------------
class Auth:
    """Adds credentials to a request's headers (and refreshes them when they expire)."""

    def headers(self, http: "HttpClient") -> dict[str, str]:
        return {}


@dataclass
class BearerAuth(Auth):
    token: str

    def headers(self, http):
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class BasicAuth(Auth):
    username: str
    password: str

    def headers(self, http):
        pair = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}


@dataclass
class ApiKeyAuth(Auth):
    header: str
    value: str

    def headers(self, http):
        return {self.header: self.value}


class OAuth2ClientCredentials(Auth):
    """The client credentials grant; the token is reused until shortly before it expires."""

    def __init__(self, token_url: str, client_id: str, client_secret: str, scope: str = ""):
        self.token_url, self.client_id, self.client_secret, self.scope = token_url, client_id, client_secret, scope
        self._token: str | None = None
        self._expires = 0.0
        self._lock = threading.Lock()

    def headers(self, http):
        with self._lock:
            if self._token is None or time.monotonic() > self._expires - 30:
                form = {"grant_type": "client_credentials", "client_id": self.client_id,
                        "client_secret": self.client_secret}
                if self.scope:
                    form["scope"] = self.scope
                response = http.send("POST", self.token_url, data=form, idempotent=False, authenticate=False)
                if response.status_code != 200:
                    raise HttpUnavailable(f"the token endpoint refused the client credentials "
                                          f"(HTTP {response.status_code})")
                body = response.json()
                self._token = body["access_token"]
                self._expires = time.monotonic() + float(body.get("expires_in", 300))
            return {"Authorization": f"Bearer {self._token}"}

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials({self.token_url!r}, client_id={self.client_id!r})"


# --- the client -----------------------------------------------------------------------------------------
class HttpClient:
    def __init__(self, base_url: str = "", timeout: tuple[float, float] = DEFAULT_TIMEOUT, retries: int = 0,
                 backoff: float = 0.2, breaker: CircuitBreaker | None = None, auth: Auth | None = None,
                 headers: Mapping[str, str] | None = None, server_errors_unavailable: bool = True):
        self.base_url = base_url.rstrip("/")
        #: a 5xx answer is HttpUnavailable (the default), or handed back for the caller to read
        #: (a service whose 5xx bodies say something a person should see)
        self.server_errors_unavailable = server_errors_unavailable
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.breaker = breaker
        self.auth = auth
        self.session = requests.Session()
        self.session.headers.update(headers or {})

    def __repr__(self) -> str:          # never credentials
        return f"<HttpClient {self.base_url}>"

    def send(self, method: str, url: str, *, params: Mapping[str, Any] | None = None, json: Any = None,
             data: Any = None, files: Any = None, headers: Mapping[str, str] | None = None,
             timeout: tuple[float, float] | None = None, idempotent: bool | None = None,
             authenticate: bool = True) -> requests.Response:
        """One call (a path is joined to the base URL). Unavailable answers of idempotent calls
        (GET, HEAD by default) are retried with backoff, within the call's timeout."""
        idempotent = method.upper() in ("GET", "HEAD", "OPTIONS") if idempotent is None else idempotent
        target = url if "://" in url else self.base_url + url
        timeout = timeout or self.timeout
        budget = sum(timeout) * (1 + (self.retries if idempotent else 0))
        deadline = time.monotonic() + budget
        attempts = 1 + (self.retries if idempotent else 0)
        sent = False                # did any attempt maybe reach the other side?
        for attempt in range(attempts):
            if self.breaker is not None and not self.breaker.allow():
                raise CircuitOpen(f"{_where(target)}: not called, the circuit is open after repeated failures",
                                  sent=sent)
            try:
                all_headers = {**(self.auth.headers(self) if self.auth and authenticate else {}), **(headers or {})}
                response = self.session.request(method, target, params=params, json=json, data=data, files=files,
                                                headers=all_headers, timeout=timeout, allow_redirects=False)
            except requests.ConnectTimeout:
                problem, sent = f"{method} {_where(target)} cannot be reached (no connection in {timeout[0]:g} s)", sent
            except requests.Timeout:
                problem, sent = f"{method} {_where(target)} did not answer in {timeout[1]:g} s", True
            except requests.ConnectionError as exc:
                if _before_sending(exc):
                    problem = f"{method} {_where(target)} cannot be reached ({_reason(exc)})"
                else:
                    problem, sent = f"{method} {_where(target)} dropped the connection without an answer " \
                                    f"({_reason(exc)})", True
            except requests.RequestException as exc:
                problem, sent = f"{method} {_where(target)} failed ({type(exc).__name__})", True
            else:
                if response.status_code < 500 or not self.server_errors_unavailable:
                    if self.breaker is not None:
                        self.breaker.succeeded()
                    return response
                problem = f"{method} {_where(target)} answered HTTP {response.status_code}"
                # a gateway that gave up waiting: the request went on to the service behind it
                sent = sent or response.status_code in (502, 504)
            if self.breaker is not None:
                self.breaker.failed()
            pause = self.backoff * 2 ** attempt
            if attempt + 1 >= attempts or time.monotonic() + pause >= deadline:
                raise HttpUnavailable(problem, sent=sent)
            log.info("retrying in %.2f s: %s", pause, problem)
            time.sleep(pause)
        raise HttpUnavailable("no attempt was made")          # attempts >= 1: never reached

    def close(self) -> None:
        self.session.close()


def _where(url: str) -> str:
    """The address without its query (a query may carry a secret)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


def _before_sending(exc: requests.ConnectionError) -> bool:
    """The connection failed before the request went out (refused, no such host, no route): the
    other side never saw it. A connection reset or closed after sending may have been read."""
    from urllib3.exceptions import NewConnectionError
    seen, cause = set(), exc.args[0] if exc.args else None
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, NewConnectionError):
            return True
        cause = getattr(cause, "reason", None) or cause.__cause__ or cause.__context__
    return False


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Connection reset", "Remote end closed", "Name or service not known",
                   "timed out"):
        if marker in text:
            return marker.lower()
    return type(exc).__name__
