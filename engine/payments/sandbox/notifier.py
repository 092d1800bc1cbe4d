"""Delivery of notifications to the merchant's ``notify_url``, as a real acquirer does it: signed
POSTs from a background thread, retried with backoff until the merchant answers 2xx.

Each attempt is signed anew (a fresh timestamp); the body and event id never change.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable

import requests

from .signature import HEADER, signature_header

log = logging.getLogger(__name__)

RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0)   # seconds before the 2nd … 6th attempt
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT = (3, 10)

# Called after each attempt with (event_id, delivered, error) so the acquirer keeps the record.
AttemptRecorder = Callable[[str, bool, "str | None"], None]


class Notifier:
    def __init__(self, secret: str, record_attempt: AttemptRecorder,
                 delays: tuple[float, ...] = RETRY_DELAYS):
        self._secret = secret
        self._record = record_attempt
        self._delays = delays
        self._stopping = threading.Event()

    def deliver(self, event_id: str, url: str, body: bytes, attempts_made: int = 0) -> None:
        """Start delivering in the background; ``attempts_made`` continues an interrupted delivery."""
        if attempts_made >= len(self._delays) + 1:
            return
        threading.Thread(target=self._run, args=(event_id, url, body, attempts_made),
                         name=f"sandbox-notify-{event_id}", daemon=True).start()

    def close(self) -> None:
        """Stop waiting between attempts; undelivered events resume when the sandbox starts again."""
        self._stopping.set()

    def _run(self, event_id: str, url: str, body: bytes, attempts_made: int) -> None:
        for attempt in range(attempts_made, len(self._delays) + 1):
            if attempt > attempts_made and self._stopping.wait(self._delays[attempt - 1]):
                return
            if self._stopping.is_set():
                return
            error = self._attempt(url, body)
            try:
                self._record(event_id, error is None, error)
            except Exception:   # a record we failed to write must not stop the delivery
                log.exception("could not record the delivery attempt of %s", event_id)
            if error is None:
                log.info("notification %s delivered (attempt %d)", event_id, attempt + 1)
                return
            log.warning("notification %s not delivered (attempt %d): %s", event_id, attempt + 1, error)
        log.error("notification %s gave up after %d attempts", event_id, len(self._delays) + 1)

    def _attempt(self, url: str, body: bytes) -> str | None:
        headers = {"Content-Type": "application/json", "User-Agent": "CabinetSandboxAcquirer/1",
                   HEADER: signature_header(self._secret, body)}
        try:
            response = requests.post(url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
        except requests.RequestException as exc:
            return f"{type(exc).__name__}"
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"
