"""Quick-login code: after a sign-in, a 4-digit code that signs the same user in again on this device.

Independent of how the first sign-in happened (local password now, Keycloak later): a code only
restores an ``Identity``. The device is a random id in a long-lived cookie, set with the code.
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Blueprint, Flask, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from ...assembly.screen import Identity
from ...state.auth_sessions import AuthSessionStore
from ...state.quick_codes import QuickCode, QuickCodeStore, is_valid_code, new_device_id
from ...state.users import UserStore
from ..extensions import rate_limited
from ..redirects import safe_next
from ..runtime import live, runtime
from . import SESSION_TOKEN, audit, current_identity, identity_of, sign_in

DEVICE_COOKIE = "cabinet_device"
DEVICE_COOKIE_AGE = timedelta(days=365)
SESSION_SKIPPED = "quick_code_skipped"     # "Skip" pressed: not offered again in this session
SESSION_PENDING = "quick_code_pending"     # a keyed digest of the first entry, until it is repeated


def _store() -> QuickCodeStore:
    return QuickCodeStore(runtime().db)


def device_id_of_request() -> str | None:
    value = request.cookies.get(DEVICE_COOKIE, "")
    return value if 0 < len(value) <= 100 else None


def device_code() -> QuickCode | None:
    """This device's code (enabled or disabled), whoever it belongs to."""
    return _store().get(device_id_of_request())


def device_has_code() -> bool:
    code = device_code()
    return code is not None and not code.disabled


def password_form_notice() -> str | None:
    """Why the password form is shown on a device that had a code."""
    code = device_code()
    if code is not None and code.disabled:
        return _("The access code was entered wrongly too many times and no longer works. "
                 "Sign in with your password.")
    return None


def next_after_sign_in(identity: Identity, next_url: str) -> str:
    """Where to go after a sign-in that is not by code: the offer of a code, unless this device
    already has one for this user or the user chose to skip it."""
    code = device_code()
    if code is not None and code.disabled:
        _store().remove(device_id_of_request())   # the password was given: a new code may be set now
        code = None
    if session.get(SESSION_SKIPPED) or (code is not None and code.login == identity.login):
        return next_url
    return url_for("quick_code.setup", next=next_url)


def _pending_digest(login: str, code: str) -> str:
    # keyed, so the (readable) session cookie does not give the first entry away
    key = str(current_app.secret_key).encode()
    return hmac.new(key, f"quick-code:{login}:{code}".encode(), hashlib.sha256).hexdigest()


def _page(template: str, status: int = 200, **context):
    # passkeys are offered where the sign-in has them (not with the billing's own logins)
    return render_template(template, support_email=live().cabinet.operator.support_email,
                           passkeys_offered="passkeys" in current_app.blueprints, **context), status


def _set_device_cookie(response, device_id: str) -> None:
    response.set_cookie(DEVICE_COOKIE, device_id, max_age=int(DEVICE_COOKIE_AGE.total_seconds()),
                        secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True, samesite="Lax")


def _forget_device_cookie(response) -> None:
    response.delete_cookie(DEVICE_COOKIE, secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
                           samesite="Lax")


def _to_password_form(next_url: str):
    return redirect(url_for("auth.login", next=next_url))


