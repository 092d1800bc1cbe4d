"""Actions the engine performs itself, not the billing: e-mail a support request, store an
application from someone who is not a subscriber yet, sign out ...

A handler declares its parameters as an ``Operation`` (like a billing operation's), so forms,
type checks and the ownership check of account ids work the same for both. Handlers are kept in a
registry per app (``engine.web.handlers.handler_registry``); a schema names one with ``handler:``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, ClassVar, Mapping

from ..billing.contract import Operation
from ..billing.errors import BillingRejected
from ..billing.records import as_data
from .calls import Outcome

log = logging.getLogger(__name__)


class HandlerRefused(BillingRejected):
    """The handler will not do it, for a reason the person should read."""


@dataclass
class HandlerContext:
    identity: Any                  # engine.assembly.screen.Identity
    locale: str
    cabinet: Any
    services: Any                  # what the app lends handlers: engine.web.runtime.HandlerServices


class Handler:
    name: ClassVar[str]
    operation: ClassVar[Operation]
    #: people who are not signed in may run it (support form, become-a-client application)
    public: ClassVar[bool] = False
    #: it only reads (a screen's ``data:`` may name it); every other handler changes something and
    #: runs only from a POSTed action
    reads: ClassVar[bool] = False

    def perform(self, params: Mapping[str, Any], ctx: HandlerContext) -> Any:
        raise NotImplementedError


def perform(handler: Handler, params: Mapping[str, Any], ctx: HandlerContext) -> Outcome:
    """Run a handler and report like a billing call: a value, a refusal with its reason, or
    unavailable (logged) when it fails."""
    try:
        return Outcome(value=as_data(handler.perform(params, ctx)))
    except BillingRejected as exc:
        return Outcome(error="rejected", reason=exc.reason)
    except Exception:  # a failing handler must not become an error page
        log.exception("handler %s failed", handler.name)
        return Outcome(error="unavailable")
