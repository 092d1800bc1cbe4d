"""Settings from ``CABINET_*`` environment variables, validated at start-up.

Every problem is reported at once, naming the variable and the fix; the app does not start on a
bad configuration. Secrets are never printed: ``Settings.__repr__`` masks them.
"""
from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field, fields as dc_fields
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Mapping

from marshmallow import Schema, ValidationError, fields, validate, validates

PREFIX = "CABINET_"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SECRET_NAMES = {"secret_key", "binding_options", "database_url", "smtp_url", "ratelimit_storage",
                "payment_gateway_options", "directus_token", "directus_secret", "keycloak_client_secret"}


class ConfigError(Exception):
    """A bad configuration; the message lists every problem with its variable."""


class SettingsSchema(Schema):
    secret_key = fields.String(validate=validate.Length(min=32, error="must be at least 32 characters; generate one "
                                                                      "with: python -c 'import secrets; "
                                                                      "print(secrets.token_urlsafe(48))'"))
    instance_dir = fields.String(load_default=str(PROJECT_ROOT / "instance"))
    schemas = fields.String(load_default=str(PROJECT_ROOT / "cabinet_schemas" / "demo"))
    binding = fields.String(load_default="demo")
    binding_options = fields.String(load_default="{}")
    database_url = fields.String()
    theme = fields.String(load_default="base", validate=validate.Regexp(r"^[a-z0-9_\-]+$"))
    theme_dir = fields.String()
    cookie_secure = fields.Boolean(load_default=True)
    billing_timeout = fields.Float(load_default=5.0, validate=validate.Range(min=0.05, max=120))
    billing_workers = fields.Integer(load_default=32, validate=validate.Range(min=1, max=512))
    reload_seconds = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=3600))
    accounts_cache_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=0, max=3600))
    ratelimit_storage = fields.String(load_default="memory://")
    ratelimit_prefix = fields.String(load_default="cabinet", validate=validate.Regexp(r"^[A-Za-z0-9_\-:]{1,64}$"))
    login_rate = fields.String(load_default="10 per minute;50 per hour")
    log_level = fields.String(load_default="INFO", validate=validate.OneOf(["DEBUG", "INFO", "WARNING", "ERROR"]))
    demo_users = fields.Boolean(load_default=None, allow_none=True)
    public_url = fields.Url(require_tld=False, schemes={"http", "https"})   # the address subscribers use
    trusted_proxies = fields.Integer(load_default=0, validate=validate.Range(min=0, max=5))
    payment_gateway = fields.String(load_default="sandbox")
    payment_link_days = fields.Integer(load_default=7, validate=validate.Range(min=1, max=60))
    payment_gateway_options = fields.String(load_default="{}")   # JSON; the sandbox: url, secret
    smtp_url = fields.String(load_default="")                  # empty: mail is disabled (messages wait in the outbox)
    mail_from = fields.String(load_default="Cabinet <noreply@localhost>")
    mail_poll_seconds = fields.Float(load_default=5.0, validate=validate.Range(min=0.05, max=3600))
    public_form_rate = fields.String(load_default="5 per hour;20 per day")
    mail_retry_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=1, max=3600))  # first retry delay
    autopay_seconds = fields.Float(load_default=900.0, validate=validate.Range(min=0.05, max=86400))  # rule checks
    # Directus as the cabinet's source (instead of CABINET_SCHEMAS): its URL, the engine's static
    # token, the secret its hooks share with the engine, the polling fallback and the address
    # operators open Directus at (the only origin allowed to frame preview pages)
    directus_url = fields.Url(require_tld=False, schemes={"http", "https"})
    directus_token = fields.String(validate=validate.Length(min=16, error="must be the engine user's static token"))
    directus_secret = fields.String(validate=validate.Length(min=24, error="must be at least 24 characters"))
    directus_poll_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=0.5, max=3600))
    directus_public_url = fields.Url(require_tld=False, schemes={"http", "https"})
    preview_subscriber = fields.String(load_default="")   # whose data previews show (the demo's own with demo)
    # Keycloak (OIDC) instead of the local sign-in: its address, realm and the engine's client;
    # which claims name the user's subscriber and dealer (else the binding resolves the login)
    keycloak_url = fields.Url(require_tld=False, schemes={"http", "https"})
    keycloak_realm = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9_\-]{1,100}$"))
    keycloak_client_id = fields.String(load_default="cabinet-engine")
    keycloak_client_secret = fields.String()
    keycloak_subscriber_claim = fields.String(load_default="subscriber_id")
    keycloak_dealer_claim = fields.String(load_default="dealer_id")
    # the seed's in-cabinet login form through Keycloak's direct access grant (docs: the trade-off)
    keycloak_direct_login = fields.Boolean(load_default=False)
    preview_dealer = fields.String(load_default="")
    # how subscribers sign in: local users, Keycloak, or the billing's own logins and passwords
    # (empty: Keycloak when CABINET_KEYCLOAK_URL is set, else local)
    sign_in = fields.String(load_default="", validate=validate.OneOf(["", "local", "keycloak", "billing"]))
    # with the billing's sign-in: its own page where a subscriber recovers a password ("Forgot password?")
    billing_password_url = fields.Url(require_tld=False, schemes={"http", "https"})

    @validates("binding_options")
    def _json_object(self, value, **kwargs):
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"must be a JSON object such as {{\"latency_ms\": 50}} ({exc.msg})") from None
        if not isinstance(loaded, dict):
            raise ValidationError("must be a JSON object such as {\"latency_ms\": 50}")

    @validates("smtp_url")
    def _smtp_url(self, value, **kwargs):
        from .notify.email import parse_smtp_url   # the channel's own parser: one definition of a valid URL

        if value:
            try:
                parse_smtp_url(value)
            except ValueError as exc:   # the message never repeats the URL, which may hold a password
                raise ValidationError(str(exc)) from None

    @validates("mail_from")
    def _mail_from(self, value, **kwargs):
        if "@" not in parseaddr(value)[1]:
            raise ValidationError(f"{value!r} is not an e-mail address; write it as 'Cabinet <noreply@example.org>'")

    @validates("payment_gateway_options")
    def _gateway_json(self, value, **kwargs):
        try:
            loaded = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"must be a JSON object such as {{\"url\": \"http://127.0.0.1:8090\"}} "
                                  f"({exc.msg})") from None
        if not isinstance(loaded, dict):
            raise ValidationError("must be a JSON object")

    @validates("schemas")
    def _exists(self, value, **kwargs):
        if not Path(value).exists():
            raise ValidationError(f"no such file or folder: {value}")


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    schemas: Path
    binding: str
    binding_options: Mapping[str, Any]
    secret_key: str
    database_url: str
    theme: str
    theme_dir: Path | None
    cookie_secure: bool
    billing_timeout: float
    billing_workers: int
    accounts_cache_seconds: float
    reload_seconds: float
    ratelimit_storage: str
    ratelimit_prefix: str
    login_rate: str
    log_level: str
    demo_users: bool
    smtp_url: str
    payment_gateway: str
    payment_link_days: int
    payment_gateway_options: Mapping[str, Any]
    public_url: str
    trusted_proxies: int
    mail_from: str
    mail_retry_seconds: float
    mail_poll_seconds: float
    autopay_seconds: float
    public_form_rate: str
    directus_url: str = ""
    directus_token: str = ""
    directus_secret: str = ""
    directus_poll_seconds: float = 30.0
    directus_public_url: str = ""
    preview_subscriber: str = ""
    keycloak_url: str = ""
    keycloak_realm: str = ""
    keycloak_client_id: str = "cabinet-engine"
    keycloak_client_secret: str = ""
    keycloak_subscriber_claim: str = "subscriber_id"
    keycloak_dealer_claim: str = "dealer_id"
    keycloak_direct_login: bool = False
    sign_in: str = "local"                  # local | keycloak | billing
    billing_password_url: str = ""
    preview_dealer: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)   # Flask config overrides (tests)

    def __repr__(self) -> str:
        shown = {f.name: ("***" if f.name in SECRET_NAMES else getattr(self, f.name)) for f in dc_fields(self)}
        return f"Settings({shown})"


