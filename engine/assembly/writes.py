"""Changes asked of the billing, kept by their idempotency key (engine/state/writes.py).

``perform_write`` runs one: a key already settled is answered from the store without the
billing, a key still unsettled is reported as being checked, and a change whose answer was lost
is kept as unknown, never reported as "nothing changed". ``reconcile`` settles the unknown ones
through the binding's ``settle``: by default the change is asked again with the same key (a
billing that keeps the contract answers a repeated key with what the first request did, or does
it now if it never arrived); a binding whose billing keeps no keys asks a status query instead.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta
from typing import Any, Callable

from ..billing.contract import IDEMPOTENCY_KEY, BillingBinding, Operation
from ..billing.credential import Credential
from ..billing.errors import BillingNotFound, BillingRejected
from ..billing.records import as_data
from ..state.writes import DONE, REFUSED, BillingWrites, Write, write_key
from .calls import CallSession, Outcome
from .params import InvalidParam, coerce

log = logging.getLogger(__name__)

#: an unsettled write is asked about again once it is this old (a call still running is left alone)
SETTLE_AFTER = timedelta(seconds=30)


def request_id_of(operation: Operation, params: dict[str, Any]) -> str | None:
    name = next((p.name for p in operation.params if p.filled_by_engine == IDEMPOTENCY_KEY), None)
    value = params.get(name) if name else None
    return str(value) if value else None


def perform_write(calls: CallSession, writes: BillingWrites | None, operation: Operation, params: dict[str, Any],
                  actor: str) -> Outcome:
    """Call ``operation`` once per idempotency key. ``error="unknown"``: it may have been done;
    it is being checked."""
    request_id = request_id_of(operation, params)
    if writes is None or not operation.mutation or request_id is None:
        return calls.call(operation.name, params)
    earlier = writes.begin(operation.name, request_id, params, actor)
    if earlier is not None:
        return _as_outcome(earlier)
    key = write_key(operation.name, request_id)
    outcome = calls.call(operation.name, params)
    if outcome.ok:
        writes.settle(key, outcome.value)
    elif outcome.error in ("unknown", "timeout"):   # sent, and no answer in time: it may have been done
        writes.in_doubt(key)
        return replace(outcome, error="unknown")
    else:                                          # refused, or it never reached the billing
        writes.forget(key)
    return outcome


def _as_outcome(write: Write) -> Outcome:
    if write.state == DONE:
        return Outcome(value=write.result)
    if write.state == REFUSED:
        return Outcome(error="rejected", reason=write.reason)
    return Outcome(error="unknown")                # still running elsewhere, or being checked


def reconcile(binding: BillingBinding, writes: BillingWrites, settle_after: timedelta = SETTLE_AFTER,
              credential_of: Callable[[str], Credential | None] | None = None) -> list[str]:
    """Ask the billing again, with the same key, about every write unsettled for ``settle_after``;
    the keys it settled. A binding that acts with each subscriber's credential asks with the one
    of the subscriber's live session (``credential_of(login)``); a write whose subscriber has
    none waits until they sign in again."""
    settled = []
    for write in writes.unsettled(writes.clock() - settle_after):
        params = _typed(write, binding.operations[write.operation])
        if binding.takes_credential(write.operation):
            credential = credential_of(write.actor) if credential_of else None
            if credential is None:
                continue
            params["credential"] = credential
        writes.tried_again(write.key)
        try:
            record = binding.settle(write.operation, params)
        except BillingRejected as exc:
            writes.refuse(write.key, exc.reason)
        except BillingNotFound:
            writes.refuse(write.key, "")
        except Exception as exc:  # noqa: BLE001 — still no answer (or a bug): asked again next time
            log.warning("billing write %s (%s) still unsettled: %s", write.operation, write.key[:12], exc)
            continue
        else:
            writes.settle(write.key, as_data(record))
        settled.append(write.key)
    return settled


def _typed(write: Write, operation: Operation) -> dict[str, Any]:
    """The kept parameters as the operation takes them (amounts as Decimal, dates as dates)."""
    typed = dict(write.params)
    for param in operation.params:
        if typed.get(param.name) is not None and param.type != "str":
            try:
                typed[param.name] = coerce(param, typed[param.name])
            except InvalidParam:
                pass
    return typed
