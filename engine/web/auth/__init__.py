"""Authentication behind one interface: local sign-in now, Keycloak plugs in the same way.

An authenticator registers the ``auth`` blueprint (``auth.login``, ``auth.logout``) and turns the
session into an ``Identity``. Views only ever call ``current_identity()``.
"""
from __future__ import annotations

from typing import Protocol

from flask import Flask, current_app, g, request, session

from ...assembly.screen import Identity
from ...state.audit import AuditLog
from ...state.users import LocalUser

SESSION_USER = "user"
SESSION_TOKEN = "auth_session"      # a server-side session's token (Keycloak, the billing's sign-in)


class Authenticator(Protocol):
    name: str

    def init_app(self, app: Flask) -> None:
        """Register the ``auth`` blueprint and anything the method needs."""


def current_identity() -> Identity | None:
    if "identity" not in g:
        data = session.get(SESSION_USER)
        g.identity = None
        if isinstance(data, dict) and data.get("login"):
            g.identity = Identity(
                login=data["login"], name=data.get("name", ""), roles=frozenset(data.get("roles", ())),
                subscriber_id=data.get("subscriber_id"), dealer_id=data.get("dealer_id"),
            )
    return g.identity


def identity_of(user: LocalUser) -> Identity:
    """A local user as the engine sees them (as the user store has them now)."""
    return Identity(user.login, user.name, user.role_set, user.subscriber_id, user.dealer_id)


def sign_in(identity: Identity) -> None:
    """Start a fresh session for ``identity`` (a new session, so a planted one is never reused)."""
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    session[SESSION_USER] = {
        "login": identity.login, "name": identity.name, "roles": sorted(identity.roles),
        "subscriber_id": identity.subscriber_id, "dealer_id": identity.dealer_id,
    }
    session.permanent = True
    g.pop("identity", None)
    audit("sign-in", "ok", actor=identity.login)


def sign_out() -> None:
    identity = current_identity()
    locale = session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale
    g.pop("identity", None)
    if identity:
        audit("sign-out", "ok", actor=identity.login)


def audit(event: str, result: str, actor: str | None = None, details: dict | None = None) -> None:
    """Write an audit record for this request (the signed-in user unless ``actor`` is given)."""
    if actor is None:
        identity = current_identity()
        actor = identity.login if identity else "anonymous"
    AuditLog(current_app.extensions["cabinet"].db).record(actor, event, result, request.remote_addr or "", details)
