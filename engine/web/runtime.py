"""What an app holds at run time: registries, the binding, the live cabinet and the worker pool.

Kept in ``app.extensions["cabinet"]``; nothing of it is module-level, so apps never share it.
The live cabinet is replaced as a whole (one attribute assignment), so a request sees either
the old or the new version, never a mix; a schema that fails validation never replaces it.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping

from flask import current_app, g, has_request_context
from werkzeug.routing import Map, MapAdapter, Rule

from ..assembly.calls import CallSession
from ..assembly.callstats import CallStats
from ..assembly.ttlcache import TtlCache
from ..billing.contract import BillingBinding
from ..config import Settings
from ..registry import Registry
from ..schema import CabinetSource, SchemaInvalid, SchemaIssue, load_cabinet
from ..schema.model import Cabinet
from ..payments.autopay import Autopay
from ..payments.gateway import PaymentGateway
from ..payments.ledger import Ledger
from .routes import Route, route_of
from ..state import Database
from ..state.outbox import Outbox
from ..state.writes import BillingWrites
from .handlers import handler_operations

if TYPE_CHECKING:      # the app factory makes these; they import this module
    from apscheduler.schedulers.background import BackgroundScheduler

    from .designer import Validated
    from .preview import PreviewCache

log = logging.getLogger(__name__)


@dataclass
class LiveCabinet:
    cabinet: Cabinet
    url_map: Map
    # each screen's route taken apart for building its links (engine/web/routes.py)
    routes: Mapping[str, Route | None] = field(default_factory=dict, repr=False)
    # the map bound once per script root (a page would otherwise bind it again)
    adapters: dict[str, MapAdapter] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, cabinet: Cabinet) -> "LiveCabinet":
        rules = [Rule(screen.route, endpoint=screen.id) for screen in cabinet.screens.values()]
        return cls(cabinet, Map(rules, strict_slashes=False, merge_slashes=False),
                   {screen.id: route_of(screen.route) for screen in cabinet.screens.values()})

    def adapter(self, script_root: str) -> MapAdapter:
        """The route map bound for building and matching (a bound adapter keeps no request state)."""
        adapter = self.adapters.get(script_root)
        if adapter is None:
            adapter = self.url_map.bind("localhost", script_name=script_root or "/")
            if len(self.adapters) < 16:        # the server's prefix: one or two, never many
                self.adapters[script_root] = adapter
        return adapter


@dataclass(frozen=True)
class Payments:
    """Card payments as ``setup_payments`` made them (absent when payments are off)."""

    ledger: Ledger
    gateway: PaymentGateway
    autopay: Autopay
    public_url: str           # where the gateway sends payers and notifications back
    pages: str                # the gateway's page prefix: the only place the engine redirects payers to


@dataclass(frozen=True)
class HandlerServices:
    """What engine handlers may use of the app."""

    db: Database
    settings: Settings
    outbox: Outbox
    payments: Payments | None


@dataclass
class Runtime:
    """Everything an app holds at run time, built complete by the app factory (the cabinet is
    compiled first, with ``compile_cabinet_for``); only ``payments`` and the scheduler come later."""

    settings: Settings
    field_kinds: Registry
    section_kinds: Registry
    bindings: Registry
    handlers: Registry
    binding: BillingBinding
    source: CabinetSource
    db: Database
    executor: ThreadPoolExecutor
    accounts_cache: TtlCache
    live: LiveCabinet
    outbox: Outbox                      # mail waits here until delivered
    preview_cache: PreviewCache         # the operator's preview, with a Directus source
    validated_changes: Validated        # Directus changes checked, not yet saved
    payments: Payments | None = None    # set by setup_payments when card payments are on
    last_error: SchemaInvalid | None = None
    scheduler: BackgroundScheduler | None = None
    loaded_at: float = field(default_factory=time.time)
    call_stats: CallStats = field(default_factory=CallStats)
    _reload_lock: threading.Lock = field(default_factory=threading.Lock)
    _kept_version: str = ""
    _settling: str = ""                 # a changed fingerprint seen once, waiting to be seen again

    @property
    def cabinet(self) -> Cabinet:
        return self.live.cabinet

    def compile(self, source: CabinetSource | None = None, version: str | None = None) -> Cabinet:
        return compile_cabinet_for(source or self.source, self.settings, self.field_kinds, self.section_kinds,
                                   self.binding, self.handlers, version)

    def adopt(self, cabinet: Cabinet) -> None:
        """Serve a cabinet compiled from a change validated moments ago (Directus saved it since);
        the next ``reload`` checks it against what the source holds."""
        with self._reload_lock:
            self.live, self.last_error = LiveCabinet.of(cabinet), None
            self.loaded_at = time.time()
            log.info("cabinet schema updated from a validated change: version %s", cabinet.version)

    def reload(self, settle: bool = False) -> bool:
        """Recompile from the source; keep the live cabinet if the new one is invalid. With
        ``settle`` (the watcher), a changed source is taken only once it reads the same twice in
        a row: a folder an editor is still writing is never compiled half-written."""
        with self._reload_lock:
            fingerprint = self.source.fingerprint()
            if fingerprint == self.cabinet.version:
                if fingerprint != self._kept_version:        # an adopted version, now confirmed
                    self.source.accepted()
                    self._kept_version = fingerprint
                self.last_error = None                       # back to the live version: nothing refused
                self._settling = ""
                return False
            if settle and fingerprint != self._settling:
                self._settling = fingerprint                 # changed since the last look: look again
                return False
            self._settling = ""
            try:
                live = LiveCabinet.of(self.compile(version=fingerprint))
            except Exception as exc:  # whatever went wrong, the live cabinet stays
                problem = exc if isinstance(exc, SchemaInvalid) else SchemaInvalid(
                    [SchemaIssue((), f"the schema could not be compiled: {type(exc).__name__}: {exc}")])
                if self.last_error is None or str(problem) != str(self.last_error):
                    log.error("the changed cabinet schema is not valid; still serving version %s:\n%s",
                              self.cabinet.version, problem, exc_info=not isinstance(exc, SchemaInvalid))
                self.last_error = problem
                return False
            self.live, self.last_error = live, None
            self.source.accepted()
            self._kept_version = live.cabinet.version
            self.loaded_at = time.time()
            cabinet = live.cabinet
            log.info("cabinet schema reloaded: version %s", cabinet.version)
            if cabinet.hidden_note:
                log.warning("the cabinet is served with parts %s", cabinet.hidden_note)
            return True

    def watch(self, interval: float) -> None:
        """Reload the schema whenever its files change (checked every ``interval`` seconds)."""
        self.every(interval, self.reload, "reload-schema", kwargs={"settle": True})

    def deliver(self, channel, interval: float) -> None:
        """Send what the outbox holds for ``channel``, every ``interval`` seconds (safe in several processes)."""
        self.every(interval, self.outbox.deliver_due, f"deliver-{channel.name}", args=[channel])

    def every(self, seconds: float, job, job_id: str, args=(), kwargs=None) -> None:
        if self.scheduler is None:
            from apscheduler.schedulers.background import BackgroundScheduler

            self.scheduler = BackgroundScheduler(daemon=True)
            self.scheduler.start()
        self.scheduler.add_job(job, "interval", seconds=seconds, args=list(args), kwargs=kwargs or {},
                               max_instances=1, coalesce=True, id=job_id)

    @property
    def writes(self) -> BillingWrites:
        """Changes asked of the billing, by their idempotency keys (engine/state/writes.py)."""
        return BillingWrites(self.db)

    def settle_writes(self, interval: float) -> None:
        """Ask the billing again about changes whose answer was lost, every ``interval`` seconds
        (safe in several processes: the same key, asked twice, has one effect)."""
        from ..assembly.writes import reconcile
        from ..state.auth_sessions import AuthSessionStore

        credential_of = AuthSessionStore(self.db, self.settings.secret_key).credential_of
        self.every(interval, lambda: reconcile(self.binding, self.writes, credential_of=credential_of),
                   "settle-writes")

    def handler_services(self) -> HandlerServices:
        return HandlerServices(self.db, self.settings, self.outbox, self.payments)

    def calls(self) -> CallSession:
        """Billing calls for this request, in the subscriber's language (the operator's first
        language outside a request), carrying the subscriber's own billing credential when the
        billing signed them in (``auth/billing.py`` keeps it in ``g.subscriber_session``)."""
        from .i18n import request_locale     # i18n reads the live cabinet from this module

        subscriber = g.get("subscriber_session") if has_request_context() else None
        return CallSession(self.binding, self.executor, self.settings.billing_timeout, self.call_stats,
                           request_locale(self.cabinet), subscriber)

    def reconcile_payments(self, register, interval: float) -> None:
        from ..payments.reconcile import reconcile

        if self.payments is None:
            raise RuntimeError("reconcile_payments needs payments set up first")
        self.every(interval, reconcile, "reconcile-payments",
                   args=[self.payments.ledger, self.payments.gateway, register])

    def close(self) -> None:
        if self.payments is not None:
            self.payments.gateway.close()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.executor.shutdown(wait=False, cancel_futures=True)
        self.binding.close()
        self.db.dispose()


def compile_cabinet_for(source: CabinetSource, settings: Settings, field_kinds: Registry, section_kinds: Registry,
                        binding: BillingBinding, handlers: Registry, version: str | None = None) -> Cabinet:
    """Compile a cabinet for this app: its kinds, its binding's capabilities, its handlers."""
    return load_cabinet(source, field_kinds, section_kinds, binding.capabilities,
                        f"the billing binding {settings.binding!r}", handler_operations(handlers), version=version,
                        operations=binding.operations)


def runtime() -> Runtime:
    return current_app.extensions["cabinet"]


def live() -> LiveCabinet:
    """The cabinet this request is served from: read once per request, so a reload in the middle
    of a request never mixes two versions."""
    current = g.get("cabinet_live")        # one lookup through Flask's context: called often per page
    if current is None:
        current = g.cabinet_live = runtime().live
    return current


def binding_options(binding_cls: type, options: dict[str, Any]) -> dict[str, Any]:
    """Validate options with the binding's own schema (if it has one)."""
    schema = getattr(binding_cls, "options_schema", None)
    return schema().load(options) if schema is not None else dict(options)
