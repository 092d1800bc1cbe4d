"""Sign-in with Keycloak (OpenID Connect), through python-keycloak, when CABINET_KEYCLOAK_URL is set.

* ``GET /login`` sends the browser to Keycloak with the authorization code flow, PKCE (S256), a
  ``state`` and a ``nonce`` kept in this browser's session.
* ``GET /login/callback`` checks the state, exchanges the code (once: a replayed code is refused by
  Keycloak), checks the tokens (``tokens.py``) and signs the person in: their realm roles
  (subscriber, dealer, operator) decide which screens they see; their subscriber and dealer come from
  claims (CABINET_KEYCLOAK_SUBSCRIBER_CLAIM / _DEALER_CLAIM) or from the binding's
  ``resolve_subscriber(login)``.
* The session is kept on the server (``state/auth_sessions.py``) and checked on every request: the
  access token is renewed with the refresh token when it runs out, and a refusal signs the person
  out. ``POST /logout`` revokes it, tells Keycloak (back channel) and ends the Keycloak session in the
  browser (RP-initiated logout).

Every event goes to the audit log; nothing here logs a token.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from datetime import datetime, timezone
from urllib.parse import urlencode

from flask import Blueprint, Flask, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakError

from ...assembly.screen import Identity
from ...state.auth_sessions import AuthSessionStore
from ...state.quick_codes import QuickCodeStore
from ..extensions import rate_limited
from ..redirects import safe_next
from ..runtime import runtime
from . import SESSION_TOKEN, SESSION_USER, audit, current_identity, sign_in, sign_out
from .local import login_key
from .quick_code import SessionRestorer, device_has_code, device_id_of_request, init_quick_code, next_after_sign_in
from .tokens import TokenRejected, TokenVerifier

log = logging.getLogger(__name__)
ROLES = ("subscriber", "dealer", "operator")
SCOPE = "openid profile email roles"
PENDING = "oidc_pending"            # this browser's sign-in in progress: state, nonce, PKCE verifier, next


class KeycloakAuthenticator:
    name = "keycloak"

    def __init__(self, settings):
        self.settings = settings
        self.openid = KeycloakOpenID(server_url=settings.keycloak_url, realm_name=settings.keycloak_realm,
                                     client_id=settings.keycloak_client_id,
                                     client_secret_key=settings.keycloak_client_secret, timeout=10)
        self._verifier: TokenVerifier | None = None
        self._endpoints: dict | None = None

    # --- what Keycloak publishes (read once, when first needed) ------------------------------------------
    def endpoints(self) -> dict:
        if self._endpoints is None:
            self._endpoints = self.openid.well_known()
        return self._endpoints

    def verifier(self) -> TokenVerifier:
        if self._verifier is None:
            self._verifier = TokenVerifier(self.endpoints()["issuer"], self.settings.keycloak_client_id,
                                           self.openid.certs)
        return self._verifier

    # --- the app -------------------------------------------------------------------------------------
    def init_app(self, app: Flask) -> None:
        rt = app.extensions["cabinet"]
        self.sessions = AuthSessionStore(rt.db, rt.settings.secret_key)
        blueprint = Blueprint("auth", __name__)
        callback_url = rt.settings.public_url + "/login/callback"

        @blueprint.route("/login", methods=["GET", "POST"])
        @rate_limited("login_rate", methods=None)      # per address
        @rate_limited("login_rate", key=login_key)     # and per login
        def login():
            next_url = safe_next(request.values.get("next"))
            if current_identity() is not None and request.method == "GET":
                return redirect(next_url)
            if rt.settings.keycloak_direct_login:
                return self._direct_login(next_url)
            if not request.args.get("password") and device_has_code():
                return redirect(url_for("quick_code.code_sign_in", next=next_url))   # "?password=1" opts out
            return self._authorize(callback_url, next_url)

        @blueprint.route("/login/device")
        def device_session():
            """After a quick code is set: the same Keycloak sign-in once more, silently (prompt=none),
            for an offline token. A browser session's refresh token ends with Keycloak's SSO session
            (30 minutes idle); the code must still open the cabinet days later, until "Выйти"."""
            next_url = safe_next(request.args.get("next"))
            if current_identity() is None or not device_has_code():
                return redirect(next_url)
            return self._authorize(callback_url, next_url, for_device=True)

        @blueprint.route("/password/forgot")
        def forgot_password():
            """Password recovery is Keycloak's: its page asks for the login and e-mails the link."""
            query = urlencode({"client_id": rt.settings.keycloak_client_id})
            return redirect(f"{rt.settings.keycloak_url}realms/{rt.settings.keycloak_realm}"
                            f"/login-actions/reset-credentials?{query}")

        @blueprint.route("/login/callback")
        @rate_limited("login_rate", methods=None)
        def callback():
            pending = session.pop(PENDING, None)
            if pending and pending.get("for_device") and request.args.get("error"):
                # Keycloak wanted the person (its SSO session is over): the code keeps the browser's session
                person = current_identity()
                audit("quick-code:offline", "refused", actor=person.login if person else "unknown login",
                      details={"reason": request.args["error"][:100]})
                return redirect(pending["next"])
            if request.args.get("error"):
                audit("sign-in", "refused", actor="unknown login", details={"reason": request.args["error"][:100]})
                return self._failed(_("Sign-in was cancelled or refused. Please try again."))
            if not pending or not secrets.compare_digest(request.args.get("state", ""), pending["state"]):
                audit("sign-in", "refused", actor="unknown login", details={"reason": "state"})
                return self._failed(_("This sign-in link is out of date. Please sign in again."))
            try:
                tokens = self.openid.token(grant_type="authorization_code", code=request.args.get("code", ""),
                                           redirect_uri=callback_url, code_verifier=pending["verifier"])
                claims = self.verifier().verify(tokens["access_token"])
                self.verifier().verify(tokens["id_token"], nonce=pending["nonce"])
            except TokenRejected as exc:
                log.warning("sign-in refused: a token from Keycloak failed its check: %s", exc.reason)
                audit("sign-in", "refused", actor="unknown login", details={"reason": f"token: {exc.reason}"})
                return self._failed(_("Sign-in could not be completed. Please sign in again."))
            except KeycloakError as exc:         # a replayed or expired code, a wrong verifier ...
                audit("sign-in", "refused", actor="unknown login",
                      details={"reason": f"code exchange: {exc.response_code}"})
                return self._failed(_("Sign-in could not be completed. Please sign in again."))
            except OSError as exc:
                return self._unavailable(exc)
            if pending.get("for_device"):
                return self._start_for_device(claims, tokens, pending["next"])
            return self._start(claims, tokens, pending["next"], offer_code=True)

        @blueprint.route("/logout", methods=["POST"])
        def logout():
            token = session.get(SESSION_TOKEN)
            kept = self.sessions.get(token)
            self.sessions.revoke(token)
            if kept and kept.refresh_token:
                try:
                    self.openid.logout(kept.refresh_token)          # the back channel: Keycloak forgets it too
                except (KeycloakError, OSError) as exc:
                    log.warning("Keycloak did not take the logout: %s", type(exc).__name__)
            sign_out()
            end = self._end_session_url(kept.id_token if kept else "")
            return redirect(end or url_for("auth.login"))

        app.register_blueprint(blueprint)
        app.before_request(self.check_session)
        app.extensions["cabinet_restorer"] = KeycloakRestorer(self)
        init_quick_code(app)

        passkeys = Blueprint("passkeys", __name__, url_prefix="/passkeys")

        @passkeys.route("")
        def manage():
            """With Keycloak, passkeys are Keycloak's (WebAuthn passwordless): its account console
            makes, lists and removes them, and its sign-in page uses them."""
            return redirect(f"{rt.settings.keycloak_url}realms/{rt.settings.keycloak_realm}"
                            f"/account/account-security/signing-in")

        app.register_blueprint(passkeys)

    def _authorize(self, callback_url: str, next_url: str, for_device: bool = False):
        """To Keycloak with the code flow: PKCE, state and nonce kept in this browser's session."""
        verifier = secrets.token_urlsafe(48)
        pending = {"state": secrets.token_urlsafe(24), "nonce": secrets.token_urlsafe(24),
                   "verifier": verifier, "next": next_url, "for_device": for_device}
        session[PENDING] = pending
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        try:
            target = self.openid.auth_url(redirect_uri=callback_url,
                                          scope=SCOPE + " offline_access" if for_device else SCOPE,
                                          state=pending["state"], nonce=pending["nonce"], code_challenge=challenge,
                                          code_challenge_method="S256")
        except (KeycloakError, OSError) as exc:
            return self._unavailable(exc)
        return redirect(target + "&prompt=none" if for_device else target)

    def _start_for_device(self, claims: dict, tokens: dict, next_url: str):
        """The offline token becomes this browser's session and the one the device's code renews."""
        identity = self.identity(claims)
        current = current_identity()
        if current is None or identity.login != current.login or not identity.roles:
            return redirect(next_url)              # someone else signed in meanwhile: nothing to bind
        old = session.get(SESSION_TOKEN)
        token = self.sessions.create(identity.login, tokens.get("refresh_token", ""), tokens.get("id_token", ""),
                                     float(tokens.get("expires_in", 300)), float(tokens.get("refresh_expires_in", 0)))
        session[SESSION_TOKEN] = token
        self.sessions.revoke(old)
        device_id = device_id_of_request()
        if device_id:
            QuickCodeStore(runtime().db).rebind(device_id, AuthSessionStore.ref(token))
        audit("quick-code:offline", "ok", actor=identity.login)
        return redirect(next_url)

    def _start(self, claims: dict, tokens: dict, next_url: str, offer_code: bool = False):
        """Sign the person of checked tokens in, with a session kept on the server (and, after the
        browser flow, offer a quick-login code for this device)."""
        identity = self.identity(claims)
        if not identity.roles:
            audit("sign-in", "refused", actor=identity.login, details={"reason": "no cabinet role"})
            return self._failed(_("Your account has no access to this cabinet."))
        sign_in(identity)
        session[SESSION_TOKEN] = self.sessions.create(
            identity.login, tokens.get("refresh_token", ""), tokens.get("id_token", ""),
            float(tokens.get("expires_in", 300)), float(tokens.get("refresh_expires_in", 1800)))
        return redirect(next_after_sign_in(identity, next_url) if offer_code else next_url)

    def _direct_login(self, next_url: str):
        """The seed's login form in the cabinet, checked by Keycloak's direct access grant (an
        operator's option: the cabinet then sees the password; see the README)."""
        from .local import sign_in_page_links

        error = None
        if request.method == "POST":
            username = (request.form.get("username") or "").strip()
            password = request.form.get("password") or ""
            try:
                tokens = self.openid.token(username=username, password=password, grant_type="password",
                                           scope=SCOPE)
                claims = self.verifier().verify(tokens["access_token"])
            except KeycloakError:
                audit("sign-in", "refused", actor="unknown login", details={"via": "direct grant"})
                error = _("Wrong login or password.")
            except TokenRejected as exc:
                log.warning("sign-in refused: a token from Keycloak failed its check: %s", exc.reason)
                error = _("Sign-in could not be completed. Please sign in again.")
            except OSError as exc:
                return self._unavailable(exc)
            else:
                return self._start(claims, tokens, next_url)
        return render_template("login.html", error=error, next=next_url, username=request.form.get("username", ""),
                               **sign_in_page_links(url_for("auth.forgot_password"))), 401 if error else 200

    # --- every request --------------------------------------------------------------------------------
    def check_session(self) -> None:
        """A Keycloak session that was revoked, or that Keycloak no longer renews, is signed out."""
        token = session.get(SESSION_TOKEN)
        if token is None or SESSION_USER not in session:
            return
        kept = self.sessions.get(token)
        if kept is None:
            sign_out()                      # clears the session, its token with it
            return
        if kept.access_expires_at > datetime.now(timezone.utc):
            return
        try:
            renewed = self.openid.refresh_token(kept.refresh_token)
            self.verifier().verify(renewed["access_token"])
        except (KeycloakError, TokenRejected) as exc:
            login = session.get(SESSION_USER, {}).get("login", "")
            log.info("Keycloak did not renew the session of %s: %s", login, type(exc).__name__)
            audit("sign-out", "expired", actor=login)
            self.sessions.revoke(token)
            sign_out()                      # clears the session, its token with it
            return
        except OSError:
            return                      # Keycloak is unreachable: keep the session until it answers
        self.sessions.refreshed(token, renewed.get("refresh_token") or kept.refresh_token,
                                float(renewed.get("expires_in", 300)), float(renewed.get("refresh_expires_in", 1800)))

    def identity(self, claims: dict) -> Identity:
        login = str(claims.get("preferred_username") or claims.get("sub") or "")
        roles = frozenset(r for r in (claims.get("realm_access") or {}).get("roles", []) if r in ROLES)
        subscriber = claims.get(self.settings.keycloak_subscriber_claim)
        if subscriber is None and "subscriber" in roles:
            resolve = getattr(runtime().binding, "resolve_subscriber", None)
            subscriber = resolve(login) if resolve else None
        dealer = claims.get(self.settings.keycloak_dealer_claim)
        name = str(claims.get("name") or login)
        return Identity(login, name, roles, str(subscriber) if subscriber else None, str(dealer) if dealer else None)

    def _end_session_url(self, id_token: str) -> str:
        try:
            endpoint = self.endpoints().get("end_session_endpoint")
        except (KeycloakError, OSError):
            return ""
        if not endpoint:
            return ""
        query = {"post_logout_redirect_uri": self.settings.public_url + url_for("auth.login"),
                 "client_id": self.settings.keycloak_client_id}
        if id_token:
            query["id_token_hint"] = id_token
        return f"{endpoint}?{urlencode(query)}"

    @staticmethod
    def _failed(message: str):
        return render_template("sign_in_failed.html", message=message, retry_url=url_for("auth.login")), 400

    @staticmethod
    def _unavailable(exc: Exception):
        log.warning("Keycloak is not reachable: %s", type(exc).__name__)
        return render_template("sign_in_failed.html", retry_url=url_for("auth.login"),
                               message=_("Sign-in is not available right now. Please try again in a few minutes.")), 503


