"""Sign-in with the billing's own logins (CABINET_SIGN_IN=billing): subscribers of many ISPs have a
login and password in their billing, not a Keycloak account.

* ``POST /login`` checks the login and password with the binding (``BillingBinding.sign_in``). The
  billing's credential for the subscriber (a session key, or what its API wants with every
  request) is kept on the server, encrypted, in a server-side session (``state/auth_sessions.py``);
  the browser's cookie holds only that session's token.
* Every request checks the session (a revoked one opens nothing) and gives its credential to the
  billing calls made for the subscriber (``assembly.calls.SubscriberSession``). A credential the
  billing stops taking is renewed by the binding once; when the billing refuses that too, the
  subscriber is signed out and asked to sign in again.
* Local users (``cabinet users add``) still sign in on the same form: dealers and staff whom the
  billing does not know. The billing is asked first; a login it refuses is tried as a local user.
* A quick-login code renews the session it was set in (``BillingRestorer``). Passkeys are not
  offered: the billing checks no passkey.

Nothing here logs a password or a credential; every event goes to the audit log.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from functools import partial

from flask import Blueprint, Flask, g, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ...assembly.calls import SubscriberSession
from ...assembly.screen import Identity
from ...billing.credential import Credential
from ...billing.errors import BillingError, BillingRejected
from ...config import ConfigError
from ...state.auth_sessions import OPEN_ENDED, AuthSessionStore
from ...state.users import UserStore
from ..extensions import rate_limited
from ..redirects import safe_next
from ..runtime import runtime
from . import SESSION_TOKEN, SESSION_USER, audit, identity_of, sign_in, sign_out
from .local import before_password_form, login_key, sign_in_page_links
from .quick_code import LocalRestorer, SessionRestorer, init_quick_code, next_after_sign_in, password_form_notice

log = logging.getLogger(__name__)


def subscriber_session() -> SubscriberSession | None:
    """The signed-in subscriber's billing session in this request, if the billing signed them in."""
    return g.get("subscriber_session")


