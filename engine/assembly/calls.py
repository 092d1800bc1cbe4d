"""Billing calls of one request: run concurrently, time-boxed, each identical call once.

A ``CallSession`` lives for one request. ``submit`` returns a future; asking twice for the same
operation with the same parameters returns the same future, so a screen that needs the account
list for its switcher, its ownership check and its data calls the billing once.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from ..billing.contract import BillingBinding
from ..billing.credential import Credential
from ..billing.errors import (
    BillingError, BillingNotFound, BillingOutcomeUnknown, BillingRejected, BillingSessionExpired, BillingUnavailable,
    OperationNotSupported,
)
from ..billing.records import as_data

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Window:
    """The part of a long list a call asked the billing for (``limit`` items from ``offset``,
    narrowed by ``search``): one page of a list section (see ``paging.py``)."""

    offset: int
    limit: int
    search: str = ""
    #: reads another page of the same list in this request: ``reread(page, term) -> Outcome``
    #: (the check of an item's button reads the page the button was on)
    reread: Callable[[int, str], "Outcome"] | None = field(default=None, compare=False, repr=False)

    def params(self) -> dict[str, Any]:
        """The paging parameters for the billing (``search`` only when there is a term)."""
        values: dict[str, Any] = {"limit": self.limit, "offset": self.offset}
        if self.search:
            values["search"] = self.search
        return values


@dataclass(frozen=True)
class Outcome:
    """The result of one call: ``value`` (records turned into plain data) or an ``error``."""

    value: Any = None
    #: unavailable | timeout | unknown | rejected | not_found | unsupported | forbidden | invalid;
    #: ``unknown``: a change was sent and no answer came (it may have been carried out)
    error: str | None = None
    reason: str = ""                # subscriber-facing text for "rejected"
    record: Any = None              # the typed record, for the engine's own checks
    window: Window | None = None    # the page of a long list the call asked for (None: all of it)

    @property
    def ok(self) -> bool:
        return self.error is None


def _run_here(function, *args) -> Future:
    """Call now, in this thread, and hand back a finished future (for in-process bindings)."""
    future: Future = Future()
    try:
        future.set_result(function(*args))
    except BaseException as exc:  # delivered through .result(), like a worker thread's
        future.set_exception(exc)
    return future


def _freeze(params: Mapping[str, Any]) -> tuple:
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


@dataclass
class SubscriberSession:
    """The signed-in subscriber's billing credential, for a binding whose calls act as them
    (``BillingBinding.per_subscriber``), and what to do when the billing renews or ends it."""

    credential: Credential
    #: keeps a renewed credential (the engine's server-side session); called from a worker thread
    on_renewed: Callable[[Credential], None] = lambda credential: None
    #: the billing refused the credential and its renewal: the subscriber must sign in again
    ended: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class CallSession:
    def __init__(self, binding: BillingBinding, executor: ThreadPoolExecutor, default_timeout: float,
                 stats=None, locale: str | None = None, subscriber: SubscriberSession | None = None):
        self.binding = binding
        self.executor = executor
        self.default_timeout = default_timeout
        self.stats = stats                  # engine.assembly.callstats.CallStats, when kept
        self.locale = locale                # the subscriber's language, for operations that take it
        self.subscriber = subscriber        # whose credential calls carry, for a per-subscriber binding
        self._futures: dict[tuple, tuple[Future, float]] = {}
        self._started: dict[tuple, float] = {}

    @property
    def credential(self) -> Credential | None:
        return self.subscriber.credential if self.subscriber else None

    def submit(self, operation: str, params: Mapping[str, Any], timeout: float | None = None) -> tuple:
        if self.locale is not None and "locale" not in params and self.binding.takes_locale(operation):
            params = {**params, "locale": self.locale}
        # the credential is the same for every call of the session: not part of the key
        key = (operation, _freeze(params))
        if key not in self._futures:
            self._started[key] = time.monotonic()
            deadline = self._started[key] + (timeout or self.default_timeout)
            call: Callable[[str, dict], Any] = self.binding.call
            if self.subscriber is not None and self.binding.takes_credential(operation):
                call = self._as_subscriber
            if self.binding.remote:
                future = self.executor.submit(call, operation, dict(params))
            else:
                future = _run_here(call, operation, dict(params))
            self._futures[key] = (future, deadline)
        return key

    def _as_subscriber(self, operation: str, params: dict[str, Any]) -> Any:
        """A call with the subscriber's credential; one the billing no longer takes is renewed
        once (by whichever call noticed first) and the call repeated."""
        assert self.subscriber is not None
        used = self.subscriber.credential
        try:
            return self.binding.call(operation, {**params, "credential": used})
        except BillingSessionExpired:
            fresh = self._renewed(used)
        try:
            return self.binding.call(operation, {**params, "credential": fresh})
        except BillingSessionExpired:
            self.subscriber.ended = True
            raise

    def _renewed(self, used: Credential) -> Credential:
        subscriber = self.subscriber
        assert subscriber is not None
        with subscriber._lock:
            if subscriber.credential != used:         # another call of this request renewed it
                return subscriber.credential
            try:
                fresh = Credential(self.binding.renew(used))
            except (BillingRejected, BillingSessionExpired, BillingNotFound) as exc:
                log.info("the billing ended a subscriber's session: %s", type(exc).__name__)
                subscriber.ended = True
                raise BillingSessionExpired("the billing refused to renew the subscriber's session") from None
            subscriber.credential = fresh
            subscriber.on_renewed(fresh)
            return fresh

    def result(self, key: tuple) -> Outcome:
        outcome = self._result(key)
        if self.stats is not None and key in self._started:
            # a refusal or "not found" is the billing answering: only failures count against it
            self.stats.record(key[0], outcome.error not in ("timeout", "unavailable"),
                              time.monotonic() - self._started.pop(key))
        return outcome

    def _result(self, key: tuple) -> Outcome:
        future, deadline = self._futures[key]
        operation = key[0]
        try:
            record = future.result(timeout=max(0.0, deadline - time.monotonic()))
        except FutureTimeout:
            future.cancel()   # still queued behind busy workers: it will not run for nobody
            log.warning("billing operation %s exceeded its timeout", operation)
            return Outcome(error="timeout")
        except BillingRejected as exc:
            return Outcome(error="rejected", reason=exc.reason)
        except BillingNotFound:
            return Outcome(error="not_found")
        except OperationNotSupported:
            return Outcome(error="unsupported")
        except BillingSessionExpired:          # the subscriber is signed out (SubscriberSession.ended)
            return Outcome(error="unavailable")
        except BillingOutcomeUnknown as exc:
            log.warning("billing operation %s sent, no answer: %s", operation, exc)
            return Outcome(error="unknown")
        except BillingUnavailable as exc:
            log.warning("billing operation %s unavailable: %s", operation, exc)
            return Outcome(error="unavailable")
        except BillingError as exc:
            log.warning("billing operation %s failed: %s", operation, exc)
            return Outcome(error="unavailable")
        except Exception:  # a bug in a binding must not become an error page
            log.exception("billing operation %s raised an unexpected error", operation)
            return Outcome(error="unavailable")
        return Outcome(value=as_data(record), record=record)

    def call(self, operation: str, params: Mapping[str, Any], timeout: float | None = None) -> Outcome:
        return self.result(self.submit(operation, params, timeout))
