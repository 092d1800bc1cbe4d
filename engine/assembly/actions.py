"""Run a POSTed action: check the user may act on the ids it names and that the form is one the
screen offers with values its rules allow, call the billing once per submitted form (the
idempotency key), and say what happened in plain words."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping

from ..schema.expressions import Text
from ..schema.model import ActionSpec
from ..state.writes import BillingWrites
from .calls import CallSession, Outcome
from .ownership import NotOwned, OwnershipUnknown
from .params import CallContext, InvalidParam, NotForThisUser, fill_params
from .screen import ScreenRequest, load_screen
from .submission import FormRefused, FormUnavailable, check_form
from .writes import perform_write


@dataclass
class ActionOutcome:
    ok: bool
    message: str
    screen: str                                      # where to go next
    params: dict[str, str] = field(default_factory=dict)
    invalid_param: str | None = None
    result: str = "ok"                               # for the audit log: ok | refused | failed | invalid | unknown
    redirect: str | None = None                      # a handler's own destination (sign-out: the sign-in page)
    gateway_redirect: str | None = None              # a payment gateway's page (checked by the web layer)
    errors: dict[str, str] = field(default_factory=dict)   # input name -> why its value was refused
    section_id: str | None = None                    # the form the errors belong to


def input_label(sections, name: str) -> Text | None:
    """The label a form on the screen gives the input ``name`` (what the user knows it by)."""
    for section in sections:
        for spec in section.inputs:
            if spec.name == name and spec.label is not None:
                return spec.label
        found = input_label(section.children, name)
        if found:
            return found
    return None


def invalid_input_message(exc: InvalidParam, field: str, gettext) -> str:
    _ = gettext
    messages = {
        "too_long": _("«%(field)s»: the text is too long."),
        "missing": _("Fill in «%(field)s»."),
        "int": _("«%(field)s»: enter a whole number."),
        "decimal": _("«%(field)s»: enter an amount such as 1500.00."),
        "date": _("«%(field)s»: enter a date."),
    }
    return messages.get(exc.expected, messages["missing"]) % {"field": field}


def idempotency_key(login: str, form_key: str, action_id: str, form: Mapping[str, str]) -> str:
    """One key per user, rendered page, action and submitted values: a double submit repeats it
    (one effect), while another action or other values from the same page get keys of their own."""
    values = "\x00".join(f"{k}={v}" for k, v in sorted(form.items()))
    return hashlib.sha256(f"{login}\x00{form_key}\x00{action_id}\x00{values}".encode()).hexdigest()[:32]


def origin(req: ScreenRequest, posted: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    screen = req.cabinet.screens.get(posted.get("_screen", "")) or req.screen
    return screen.id, {p: posted[p] for p in screen.route_params if posted.get(p)}


@dataclass
class PreparedAction:
    """An action checked and ready to run: the values it runs with all come from the server."""

    action: ActionSpec
    back_screen: str
    back_params: dict[str, str]
    context: dict[str, Any]          # the screen's data, ``form`` (checked values) and the engine's names
    params: dict[str, Any]           # the operation's parameters


def prepare_action(req: ScreenRequest, action: ActionSpec, posted: Mapping[str, str], calls: CallSession,
                   accounts_cache=None) -> PreparedAction | ActionOutcome:
    """Check an action's post against the screen it comes from, loaded again for this request: the
    ids it names, the section offering it, every input's rules, the item it picks. Returns what to
    run, or the outcome of a refusal. Raises ``NotOwned`` for ids that are not the user's (404)."""
    _ = req.gettext
    if action.operation is None:            # a link: nothing to run, as if there were no such action
        raise NotOwned(action.id)
    if action.roles and not (set(action.roles) & set(req.identity.roles)):
        raise NotOwned(action.id)
    back_screen, back_params = origin(req, posted)
    unavailable = _unavailable(req, back_screen, back_params)
    screen_req = replace(req, screen=req.cabinet.screens[back_screen], route_params=back_params)
    loaded = load_screen(screen_req, calls, accounts_cache)
    try:
        checked = check_form(screen_req.screen, action, posted, loaded.context, loaded.outcomes, req.gettext,
                             req.formatter)
    except FormUnavailable:
        return unavailable
    except FormRefused as refused:
        return ActionOutcome(False, refused.message, back_screen, back_params, result=refused.result,
                             errors=refused.errors, section_id=refused.section_id)
    context = {**loaded.context, "form": checked.values}
    key = idempotency_key(req.identity.login, posted.get("_key", ""), action.id,
                          {k: "" if v is None else str(v) for k, v in checked.values.items()})
    call_ctx = CallContext(context, back_params, checked.values, loaded.selected, req.identity.subscriber_id,
                           req.identity.dealer_id, key)
    try:
        params = fill_params(action.operation, action.params, call_ctx, loaded.ownership)
    except OwnershipUnknown:
        return unavailable
    except NotForThisUser:
        raise NotOwned(action.id) from None
    except InvalidParam as exc:
        label = input_label(screen_req.screen.sections, exc.param)
        if label:
            message = invalid_input_message(exc, label.render(req.formatter.locale), _)
        else:   # not an input of the page: the form was altered or is out of date
            message = _("The form is missing a value. Reload the page and try again.")
        return ActionOutcome(False, message, back_screen, back_params, invalid_param=exc.param, result="invalid")
    if not posted.get("_key"):
        return ActionOutcome(False, _("The form has expired. Please try again."), back_screen, back_params,
                             result="invalid")
    return PreparedAction(action, back_screen, back_params, context, params)


