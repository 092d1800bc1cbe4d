"""The subscriber-facing views: every screen of the schema, the account switch and actions."""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import partial
from urllib.parse import urlencode

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from ..assembly.actions import ActionOutcome, confirmation_text, perform_action, prepare_action
from ..assembly.forms import SubmittedForm
from ..assembly.handlers import HandlerContext, perform as run_handler
from ..assembly.ownership import NotOwned, Ownership, OwnershipUnknown
from ..assembly.screen import GUEST, Identity
from ..assembly.submission import CONTROL_NAMES
from ..schema.model import Cabinet
from ..state.submissions import Submissions, submission_key
from .auth import audit, current_identity
from .pages import SESSION_ACCOUNT, WRITES_UNSETTLED, build_page, links, match_screen, screen_request, url_adapter
from .extensions import rate_limited
from .redirects import safe_next
from .runtime import live, runtime

blueprint = Blueprint("cabinet", __name__)


def _login_redirect():
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


@blueprint.route("/", defaults={"path": ""})
@blueprint.route("/<path:path>")
def screen(path: str):
    identity = current_identity()
    spec, params = match_screen(path)
    if identity is None:
        if "guest" not in spec.roles:
            return _login_redirect()
        identity = GUEST     # a public screen (news, FAQ, forms for people who are not subscribers yet)
    if not (set(spec.roles) & identity.roles) and not path.strip("/"):
        # the root belongs to one role; everyone else starts on their own first screen
        own = live().cabinet.screens_for(identity.roles)
        landing = next((s for s in own if not s.route_params), None)
        if landing is not None:
            return redirect(url_adapter().build(landing.id))    # no route parameters: it always builds
    page = build_page(spec, params, identity)
    return render_template("screen.html", page=page)


@blueprint.route("/account")
def switch_account():
    """Remember the account the user picked (a GET form, so it works without JavaScript)."""
    identity = current_identity()
    if identity is None:
        return _login_redirect()
    wanted = request.args.get("account", "")
    rt = runtime()
    try:
        owned = {a["id"] for a in Ownership(rt.calls(), identity.subscriber_id, rt.accounts_cache).accounts()}
    except OwnershipUnknown:
        flash(_("The service is temporarily unavailable. Please try again later."), "error")
        return redirect(safe_next(request.args.get("next")))
    if wanted not in owned:
        abort(404)
    session[SESSION_ACCOUNT] = wanted
    return redirect(safe_next(request.args.get("next")))


def not_a_public_form() -> bool:
    """Whether the posted action is not one that works without signing in (those are limited)."""
    rt = runtime()
    spec = rt.cabinet.actions.get((request.view_args or {}).get("action_id", ""))
    handler = rt.handlers.get(spec.handler) if spec is not None and spec.handler and spec.handler in rt.handlers \
        else None
    return handler is None or not handler.public


def sender() -> str:
    """Whom a public form's limit counts: the login when signed in, else the address."""
    identity = current_identity()
    return f"login:{identity.login}" if identity else get_remote_address()


@blueprint.route("/actions/<action_id>", methods=["POST"])
@rate_limited("public_form_rate", key=sender, exempt_when=not_a_public_form, shared="public_forms")
def action(action_id: str):
    """Run an action posted by a form of a screen: refused values come back on the same page with a
    message at each input (422); a confirmation step answers a page of its own."""
    done = act(action_id, request.form.to_dict())
    if done.login_needed:
        return _login_redirect()
    if done.confirm is not None:
        confirm = done.confirm
        return render_template("confirm.html", title=confirm.title, text=confirm.text,
                               url=url_for("cabinet.action", action_id=action_id), hidden=confirm.hidden,
                               cancel_url=done.back_url, style=confirm.style, button=confirm.button)
    outcome = done.outcome
    if outcome.gateway_redirect:
        return redirect(outcome.gateway_redirect)       # to the bank's page: no message to show here
    if outcome.errors:
        page = build_page(done.cabinet.screens[outcome.screen], outcome.params, done.identity, with_flash=False,
                          submitted=done.submitted)
        return render_template("screen.html", page=page), 422
    flash(outcome.message, "success" if outcome.ok else ("warning" if outcome.result == "unknown" else "error"))
    if outcome.redirect:
        return redirect(safe_next(outcome.redirect))
    return redirect(done.next_url)


@dataclass
class Confirmation:
    title: str
    text: str
    button: str
    style: str
    hidden: dict[str, str]


@dataclass
class Acted:
    """What became of a posted action, for the HTML view and the JSON API to answer in their way."""

    cabinet: Cabinet
    identity: Identity
    outcome: ActionOutcome = field(default_factory=lambda: ActionOutcome(False, "", ""))
    confirm: Confirmation | None = None
    back_url: str = ""
    next_url: str = ""
    login_needed: bool = False
    submitted: SubmittedForm | None = None


