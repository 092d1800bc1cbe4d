"""Passkeys: sign in with the device's fingerprint, face or PIN (WebAuthn, PyPI ``webauthn``) — the
web's counterpart of the seed's Touch ID / Face ID.

* ``/passkeys`` (signed in): the person's passkeys, "Добавить ключ входа" and a remove button each.
* ``POST /passkeys/register/options`` and ``/passkeys/register``: make one (the browser asks the
  device; the challenge lives in this session only).
* ``POST /passkeys/login/options`` and ``/passkeys/login``: sign in with one (discoverable: no login
  typed), rate limited like the password form.

The relying party is the host of CABINET_PUBLIC_URL and only its origin is accepted; a passkey
signs in only a user who still exists, with the roles they have now.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, jsonify, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from webauthn import (
    base64url_to_bytes, generate_authentication_options, generate_registration_options, options_to_json,
    verify_authentication_response, verify_registration_response,
)
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria, PublicKeyCredentialDescriptor, ResidentKeyRequirement, UserVerificationRequirement,
)

from ...state.passkeys import PasskeyStore
from ...state.users import UserStore
from ..extensions import rate_limited
from ..redirects import safe_next
from ..runtime import runtime
from . import audit, current_identity, identity_of, sign_in

log = logging.getLogger(__name__)
REGISTERING, SIGNING_IN = "passkey_registration", "passkey_sign_in"


def _party() -> tuple[str, str]:
    """(relying party id, origin) from the cabinet's public address."""
    public = runtime().settings.public_url
    parts = urlsplit(public)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _store() -> PasskeyStore:
    return PasskeyStore(runtime().db)


def _json_credential() -> dict:
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or len(json.dumps(body)) > 20_000:
        abort(400)
    return body


def init_passkeys(app: Flask) -> None:
    blueprint = Blueprint("passkeys", __name__, url_prefix="/passkeys")

    @blueprint.route("")
    def manage():
        identity = current_identity()
        if identity is None:
            return redirect(url_for("auth.login", next=request.path))
        return render_template("passkeys.html", passkeys=_store().of_login(identity.login))

    @blueprint.route("/register/options", methods=["POST"])
    def register_options():
        identity = current_identity()
        if identity is None:
            abort(401)
        rp_id, _origin = _party()
        options = generate_registration_options(
            rp_id=rp_id, rp_name=runtime().cabinet.operator.name.render("ru"), user_name=identity.login,
            user_id=identity.login.encode(), user_display_name=identity.name or identity.login,
            authenticator_selection=AuthenticatorSelectionCriteria(
                resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
            exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(p.id))
                                 for p in _store().of_login(identity.login)])
        session[REGISTERING] = bytes_to_base64url(options.challenge)
        return app.response_class(options_to_json(options), mimetype="application/json")

    @blueprint.route("/register", methods=["POST"])
    def register():
        identity = current_identity()
        challenge = session.pop(REGISTERING, None)
        if identity is None or challenge is None:
            abort(401)
        rp_id, origin = _party()
        credential = _json_credential()
        try:
            verified = verify_registration_response(credential=credential, expected_challenge=base64url_to_bytes(challenge),
                                                    expected_rp_id=rp_id, expected_origin=origin,
                                                    require_user_verification=True)
        except (InvalidRegistrationResponse, ValueError, KeyError) as exc:
            audit("passkey:added", "refused", details={"reason": str(exc)[:200]})
            return jsonify({"ok": False, "message": _("The passkey was not accepted. Please try again.")}), 400
        name = (request.args.get("name") or request.headers.get("User-Agent", "")[:60] or "passkey").strip()
        _store().add(identity.login, bytes_to_base64url(verified.credential_id), verified.credential_public_key,
                     verified.sign_count, name)
        audit("passkey:added", "ok", details={"name": name})
        return jsonify({"ok": True})

    @blueprint.route("/login/options", methods=["POST"])
    @rate_limited("login_rate", methods=None)
    def login_options():
        rp_id, _origin = _party()
        options = generate_authentication_options(rp_id=rp_id,
                                                  user_verification=UserVerificationRequirement.REQUIRED)
        session[SIGNING_IN] = bytes_to_base64url(options.challenge)
        return app.response_class(options_to_json(options), mimetype="application/json")

    @blueprint.route("/login", methods=["POST"])
    @rate_limited("login_rate", methods=None)
    def login():
        challenge = session.pop(SIGNING_IN, None)
        credential = _json_credential()
        refused = jsonify({"ok": False, "message": _("This passkey does not sign anyone in here. Sign in with "
                                                       "your password.")}), 401
        stored = _store().get(str(credential.get("id", ""))[:255])
        if challenge is None or stored is None:
            audit("passkey:sign-in", "refused", actor="unknown login", details={"reason": "unknown passkey"})
            return refused
        rp_id, origin = _party()
        try:
            verified = verify_authentication_response(
                credential=credential, expected_challenge=base64url_to_bytes(challenge), expected_rp_id=rp_id,
                expected_origin=origin, credential_public_key=stored.public_key,
                credential_current_sign_count=stored.sign_count, require_user_verification=True)
        except (InvalidAuthenticationResponse, ValueError, KeyError) as exc:
            audit("passkey:sign-in", "refused", actor=stored.login, details={"reason": str(exc)[:200]})
            return refused
        user = UserStore(runtime().db).get(stored.login)
        if user is None:                        # removed since: the passkey opens nothing
            audit("passkey:sign-in", "refused", actor=stored.login, details={"reason": "no such user"})
            return refused
        _store().used(stored.id, verified.new_sign_count)
        sign_in(identity_of(user))
        audit("passkey:sign-in", "ok", actor=user.login)
        return jsonify({"ok": True, "next": safe_next(request.args.get("next"))})

    @blueprint.route("/<credential_id>/remove", methods=["POST"])
    def remove(credential_id: str):
        identity = current_identity()
        if identity is None:
            abort(401)
        if _store().remove(identity.login, credential_id):
            audit("passkey:removed", "ok")
        return redirect(url_for("passkeys.manage"))

    app.register_blueprint(blueprint)