class KeycloakRestorer(SessionRestorer):
    """How a quick-login code signs someone in again with Keycloak: the code keeps a reference to
    the server-side session it was made in, and entering it renews that session through Keycloak
    (which may refuse: a person signed out, disabled or changed there is not restored)."""

    def __init__(self, authenticator: KeycloakAuthenticator):
        self.authenticator = authenticator

    @staticmethod
    def after_code_set(next_url: str) -> str:
        """Where to go once the code is set: for the offline token the code will renew."""
        return url_for("auth.device_session", next=next_url)

    def restore(self, login: str, session_ref: str) -> tuple[Identity | None, str]:
        sessions = self.authenticator.sessions
        kept = sessions.by_ref(session_ref)
        if kept is None or not kept.refresh_token:
            return None, "the session the code renews is over"
        try:
            renewed = self.authenticator.openid.refresh_token(kept.refresh_token)
            claims = self.authenticator.verifier().verify(renewed["access_token"])
        except (KeycloakError, TokenRejected) as exc:
            sessions.revoke_ref(session_ref)
            return None, f"Keycloak did not renew the session ({type(exc).__name__})"
        identity = self.authenticator.identity(claims)
        if identity.login != login or not identity.roles:
            return None, "Keycloak names another person or no cabinet role"
        g.restored_session = sessions.create(
            identity.login, renewed.get("refresh_token") or kept.refresh_token,
            renewed.get("id_token") or kept.id_token, float(renewed.get("expires_in", 300)),
            float(renewed.get("refresh_expires_in", 1800)))
        sessions.revoke_ref(session_ref)
        return identity, ""

