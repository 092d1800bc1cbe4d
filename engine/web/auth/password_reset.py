""""Забыли пароль?": a link by e-mail that sets a new password.

The e-mail address is the one the billing has on file for the subscriber's account (payer
requisites), so nobody can send the link anywhere else. The link is signed, expires in an hour
and works once: it carries a fingerprint of the current password hash, which the new password
changes. The answer to a request never says whether the login exists.
"""
from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ...state.quick_codes import QuickCodeStore
from ...state.users import UserStore
from ..contacts import subscriber_email
from ..extensions import rate_limited
from ..runtime import runtime
from . import audit

log = logging.getLogger(__name__)
LINK_SECONDS = 3600
MIN_PASSWORD = 8


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(runtime().settings.secret_key, salt="password-reset")


def _fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:16]


def init_password_reset(app: Flask) -> None:
    blueprint = Blueprint("password", __name__, url_prefix="/password")

    @blueprint.route("/forgot", methods=["GET", "POST"])
    @rate_limited("login_rate")
    def forgot():
        if request.method == "POST":
            login = (request.form.get("username") or "").strip()[:150]
            user = UserStore(runtime().db).get(login) if login else None
            address = subscriber_email(user.subscriber_id) if user else ""
            if user and address:
                token = _serializer().dumps({"login": user.login, "h": _fingerprint(user.password_hash)})
                # from the configured address, never from the request's Host header, which anyone sets
                link = runtime().settings.public_url + url_for("password.reset", token=token)
                runtime().outbox.enqueue(
                    address, _("Setting a new password"),
                    _("Someone asked to set a new password for the login %(login)s. If it was you, open this "
                      "link within an hour:\n\n%(link)s\n\nIf it was not you, ignore this letter: your password "
                      "stays as it is.", login=user.login, link=link),
                    dedup_key=f"password-reset:{token}")
                audit("password-reset:requested", "ok", actor=user.login)
            else:
                audit("password-reset:requested", "refused", actor=user.login if user else "unknown login")
            # the same answer either way: the page does not tell who has an account
            flash(_("If this login has an e-mail address on file, we have sent a link to set a new password."),
                  "success")
            return redirect(url_for("auth.login"))
        return render_template("password_forgot.html")

    @blueprint.route("/reset/<token>", methods=["GET", "POST"])
    @rate_limited("login_rate")
    def reset(token: str):
        store = UserStore(runtime().db)
        try:
            data = _serializer().loads(token, max_age=LINK_SECONDS)
        except SignatureExpired:
            return render_template("password_reset.html", invalid=_("The link has expired. Ask for a new one.")), 400
        except BadSignature:
            return render_template("password_reset.html", invalid=_("The link is not valid. Ask for a new one.")), 400
        user = store.get(data.get("login", ""))
        if user is None or _fingerprint(user.password_hash) != data.get("h"):
            return render_template("password_reset.html",
                                   invalid=_("The link has already been used. Ask for a new one.")), 400
        error = None
        if request.method == "POST":
            password = request.form.get("password") or ""
            if len(password) < MIN_PASSWORD:
                error = _("The password needs at least %(count)d characters.", count=MIN_PASSWORD)
            elif password != request.form.get("password_again"):
                error = _("The two passwords differ. Type the same password twice.")
            else:
                store.set_password(user.login, password)
                removed = QuickCodeStore(runtime().db).remove_all(user.login)   # codes set by whoever had access
                audit("password-reset:done", "ok", actor=user.login, details={"quick_codes_removed": removed})
                flash(_("The new password is set. Sign in with it."), "success")
                return redirect(url_for("auth.login", password=1))
        return render_template("password_reset.html", error=error), 422 if error else 200

    app.register_blueprint(blueprint)
