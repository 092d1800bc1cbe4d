"""The subscriber-facing views: every screen of the schema, the account switch and actions."""
from __future__ import annotations

from functools import partial
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ..assembly.actions import confirmation_text, run_action
from ..assembly.handlers import HandlerContext, perform as run_handler
from ..assembly.ownership import NotOwned, Ownership, OwnershipUnknown
from ..assembly.screen import GUEST
from .auth import audit, current_identity
from .pages import SESSION_ACCOUNT, FlaskLinks, build_page, match_screen, screen_request, url_adapter
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
            return redirect(FlaskLinks(url_adapter()).screen(landing.id, {}))
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


@blueprint.route("/actions/<action_id>", methods=["POST"])
def action(action_id: str):
    rt = runtime()
    cabinet = live().cabinet
    spec = cabinet.actions.get(action_id)
    if spec is None or spec.operation is None:
        abort(404)
    handler = rt.handlers.get(spec.handler) if spec.handler else None
    identity = current_identity()
    if identity is None:
        if handler is None or not handler.public:
            return _login_redirect()
        identity = GUEST     # a public form: support request, application to become a client
    origin = cabinet.screens.get(request.form.get("_screen", "")) or next(iter(cabinet.screens.values()))
    req = screen_request(origin, {}, identity, with_flash=False)
    posted = request.form.to_dict()
    if spec.confirm is not None and posted.get("_confirmed") != "1":
        # a confirmation step that needs no JavaScript: the same form again, marked confirmed
        return render_template(
            "confirm.html", title=spec.title.render(req.formatter.locale),
            text=confirmation_text(req, spec, posted),
            url=url_for("cabinet.action", action_id=action_id),
            hidden={**{k: v for k, v in posted.items() if k != "csrf_token"}, "_confirmed": "1"},
            cancel_url=_screen_url(origin.id, posted, origin.route_params), style=spec.style,
            button=spec.confirm_label.render(req.formatter.locale) if spec.confirm_label else "",
        )
    perform = None
    if handler is not None:
        context = HandlerContext(identity, req.formatter.locale, cabinet, rt.handler_services())
        perform = partial(_perform_handler, handler, context)
    recorded = recorded_form(posted, secret_inputs(origin))
    actor = identity.login or "anonymous"     # taken now: a sign-out action ends the session it names
    if any(posted.get(name) for name in cabinet.honeypots.get(action_id, ())):
        # a field only robots fill in: answer as if it went through, do nothing
        audit(f"action:{action_id}", "honeypot", actor=actor, details={"form": recorded})
        flash(spec.success.render(req.formatter.locale, {"result": {}}) if spec.success else _("Done."), "success")
        return redirect(_screen_url(origin.id, posted, origin.route_params))
    try:
        outcome = run_action(req, spec, posted, rt.calls(), rt.accounts_cache, perform)
    except NotOwned:
        audit(f"action:{action_id}", "forbidden", actor=actor, details={"form": recorded})
        abort(404)
    audit(f"action:{action_id}", outcome.result, actor=actor,
          details={"form": recorded, "message": outcome.message})
    if outcome.gateway_redirect and rt.payments and outcome.gateway_redirect.startswith(rt.payments["pages"]):
        return redirect(outcome.gateway_redirect)       # to the bank's page: no message to show here
    flash(outcome.message, "success" if outcome.ok else "error")
    if outcome.redirect:
        return redirect(safe_next(outcome.redirect))
    return redirect(_screen_url(outcome.screen, outcome.params, cabinet.screens[outcome.screen].route_params))


def _perform_handler(handler, context, _operation: str, params: dict):
    return run_handler(handler, params, context)


def secret_inputs(screen) -> set[str]:
    """Names of the password inputs on a screen: never written to the audit log."""
    def walk(sections):
        for section in sections:
            yield from (i.name for i in section.inputs if i.type == "password")
            yield from walk(section.children)
    return set(walk(screen.sections))


def recorded_form(posted, secret: set[str]) -> dict[str, str]:
    return {k: ("***" if k in secret else v[:500]) for k, v in posted.items()
            if k not in ("csrf_token", "_key", "_confirmed")}


def _screen_url(screen_id: str, values, route_params) -> str:
    url = FlaskLinks(url_adapter()).screen(screen_id, {p: values.get(p) for p in route_params})
    return url or url_for("cabinet.screen", path="")


@blueprint.route("/language/<code>")
def language(code: str):
    if code in live().cabinet.operator.locales:
        session["locale"] = code
    target = safe_next(request.args.get("next"))
    return redirect(target)


def language_url(code: str) -> str:
    return url_for("cabinet.language", code=code) + "?" + urlencode({"next": request.full_path.rstrip("?")})