#: read by single commands, never by the server: secrets a command needs once (a new user's password,
#: the kit's test logins, Keycloak's admin), so they are not settings, but not misspellings either
COMMAND_VARIABLES = frozenset({"user_password", "check_password", "check_other_password", "keycloak_admin_user",
                               "keycloak_admin_password"})


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Read ``CABINET_*`` variables (``overrides`` win, by lowercase name without the prefix)."""
    environ = os.environ if environ is None else environ
    raw = {k[len(PREFIX):].lower(): v for k, v in environ.items()
           if k.startswith(PREFIX) and k[len(PREFIX):].lower() not in COMMAND_VARIABLES}
    extra = overrides.pop("extra", {})
    raw.update({k: (json.dumps(v) if k in ("binding_options", "payment_gateway_options") and not isinstance(v, str) else
                    str(v) if isinstance(v, Path) else v) for k, v in overrides.items()})
    unknown = sorted(set(raw) - set(SettingsSchema().fields))
    problems = [f"{PREFIX}{name.upper()}: unknown setting; check its spelling" for name in unknown]
    try:
        loaded = SettingsSchema().load({k: v for k, v in raw.items() if k not in unknown})
    except ValidationError as exc:
        for name, messages in exc.messages_dict.items():   # a schema's load errors are keyed by field
            problems.extend(f"{PREFIX}{name.upper()}: {m}" for m in messages)
        loaded = None
    if problems:
        raise ConfigError("the configuration has problems:\n  " + "\n  ".join(problems))

    if loaded.get("directus_url") and not (loaded.get("directus_token") and loaded.get("directus_secret")):
        raise ConfigError("the configuration has problems:\n  CABINET_DIRECTUS_TOKEN, CABINET_DIRECTUS_SECRET: set both "
                          "with CABINET_DIRECTUS_URL (`cabinet directus provision` prints them)")
    if loaded.get("keycloak_url") and not (loaded.get("keycloak_realm") and loaded.get("keycloak_client_secret")):
        raise ConfigError("the configuration has problems:\n  CABINET_KEYCLOAK_REALM, CABINET_KEYCLOAK_CLIENT_SECRET: "
                          "set both with CABINET_KEYCLOAK_URL")
    if loaded.get("keycloak_url") and not loaded.get("public_url"):
        raise ConfigError("the configuration has problems:\n  CABINET_PUBLIC_URL: set it with CABINET_KEYCLOAK_URL: "
                          "Keycloak sends people back to it after they sign in")
    if loaded.get("smtp_url") and not loaded.get("public_url"):
        raise ConfigError("the configuration has problems:\n  CABINET_PUBLIC_URL: set it (e.g. https://lk.example.ru) "
                          "when CABINET_SMTP_URL is set: links in letters are built from it, never from a request")
    sign_in = loaded["sign_in"] or ("keycloak" if loaded.get("keycloak_url") else "local")
    if sign_in == "keycloak" and not loaded.get("keycloak_url"):
        raise ConfigError("the configuration has problems:\n  CABINET_SIGN_IN: 'keycloak' needs CABINET_KEYCLOAK_URL "
                          "(and its realm and client secret)")
    instance_dir = Path(loaded["instance_dir"]).resolve()
    instance_dir.mkdir(parents=True, exist_ok=True)
    binding_options = json.loads(loaded["binding_options"])
    if loaded["binding"] == "demo":
        binding_options.setdefault("database_url", f"sqlite:///{instance_dir / 'demo-billing.sqlite'}")
    demo_users = loaded["demo_users"]
    return Settings(
        instance_dir=instance_dir,
        schemas=Path(loaded["schemas"]).resolve(),
        binding=loaded["binding"],
        binding_options=binding_options,
        secret_key=loaded.get("secret_key") or _instance_secret(instance_dir),
        database_url=loaded.get("database_url") or f"sqlite:///{instance_dir / 'cabinet.sqlite'}",
        theme=loaded["theme"],
        theme_dir=Path(loaded["theme_dir"]).resolve() if loaded.get("theme_dir") else None,
        cookie_secure=loaded["cookie_secure"],
        billing_timeout=loaded["billing_timeout"],
        billing_workers=loaded["billing_workers"],
        accounts_cache_seconds=loaded["accounts_cache_seconds"],
        reload_seconds=loaded["reload_seconds"],
        ratelimit_storage=loaded["ratelimit_storage"],
        ratelimit_prefix=loaded["ratelimit_prefix"],
        login_rate=loaded["login_rate"],
        log_level=loaded["log_level"],
        demo_users=loaded["binding"] == "demo" if demo_users is None else demo_users,
        smtp_url=loaded["smtp_url"],
        mail_from=loaded["mail_from"],
        mail_retry_seconds=loaded["mail_retry_seconds"],
        public_url=(loaded.get("public_url") or "").rstrip("/"),
        payment_gateway=loaded["payment_gateway"],
        payment_link_days=loaded["payment_link_days"],
        payment_gateway_options=json.loads(loaded["payment_gateway_options"]),
        trusted_proxies=loaded["trusted_proxies"],
        mail_poll_seconds=loaded["mail_poll_seconds"],
        autopay_seconds=loaded["autopay_seconds"],
        public_form_rate=loaded["public_form_rate"],
        directus_url=(loaded.get("directus_url") or "").rstrip("/"),
        directus_token=loaded.get("directus_token") or "",
        directus_secret=loaded.get("directus_secret") or "",
        directus_poll_seconds=loaded["directus_poll_seconds"],
        preview_subscriber=loaded["preview_subscriber"],
        keycloak_url=(loaded.get("keycloak_url") or "").rstrip("/") + ("/" if loaded.get("keycloak_url") else ""),
        keycloak_realm=loaded.get("keycloak_realm") or "",
        keycloak_client_id=loaded["keycloak_client_id"],
        keycloak_client_secret=loaded.get("keycloak_client_secret") or "",
        keycloak_subscriber_claim=loaded["keycloak_subscriber_claim"],
        keycloak_dealer_claim=loaded["keycloak_dealer_claim"],
        keycloak_direct_login=loaded["keycloak_direct_login"],
        sign_in=sign_in,
        billing_password_url=loaded.get("billing_password_url") or "",
        preview_dealer=loaded["preview_dealer"],
        directus_public_url=(loaded.get("directus_public_url") or loaded.get("directus_url") or "").rstrip("/"),
        extra=extra,
    )


def _instance_secret(instance_dir: Path) -> str:
    """Without CABINET_SECRET_KEY, keep a generated key in the instance folder (never in git),
    so sessions survive restarts of a single server."""
    path = instance_dir / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass  # made earlier, or by another process starting at the same moment
    else:
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