def _unavailable(req: ScreenRequest, back_screen: str, back_params: dict[str, str]) -> ActionOutcome:
    _ = req.gettext
    return ActionOutcome(False, _("The service is temporarily unavailable. Nothing was changed; "
                                  "please try again later."), back_screen, back_params, result="failed")


def confirmation_text(req: ScreenRequest, prepared: PreparedAction) -> str:
    """The text of the confirmation step, from the screen's data and the checked form (no change yet)."""
    action = prepared.action
    return action.confirm.render(req.formatter.locale, prepared.context, req.formatter) if action.confirm else ""


def run_action(req: ScreenRequest, action: ActionSpec, posted: Mapping[str, str], calls: CallSession,
               accounts_cache=None, perform: Callable[[str, dict], Outcome] | None = None) -> ActionOutcome:
    """Check the post (``prepare_action``), then run the operation once. Raises ``NotOwned`` for ids
    that are not the user's (answer 404). ``perform`` runs the operation (default: the billing
    through ``calls``; an engine handler passes its own)."""
    prepared = prepare_action(req, action, posted, calls, accounts_cache)
    if isinstance(prepared, ActionOutcome):
        return prepared
    return perform_action(req, prepared, calls, perform)


def perform_action(req: ScreenRequest, prepared: PreparedAction, calls: CallSession,
                   perform: Callable[[str, dict], Outcome] | None = None,
                   writes: BillingWrites | None = None) -> ActionOutcome:
    """``writes``: the engine's store of billing writes (``BillingWrites``): a change runs once per
    idempotency key, and one whose answer was lost is kept as unknown and settled later."""
    _ = req.gettext
    action, back_screen, back_params, params = (prepared.action, prepared.back_screen, prepared.back_params,
                                                prepared.params)
    assert action.operation is not None     # prepare_action runs only actions with an operation
    if perform is not None:
        outcome = perform(action.operation.name, params)
    else:
        outcome = perform_write(calls, writes, action.operation, params, req.identity.login or "anonymous")
    if outcome.error == "unknown":
        return ActionOutcome(False, _("The request was sent, but the billing has not confirmed it yet. We are "
                                      "checking whether it went through: please do not send it again. The "
                                      "result will be shown here."), back_screen, back_params, result="unknown")
    if outcome.error == "rejected":
        return ActionOutcome(False, outcome.reason or _("The request was refused."), back_screen, back_params,
                             result="refused")
    if outcome.error == "not_found":
        raise NotOwned(action.id)
    if not outcome.ok:
        return _unavailable(req, back_screen, back_params)
    context = {**prepared.context, "result": outcome.value}
    message = ""
    if action.success is not None:
        message = action.success.render(req.formatter.locale, context, req.formatter)
    if not message:
        result_message = outcome.value.get("message") if isinstance(outcome.value, dict) else ""
        message = result_message or _("Done.")
    value = outcome.value if isinstance(outcome.value, dict) else {}
    redirect, gateway_redirect = value.get("redirect"), value.get("gateway_redirect")
    if action.next:
        target = req.cabinet.screens[action.next]
        next_params = {p: back_params.get(p) or str(params.get(p, "")) for p in target.route_params}
        return ActionOutcome(True, message, target.id, next_params, redirect=redirect,
                             gateway_redirect=gateway_redirect)
    return ActionOutcome(True, message, back_screen, back_params, redirect=redirect,
                         gateway_redirect=gateway_redirect)
