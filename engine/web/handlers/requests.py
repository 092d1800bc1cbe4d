"""Handlers that pass what people write to the operator: a support request, an application to
become a client. Each is stored first, then e-mailed through the outbox (one per form key, so a
double submit sends one letter); both work without signing in, behind a rate limit."""
from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timezone
from typing import Any, Mapping

from flask_babel import gettext as _

from ...assembly.handlers import Handler, HandlerContext, HandlerRefused
from ...billing.contract import IDEMPOTENCY_KEY, Operation, Param
from ...state.requests import ClientApplication, SupportRequest, store_once

log = logging.getLogger(__name__)

# deliberately plain: an address the mail channel could refuse as a Reply-To never gets this far
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,63}")
PHONE_DIGITS = re.compile(r"\d")
_KEY = Param("request_id", filled_by_engine=IDEMPOTENCY_KEY)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _text(params: Mapping[str, Any], name: str, limit: int) -> str:
    value = str(params.get(name) or "").strip()
    if len(value) > limit:
        raise HandlerRefused(_("The text is too long: at most %(limit)d characters.", limit=limit))
    return value


def _email(value: str, required: bool) -> str:
    if (value or required) and not EMAIL.fullmatch(value):
        raise HandlerRefused(_("Check the e-mail address: it should look like name@example.org."))
    return value


def _phone(value: str, required: bool) -> str:
    if (value or required) and not 10 <= len(PHONE_DIGITS.findall(value)) <= 15:
        raise HandlerRefused(_("Check the phone number: 10 to 15 digits, such as +7 916 123-45-67."))
    return value


def _to_directus(ctx: HandlerContext, collection: str, item: dict, key: str) -> None:
    """With Directus as the designer, the operator's staff also find it there (through the outbox,
    which retries while Directus is down)."""
    if ctx.services.settings.directus_url:
        ctx.services.outbox.enqueue(collection, "", json.dumps(item, ensure_ascii=False), channel="directus",
                                       dedup_key=f"{key}:directus")


def _mail(ctx: HandlerContext, recipient: str, subject: str, body: str, key: str, reply_to: str = "") -> None:
    if not recipient:
        log.warning("%s: the cabinet has no address to e-mail it to (operator.support_email / sales_email); "
                    "it is stored only", subject)
        return
    ctx.services.outbox.enqueue(recipient, subject, body, reply_to=reply_to or None, dedup_key=key)


class SupportRequestHandler(Handler):
    """"Обращение на почту": the personal account (prefilled), e-mail, phone and the message."""

    name = "support_request"
    public = True
    operation = Operation("support_request", (
        Param("account_number", required=False), Param("email"), Param("phone", required=False),
        Param("message"), _KEY))

    def perform(self, params: Mapping[str, Any], ctx: HandlerContext) -> dict:
        email = _email(_text(params, "email", 320), required=True)
        phone = _phone(_text(params, "phone", 64), required=False)
        message = _text(params, "message", 5000)
        account = _text(params, "account_number", 64)
        if not message:
            raise HandlerRefused(_("Write your message to the operator."))
        key = f"support:{params['request_id']}"
        number = store_once(ctx.services.db, SupportRequest(
            key=key, login=ctx.identity.login, account_number=account, email=email, phone=phone, message=message))
        body = "\n".join([
            f"{_('Request')}: #{number}", f"{_('Personal account, as written by the sender')}: {account or '—'}",
            f"{_('Signed in as')}: {ctx.identity.login or '—'}", f"{_('E-mail')}: {email}",
            f"{_('Phone')}: {phone or '—'}", "", message])
        _mail(ctx, ctx.cabinet.operator.support_email, f"{_('Support request')} #{number}", body, key, email)
        _to_directus(ctx, "cabinet_support_requests", {
            "created_at": _now(), "login": ctx.identity.login, "account_number": account, "email": email,
            "phone": phone, "message": message, "state": "new"}, key)
        return {"number": number}


class BecomeClientHandler(Handler):
    """"Стать клиентом": an application from someone who is not a subscriber yet."""

    name = "become_client"
    public = True
    operation = Operation("become_client", (
        Param("name"), Param("phone"), Param("email", required=False), Param("address"), Param("service"),
        Param("comment", required=False), _KEY))

    def perform(self, params: Mapping[str, Any], ctx: HandlerContext) -> dict:
        application = ClientApplication(
            key=f"application:{params['request_id']}", name=_text(params, "name", 200),
            phone=_phone(_text(params, "phone", 64), required=True),
            email=_email(_text(params, "email", 320), required=False),
            address=_text(params, "address", 1000), service=_text(params, "service", 100),
            comment=_text(params, "comment", 3000))
        if not application.name or not application.address:
            raise HandlerRefused(_("Give your name and the address where you want the service."))
        number = store_once(ctx.services.db, application)
        body = "\n".join([
            f"{_('Application')}: #{number}", f"{_('Name')}: {application.name}", f"{_('Phone')}: {application.phone}",
            f"{_('E-mail')}: {application.email or '—'}", f"{_('Address')}: {application.address}",
            f"{_('Service')}: {application.service}", "", application.comment])
        _mail(ctx, ctx.cabinet.operator.sales_email, f"{_('Application to become a client')} #{number}", body,
              application.key, application.email)
        _to_directus(ctx, "cabinet_applications", {
            "created_at": _now(), "name": application.name, "phone": application.phone, "email": application.email,
            "address": application.address, "service": application.service, "comment": application.comment,
            "state": "new"}, application.key)
        return {"number": number}
