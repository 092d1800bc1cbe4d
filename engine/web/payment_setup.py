"""Card payments for an app: the gateway from the settings, the ledger, and — for the demo — the
sandbox acquirer mounted in the same process, so `make demo` can take a card payment end to end."""
from __future__ import annotations

import logging
import os
import secrets

from flask import Flask, url_for
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from ..config import ConfigError, Settings
from ..payments import gateway_registry
from ..payments.autopay import Autopay
from ..payments.ledger import Ledger
from .runtime import Payments

log = logging.getLogger(__name__)
IN_PROCESS_PREFIX = "/sandbox-acquirer"
RECONCILE_SECONDS = 60


def setup_payments(app: Flask, settings: Settings) -> None:
    rt = app.extensions["cabinet"]
    options = dict(settings.payment_gateway_options)
    registry = gateway_registry()
    if settings.payment_gateway not in registry:
        raise ConfigError(f"CABINET_PAYMENT_GATEWAY: no gateway {settings.payment_gateway!r}; "
                          f"installed: {', '.join(registry.names())}")
    if not settings.public_url:
        log.warning("card payments are off: set CABINET_PUBLIC_URL (the gateway sends payers and "
                    "notifications back to it)")
        return
    if settings.payment_gateway == "sandbox" and "url" not in options:
        if settings.binding != "demo":
            # never a play acquirer beside a real billing: its test cards would credit real accounts
            log.warning("card payments are off: give CABINET_PAYMENT_GATEWAY_OPTIONS for the gateway "
                        "(the built-in sandbox runs in-process only with the demo billing)")
            return
        options = _mount_sandbox(app, settings)
    gateway_cls = registry.get(settings.payment_gateway)
    try:
        gateway = gateway_cls(**gateway_cls.options_schema().load(options))
    except Exception as exc:   # a marshmallow error or a bad option: name the setting, not a traceback
        raise ConfigError(f"CABINET_PAYMENT_GATEWAY_OPTIONS: not valid for {settings.payment_gateway!r}: {exc}") \
            from None
    ledger = Ledger(rt.db, settings.payment_gateway)
    with app.test_request_context():
        notify_url = settings.public_url + url_for("payments.notify")
    from .autopay_job import autopay_failed, run_autopay
    autopay = Autopay(rt.db, ledger, gateway, notify_url, rt.live.cabinet.operator.currency,
                      on_failure=autopay_failed)
    rt.payments = Payments(ledger=ledger, gateway=gateway, autopay=autopay, public_url=settings.public_url,
                           pages=options["url"].rstrip("/") + "/")
    from .payments import register_in_billing

    def register(account_id, amount, payment_id):
        with app.app_context():
            return register_in_billing(account_id, amount, payment_id)

    def autopay_round():
        with app.app_context():
            run_autopay()
    rt.reconcile_payments(register, RECONCILE_SECONDS)
    rt.every(settings.autopay_seconds, autopay_round, "autopay")


def _mount_sandbox(app: Flask, settings: Settings) -> dict:
    """The demo's acquirer, in this process under /sandbox-acquirer."""
    from ..payments.sandbox import create_sandbox_app

    secret_file = settings.instance_dir / "sandbox_secret"
    try:
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
    except FileExistsError:
        pass
    secret = secret_file.read_text().strip()
    url = settings.public_url + IN_PROCESS_PREFIX
    sandbox = create_sandbox_app(f"sqlite:///{settings.instance_dir / 'sandbox-acquirer.sqlite'}", secret, url)
    # Flask's documented way to wrap the app in middleware; its typing declares wsgi_app a method
    app.wsgi_app = DispatcherMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, {IN_PROCESS_PREFIX: sandbox})
    return {"url": url, "secret": secret}