def init_quick_code(app: Flask) -> None:
    blueprint = Blueprint("quick_code", __name__)

    @blueprint.route("/quick-code/setup", methods=["GET", "POST"])
    def setup():
        next_url = safe_next(request.values.get("next"))
        identity = current_identity()
        if identity is None:
            return redirect(url_for("auth.login", next=next_url))
        if request.method == "GET":
            session.pop(SESSION_PENDING, None)      # opening the page starts over
            return _page("quick_code_setup.html", step="first", next=next_url)
        pending = session.get(SESSION_PENDING)
        repeating = request.form.get("step") == "repeat" and bool(pending)
        code = (request.form.get("code") or "").strip()
        if not is_valid_code(code):
            if not repeating:
                session.pop(SESSION_PENDING, None)
            return _page("quick_code_setup.html", 422, step="repeat" if repeating else "first", next=next_url,
                         error=_("Enter four digits."))
        if not repeating:
            session[SESSION_PENDING] = _pending_digest(identity.login, code)
            return _page("quick_code_setup.html", step="repeat", next=next_url)
        session.pop(SESSION_PENDING, None)
        if not hmac.compare_digest(pending, _pending_digest(identity.login, code)):
            return _page("quick_code_setup.html", 422, step="first", next=next_url,
                         error=_("The codes do not match. Enter a new code and repeat it."))
        device_id = new_device_id()
        replaced = _store().set(device_id, identity.login, code, replaces=device_id_of_request(),
                                session_ref=_restorer().reference())
        audit("quick-code:set", "ok", actor=identity.login, details={"replaced": replaced})
        response = redirect(_restorer().after_code_set(next_url))
        _set_device_cookie(response, device_id)
        return response

    @blueprint.route("/quick-code/skip", methods=["POST"])
    def skip():
        session[SESSION_SKIPPED] = True
        session.pop(SESSION_PENDING, None)
        return redirect(safe_next(request.form.get("next")))

    @blueprint.route("/quick-code", methods=["GET", "POST"])
    @rate_limited("login_rate")
    def code_sign_in():
        next_url = safe_next(request.values.get("next"))
        if current_identity() is not None and request.method == "GET":
            return redirect(next_url)
        if not device_has_code():
            return _to_password_form(next_url)     # the password form says why, if the code was disabled
        if request.method == "GET":
            return _page("quick_code_login.html", next=next_url)
        code = (request.form.get("code") or "").strip()
        if not is_valid_code(code):
            return _page("quick_code_login.html", 422, next=next_url, error=_("Enter four digits."))
        attempt = _store().verify(device_id_of_request(), code)
        if attempt.outcome == "unavailable":       # removed or disabled since the page was shown
            return _to_password_form(next_url)
        if attempt.outcome == "ok":
            return _sign_in_by_code(attempt, next_url)
        audit("quick-code:sign-in", "refused", actor=attempt.login,
              details={"failed_attempts": attempt.failed_attempts})
        if attempt.disabled:
            audit("quick-code:disabled", "ok", actor=attempt.login,
                  details={"failed_attempts": attempt.failed_attempts})
            return _to_password_form(next_url)
        return _page("quick_code_login.html", 401, next=next_url,
                     error=_("Wrong code. Attempts left: %(left)d.", left=attempt.attempts_left))

    @blueprint.route("/quick-code/forget", methods=["POST"])
    def forget():
        login = _store().remove(device_id_of_request())
        if login is not None:
            audit("quick-code:removed", "ok", actor=login)
        response = _to_password_form(safe_next(request.form.get("next")))
        _forget_device_cookie(response)
        return response

    app.register_blueprint(blueprint)


class LocalRestorer:
    """How a code signs in again with the local sign-in: the user as the user store has them now."""

    def reference(self) -> str:
        return ""

    @staticmethod
    def after_code_set(next_url: str) -> str:
        """Nothing more to arrange: the code restores the user from the user store."""
        return next_url

    def restore(self, login: str, session_ref: str) -> tuple[Identity | None, str]:
        # rebuilt from the user store, so a removed user, or changed roles, are never restored from an old code
        user = UserStore(runtime().db).get(login)
        if user is None:
            return None, "no such user"
        return identity_of(user), ""


class SessionRestorer:
    """A code that continues a server-side session (Keycloak's, the billing's): it keeps the
    session's reference; ``restore`` leaves the new session's token in ``g.restored_session``, and
    after the sign-in the browser holds it and the device's code renews that one from now on."""

    def reference(self) -> str:
        token = session.get(SESSION_TOKEN)
        return AuthSessionStore.ref(token) if token else ""

    def after_sign_in(self, device_id: str | None) -> None:
        token = g.pop("restored_session", None)
        if token:
            session[SESSION_TOKEN] = token
            if device_id:
                _store().rebind(device_id, AuthSessionStore.ref(token))


def _restorer():
    return current_app.extensions.get("cabinet_restorer") or LocalRestorer()


def _sign_in_by_code(attempt, next_url: str):
    identity, reason = _restorer().restore(attempt.login, attempt.session_ref)
    if identity is None:
        _store().remove(device_id_of_request())
        audit("quick-code:sign-in", "refused", actor=attempt.login, details={"reason": reason})
        audit("quick-code:removed", "ok", actor=attempt.login, details={"reason": reason})
        response = _to_password_form(next_url)
        _forget_device_cookie(response)
        return response
    sign_in(identity)
    after = getattr(_restorer(), "after_sign_in", None)
    if after is not None:
        after(device_id_of_request())
    audit("quick-code:sign-in", "ok", actor=identity.login)
    return redirect(next_url)
