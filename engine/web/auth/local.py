"""Local sign-in: a login form, hashed passwords in the engine's database, rate limited."""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_babel import gettext as _

from ...state.users import UserStore
from ..extensions import rate_limited
from ..pages import links as page_links
from ..redirects import safe_next
from ..runtime import live, runtime
from . import audit, current_identity, identity_of, sign_in, sign_out
from .passkeys import init_passkeys
from .password_reset import init_password_reset
from .quick_code import device_has_code, init_quick_code, next_after_sign_in, password_form_notice


def login_key() -> str:
    """Rate-limit key of one login name, so a distributed guess at one account is slowed too."""
    return "login:" + (request.form.get("username") or "").strip().lower()[:150]


def before_password_form(next_url: str):
    """What a sign-in page does before its form: someone signed in already goes on, and a device
    with a quick-login code is offered the code (``?password=1`` opts out). None: show the form."""
    if current_identity() is not None and request.method == "GET":
        return redirect(next_url)
    if request.method == "GET" and not request.args.get("password") and device_has_code():
        return redirect(url_for("quick_code.code_sign_in", next=next_url))
    return None


def sign_in_page_links(forgot_password_url: str | None = None) -> dict:
    """The public screens the operator links from the sign-in page (support form, applications)."""
    operator = live().cabinet.operator
    links = page_links()
    return {
        # None: the local sign-in's own recovery; "": no link (the billing has no recovery page set)
        "forgot_password_url": url_for("password.forgot") if forgot_password_url is None else forgot_password_url,
        "support_email": operator.support_email,
        "support_url": links.screen(operator.support_screen, {}) if operator.support_screen else "",
        "join_url": links.screen(operator.join_screen, {}) if operator.join_screen else "",
    }


class LocalAuthenticator:
    name = "local"

    def init_app(self, app: Flask) -> None:
        blueprint = Blueprint("auth", __name__)

        @blueprint.route("/login", methods=["GET", "POST"])
        @rate_limited("login_rate")                     # per address
        @rate_limited("login_rate", key=login_key)      # and per login
        def login():
            next_url = safe_next(request.values.get("next"))
            elsewhere = before_password_form(next_url)
            if elsewhere is not None:
                return elsewhere
            error = None
            if request.method == "POST":
                username = (request.form.get("username") or "").strip()
                password = request.form.get("password") or ""
                user = UserStore(runtime().db).authenticate(username, password) if username and password else None
                if user is not None:
                    identity = identity_of(user)
                    sign_in(identity)
                    return redirect(next_after_sign_in(identity, next_url))   # may offer a quick-login code first
                # a login that is no user's is often a password typed in the wrong box: not recorded
                known = bool(username) and UserStore(runtime().db).get(username) is not None
                audit("sign-in", "refused", actor=username if known else "unknown login")
                error = _("Wrong login or password.")
            status = 401 if error else 200
            return render_template("login.html", error=error or password_form_notice(), next=next_url,
                                   username=request.form.get("username", ""), passkey_sign_in=True,
                                   **sign_in_page_links()), status

        @blueprint.route("/logout", methods=["POST"])
        def logout():
            sign_out()
            return redirect(url_for("auth.login"))

        app.register_blueprint(blueprint)
        init_quick_code(app)
        init_password_reset(app)
        init_passkeys(app)