class BillingAuthenticator:
    name = "billing"

    def init_app(self, app: Flask) -> None:
        rt = app.extensions["cabinet"]
        if not rt.binding.signs_in:
            raise ConfigError(
                f"CABINET_SIGN_IN=billing: the binding {rt.settings.binding!r} cannot sign subscribers in (it has "
                f"no sign_in; a declarative binding needs auth: {{type: subscriber, sign_in: ...}}). "
                f"Choose CABINET_SIGN_IN=local or keycloak, or give the binding a sign-in.")
        self.binding = rt.binding
        self.sessions = AuthSessionStore(rt.db, rt.settings.secret_key)
        blueprint = Blueprint("auth", __name__)

        @blueprint.route("/login", methods=["GET", "POST"])
        @rate_limited("login_rate")                     # per address
        @rate_limited("login_rate", key=login_key)      # and per login
        def login():
            next_url = safe_next(request.values.get("next"))
            elsewhere = before_password_form(next_url)
            if elsewhere is not None:
                return elsewhere
            error, status = None, 200
            if request.method == "POST":
                username = (request.form.get("username") or "").strip()
                password = request.form.get("password") or ""
                if username and password:
                    # the billing first: its subscribers are who this sign-in is for; a login it
                    # refuses may be a local user's (a dealer, staff)
                    signed_in = self._billing(username, password)
                    if isinstance(signed_in, tuple) and signed_in[1] == 401:
                        signed_in = self._local(username, password) or signed_in
                    if isinstance(signed_in, Identity):
                        return redirect(next_after_sign_in(signed_in, next_url))
                    error, status = signed_in
                    if status == 401:
                        audit("sign-in", "refused", actor="unknown login", details={"via": "billing"})
                else:
                    error, status = _("Wrong login or password."), 401
            return render_template("login.html", error=error or password_form_notice(), next=next_url,
                                   username=request.form.get("username", ""), passkey_sign_in=False,
                                   **sign_in_page_links(rt.settings.billing_password_url)), status

        @blueprint.route("/logout", methods=["POST"])
        def logout():
            token = session.get(SESSION_TOKEN)
            kept = self.sessions.get(token)
            self.sessions.revoke(token)
            if kept is not None and kept.credential is not None:
                try:
                    self.binding.sign_out(kept.credential)       # the billing may end its session key too
                except BillingError as exc:
                    log.warning("the billing did not take the sign-out: %s", type(exc).__name__)
            sign_out()
            return redirect(url_for("auth.login"))

        app.register_blueprint(blueprint)
        app.before_request(self.check_session)
        app.after_request(self.end_refused_session)
        app.extensions["cabinet_restorer"] = BillingRestorer(self)
        init_quick_code(app)

    # --- signing in -----------------------------------------------------------------------------------
    @staticmethod
    def _local(username: str, password: str) -> Identity | None:
        user = UserStore(runtime().db).authenticate(username, password)
        if user is None:
            return None
        identity = identity_of(user)
        sign_in(identity)
        return identity

    def _billing(self, username: str, password: str) -> Identity | tuple[str, int]:
        try:
            signed = self.binding.sign_in(username, password)
        except BillingRejected:
            return _("Wrong login or password."), 401
        except BillingError as exc:
            log.warning("the billing could not check a sign-in: %s", type(exc).__name__)
            return _("Sign-in is not available right now. Please try again in a few minutes."), 503
        identity = Identity(username, signed.name or username, frozenset({"subscriber"}), signed.subscriber_id, None)
        sign_in(identity)
        session[SESSION_TOKEN] = self.start(identity, Credential(signed.credential), signed.expires_in)
        return identity

    def start(self, identity: Identity, credential: Credential, expires_in: float | None) -> str:
        """A server-side session for a subscriber the billing signed in; its token."""
        lasts = expires_in or OPEN_ENDED.total_seconds()
        profile = json.dumps({"name": identity.name, "subscriber_id": identity.subscriber_id})
        return self.sessions.create(identity.login, "", profile, lasts, lasts, credential=credential)

    # --- every request --------------------------------------------------------------------------------
    def check_session(self) -> None:
        """A revoked or expired session is signed out; a live one lends its credential to the calls."""
        token = session.get(SESSION_TOKEN)
        if token is None or SESSION_USER not in session:
            return                      # nobody signed in, or a local user (no billing session)
        kept = self.sessions.get(token)
        if kept is None or kept.credential is None:
            sign_out()                      # clears the session, its token with it
            return
        g.subscriber_session = SubscriberSession(
            kept.credential, on_renewed=partial(self.sessions.renewed_credential, AuthSessionStore.ref(token)))

    def end_refused_session(self, response):
        """The billing refused the subscriber's credential and its renewal during this request:
        the session ends, and the subscriber is asked to sign in again."""
        held = subscriber_session()
        if held is None or not held.ended:
            return response
        login = session.get(SESSION_USER, {}).get("login", "")
        audit("sign-out", "expired", actor=login, details={"via": "billing"})
        self.sessions.revoke(session.get(SESSION_TOKEN))
        sign_out()                          # clears the session, its token with it
        if request.path.startswith("/api/"):
            answer = jsonify(error="signed_out", message=_("Your session has ended. Please sign in again."))
            answer.status_code = 401
            return answer
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))


class BillingRestorer(SessionRestorer):
    """How a quick-login code signs a subscriber in again: the code keeps a reference to the
    server-side session it was set in; entering it continues that session's credential in a new
    session (the billing is asked again on the next call, and may refuse it). A local user's code
    (no session of the billing's) restores them from the user store."""

    def __init__(self, authenticator: BillingAuthenticator):
        self.authenticator = authenticator

    @staticmethod
    def after_code_set(next_url: str) -> str:
        return next_url

    def restore(self, login: str, session_ref: str) -> tuple[Identity | None, str]:
        if not session_ref:
            return LocalRestorer().restore(login, session_ref)
        sessions = self.authenticator.sessions
        kept = sessions.by_ref(session_ref)
        if kept is None or kept.credential is None:
            return None, "the session the code renews is over"
        try:
            profile = json.loads(kept.id_token)
        except ValueError:
            return None, "the session the code renews is unreadable"
        identity = Identity(login, profile.get("name") or login, frozenset({"subscriber"}),
                            profile.get("subscriber_id"), None)
        remaining = (kept.expires_at - datetime.now(timezone.utc)).total_seconds()
        g.restored_session = self.authenticator.start(identity, kept.credential,
                                                      max(remaining, timedelta(hours=1).total_seconds()))
        sessions.revoke_ref(session_ref)
        return identity, ""
