"""Handlers about the person's own session."""
from __future__ import annotations

from typing import Any, Mapping

from flask import url_for

from ...assembly.handlers import Handler, HandlerContext
from ...billing.contract import Operation
from ..auth import sign_out


class SignOut(Handler):
    """"Выход" in the settings screen: ends the session and goes to the sign-in page."""

    name = "sign_out"
    operation = Operation("sign_out", ())

    def perform(self, params: Mapping[str, Any], ctx: HandlerContext) -> dict:
        sign_out()
        return {"redirect": url_for("auth.login")}
