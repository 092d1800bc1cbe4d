"""E-mail over SMTP, with the standard library only.

The channel is built from an SMTP URL (``smtp://``, ``smtp+starttls://``, ``smtps://``) and a
From address. It sends one message per connection (mail here is a trickle: support requests,
applications, password resets) and turns every failure into ``DeliveryFailed``, which says
whether a later attempt may succeed. The password never leaves this module: the URL is shown
masked in messages and in ``repr``.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr
from urllib.parse import unquote, urlsplit

from . import DeliveryFailed

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
URL_FORMS = "smtp://host:port, smtp+starttls://user:password@host:587 or smtps://user:password@host:465"
# 7-bit transfer encodings (base64 for Cyrillic text): every server accepts them, with or without 8BITMIME.
MESSAGE_POLICY = SMTP_POLICY.clone(cte_type="7bit")


@dataclass(frozen=True)
class SmtpEndpoint:
    scheme: str
    host: str
    port: int
    username: str = ""
    password: str = ""

    def __repr__(self) -> str:
        return f"SmtpEndpoint({self.masked_url()!r})"

    def masked_url(self) -> str:
        credentials = f"{self.username}:***@" if self.username else ""
        return f"{self.scheme}://{credentials}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpEndpoint:
    """Parse an SMTP URL; a ValueError names the problem but never repeats the URL (it may hold a password)."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise ValueError(f"the scheme {scheme + '://' if scheme else '(none)'} is not supported; use {URL_FORMS}")
    try:
        port = parts.port or DEFAULT_PORTS[scheme]
    except ValueError:
        raise ValueError(f"the port is not a number from 1 to 65535; use {URL_FORMS}") from None
    if not parts.hostname:
        raise ValueError(f"the host is missing; use {URL_FORMS}")
    username, password = unquote(parts.username or ""), unquote(parts.password or "")
    if (username or password) and scheme == "smtp":
        raise ValueError("a user and password need smtp+starttls:// or smtps://; over smtp:// they would travel "
                         "in clear text")
    if not (username + password).isascii():
        raise ValueError("the user and password must be ASCII characters (URL-encoded where needed): "
                         "smtplib signs in with ASCII only")
    return SmtpEndpoint(scheme, parts.hostname, port, username, password)


class EmailChannel:
    """Sends e-mail through one SMTP server."""

    name = "email"

    def __init__(self, smtp_url: str, mail_from: str, timeout: float = 10.0,
                 ssl_context: ssl.SSLContext | None = None):
        self.endpoint = parse_smtp_url(smtp_url)
        if "@" not in parseaddr(mail_from)[1]:
            raise ValueError(f"the From address {mail_from!r} is not an e-mail address")
        self.mail_from = mail_from
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

    @classmethod
    def from_settings(cls, settings) -> "EmailChannel | None":
        """The channel the settings describe, or None when mail is disabled (no CABINET_SMTP_URL)."""
        if not settings.smtp_url:
            return None
        return cls(settings.smtp_url, settings.mail_from)

    def __repr__(self) -> str:
        return f"EmailChannel({self.endpoint.masked_url()!r}, mail_from={self.mail_from!r})"

    def build(self, recipient: str, subject: str, body_text: str, body_html: str | None = None,
              reply_to: str | None = None) -> EmailMessage:
        """The message as it will be sent (UTF-8 names and subject become RFC 2047 encoded words)."""
        for what, address in (("recipient", recipient), ("Reply-To", reply_to)):
            if address is not None and "@" not in parseaddr(address)[1]:
                raise DeliveryFailed(temporary=False, reason=f"the {what} {address!r} is not an e-mail address")
        message = EmailMessage(policy=MESSAGE_POLICY)
        try:
            message["From"] = self.mail_from
            message["To"] = recipient
            if reply_to:
                message["Reply-To"] = reply_to
        except ValueError as exc:   # a line break or a malformed address: retrying will not help
            raise DeliveryFailed(temporary=False, reason=f"invalid address header: {exc}") from None
        message["Subject"] = " ".join(subject.split())   # one line, whatever the form put in it
        message["Date"] = format_datetime(datetime.now(timezone.utc))
        message["Message-ID"] = make_msgid(domain=parseaddr(self.mail_from)[1].rpartition("@")[2])
        message.set_content(body_text)
        if body_html:
            message.add_alternative(body_html, subtype="html")
        return message

    def send(self, recipient: str, subject: str, body_text: str, body_html: str | None = None,
             reply_to: str | None = None) -> str:
        """Send one message; return its Message-ID, or raise DeliveryFailed."""
        message = self.build(recipient, subject, body_text, body_html, reply_to)
        where = f"{self.endpoint.host}:{self.endpoint.port}"
        try:
            smtp = self._connect()
            try:
                smtp.send_message(message)
            finally:
                _quit_quietly(smtp)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise DeliveryFailed(temporary=code < 500, reason=f"{where} refused the recipient: {code} "
                                                              f"{_text(reply)}") from None
        except smtplib.SMTPDataError as exc:   # the message itself was refused (5xx), or not now (4xx)
            reason = f"{where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}"
            raise DeliveryFailed(temporary=exc.smtp_code < 500, reason=reason) from None
        except smtplib.SMTPResponseException as exc:
            # Greeting, TLS, sign-in or sender refusals concern the server or our configuration, not this
            # message: retried, so mail queued during a misconfiguration goes out once it is fixed.
            raise DeliveryFailed(temporary=True, reason=f"{where} answered {exc.smtp_code} "
                                                        f"{_text(exc.smtp_error)}") from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryFailed(temporary=True, reason=f"{where} does not support what is needed: {exc}") from None
        except (OSError, smtplib.SMTPException) as exc:   # refused connection, timeout, reset, TLS failure
            # smtplib reports a timeout while reading a reply as a disconnection caused by it.
            timed_out = isinstance(exc, TimeoutError) or isinstance(exc.__context__, TimeoutError)
            reason = (f"{where} did not answer within {self.timeout:g} s" if timed_out
                      else f"cannot talk to {where}: {exc}")
            raise DeliveryFailed(temporary=True, reason=reason) from None
        log.debug("sent %s through %s", message["Message-ID"], self.endpoint.masked_url())
        return message["Message-ID"]

    def _connect(self) -> smtplib.SMTP:
        endpoint = self.endpoint
        smtp: smtplib.SMTP
        if endpoint.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(endpoint.host, endpoint.port, timeout=self.timeout, context=self.ssl_context)
        else:
            smtp = smtplib.SMTP(endpoint.host, endpoint.port, timeout=self.timeout)
        try:
            if endpoint.scheme == "smtp+starttls":
                smtp.starttls(context=self.ssl_context)
            if endpoint.username:
                smtp.login(endpoint.username, endpoint.password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def _quit_quietly(smtp: smtplib.SMTP) -> None:
    # Once the server has accepted the message, a failing QUIT must not turn into a retry (a duplicate).
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