def act(action_id: str, posted: dict[str, str]) -> Acted:
    """Check and run (or, before its confirmation, only check) an action; aborts with 404 for an
    unknown action or ids that are not the user's, and audits what happened."""
    rt = runtime()
    cabinet = live().cabinet
    spec = cabinet.actions.get(action_id)
    if spec is None or spec.operation is None:
        abort(404)
    handler = rt.handlers.get(spec.handler) if spec.handler else None
    identity = current_identity()
    if identity is None:
        if handler is None or not handler.public:
            return Acted(cabinet, GUEST, login_needed=True)
        identity = GUEST     # a public form: support request, application to become a client
    origin = cabinet.screens.get(posted.get("_screen", "")) or next(iter(cabinet.screens.values()))
    req = screen_request(origin, {}, identity, with_flash=False, account=posted.get("account"))
    back_url = _screen_url(origin.id, posted, origin.route_params)
    recorded = recorded_form(posted, secret_inputs(origin))
    actor = identity.login or "anonymous"     # taken now: a sign-out action ends the session it names
    if any(posted.get(name) for name in cabinet.honeypots.get(action_id, ())):
        # a field only robots fill in: answer as if it went through, do nothing
        audit(f"action:{action_id}", "honeypot", actor=actor, details={"form": recorded})
        message = spec.success.render(req.formatter.locale, {"result": {}}) if spec.success else _("Done.")
        return Acted(cabinet, identity, ActionOutcome(True, message, origin.id), back_url=back_url,
                     next_url=back_url)
    confirmed = spec.confirm is None or posted.get("_confirmed") == "1"
    submissions = Submissions(rt.db)
    submission = submission_key(actor, action_id, posted)
    earlier = submissions.outcome(submission) if confirmed else None
    if earlier is not None:
        # a double submit: the first one's answer (checking again would find the screen changed by it)
        audit(f"action:{action_id}", "repeated", actor=actor, details={"form": recorded})
        outcome = _to_known_gateway(ActionOutcome(**earlier), rt)
        return Acted(cabinet, identity, outcome, back_url=back_url,
                     next_url=_screen_url(outcome.screen, outcome.params, cabinet.screens[outcome.screen].route_params)
                     if outcome.screen in cabinet.screens else back_url)
    try:
        prepared = prepare_action(req, spec, posted, rt.calls(), rt.accounts_cache)
        if isinstance(prepared, ActionOutcome):          # refused before anything ran
            outcome = prepared
        elif not confirmed:
            # a confirmation step that needs no JavaScript: the same form again, marked confirmed
            locale = req.formatter.locale
            hidden = {**{k: v for k, v in posted.items() if k != "csrf_token"}, "_confirmed": "1"}
            confirm = Confirmation(spec.title.render(locale), confirmation_text(req, prepared),
                                   spec.confirm_label.render(locale) if spec.confirm_label else "", spec.style, hidden)
            return Acted(cabinet, identity, confirm=confirm, back_url=back_url)
        else:
            perform = None
            if handler is not None:
                context = HandlerContext(identity, req.formatter.locale, cabinet, rt.handler_services())
                perform = partial(_perform_handler, handler, context)
            outcome = perform_action(req, prepared, rt.calls(), perform, rt.writes)
            if outcome.result in ("ok", "refused"):     # settled; an unknown outcome may be tried again
                submissions.record(submission, action_id, _replayable(outcome))
            elif outcome.result == "unknown":
                session[WRITES_UNSETTLED] = True        # its pages say what became of it, once known
    except NotOwned:
        audit(f"action:{action_id}", "forbidden", actor=actor, details={"form": recorded})
        abort(404)
    details: dict = {"form": recorded, "message": outcome.message}
    if outcome.errors:
        details["errors"] = outcome.errors
    audit(f"action:{action_id}", outcome.result, actor=actor, details=details)
    outcome = _to_known_gateway(outcome, rt)
    submitted = None
    if outcome.errors:
        typed = {k: v for k, v in posted.items() if k not in CONTROL_NAMES and not k.startswith("_")}
        submitted = SubmittedForm(outcome.section_id or "", typed, outcome.errors, outcome.message)
    next_url = _screen_url(outcome.screen, outcome.params, cabinet.screens[outcome.screen].route_params)
    return Acted(cabinet, identity, outcome, back_url=back_url, next_url=next_url, submitted=submitted)


def _to_known_gateway(outcome: ActionOutcome, rt) -> ActionOutcome:
    """A redirect to a payment page goes only to the configured bank's pages."""
    if outcome.gateway_redirect and not (rt.payments and outcome.gateway_redirect.startswith(rt.payments.pages)):
        return replace(outcome, gateway_redirect=None)
    return outcome


def _replayable(outcome: ActionOutcome) -> dict:
    return {"ok": outcome.ok, "message": outcome.message, "screen": outcome.screen, "params": outcome.params,
            "result": outcome.result, "redirect": outcome.redirect, "gateway_redirect": outcome.gateway_redirect}


def _perform_handler(handler, context, _operation: str, params: dict):
    return run_handler(handler, params, context)


def secret_inputs(screen) -> set[str]:
    """Names of the secret inputs (passwords) on a screen: never written to the audit log."""
    def walk(sections):
        for section in sections:
            yield from (i.name for i in section.inputs if i.kind.secret)
            yield from walk(section.children)
    return set(walk(screen.sections))


def recorded_form(posted, secret: set[str]) -> dict[str, str]:
    return {k: ("***" if k in secret else v[:500]) for k, v in posted.items()
            if k not in ("csrf_token", "_key", "_confirmed")}


def _screen_url(screen_id: str, values, route_params) -> str:
    url = links().screen(screen_id, {p: values.get(p) for p in route_params})
    return url or url_for("cabinet.screen", path="")


@blueprint.route("/language/<code>")
def language(code: str):
    if code in live().cabinet.operator.locales:
        session["locale"] = code
    target = safe_next(request.args.get("next"))
    return redirect(target)


def language_urls(codes) -> dict[str, str]:
    """Where each language's link leads (and back to this page), for every page's language switch:
    the way back is worked out once, and each language's address once per app and prefix."""
    back = "?" + urlencode({"next": request.full_path.rstrip("?")})
    known = current_app.extensions.setdefault("cabinet_language_urls", {})
    urls = {}
    for code in codes:
        key = (request.script_root, code)
        url = known.get(key)
        if url is None:
            url = known[key] = url_for("cabinet.language", code=code)
        urls[code] = url + back
    return urls
