"""E-mail: the SMTP channel and the outbox, against a real SMTP server (aiosmtpd) started here."""
from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from engine.config import ConfigError, load_settings
from engine.notify import DeliveryFailed, channel_registry
from engine.notify.email import EmailChannel
from engine.state import Database
from engine.state.outbox import FAILED, PENDING, SENT, Outbox

from tests.support.smtp import GREYLISTED, REFUSED, Inbox, SmtpServer

LOGIN, PASSWORD = "cabinet", "S3cr/et p@ss:w%rd#"
PASSWORD_IN_URL = "S3cr%2Fet%20p%40ss%3Aw%25rd%23"


@pytest.fixture
def server():
    smtp = SmtpServer(Inbox()).start()
    yield smtp
    smtp.stop()


@pytest.fixture
def channel(server):
    return EmailChannel(server.url, "Кабинет <noreply@example.org>")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.sqlite'}"
    return request.getfixturevalue("fresh_postgres_url")


@pytest.fixture
def db(database_url):
    database = Database(database_url)
    database.create_all()
    yield database
    database.dispose()


def utc(moment: datetime) -> datetime:
    """SQLite gives stored times back without a zone; they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


# --- the channel ------------------------------------------------------------------------------

def test_russian_subject_names_and_bodies_arrive_intact(server, channel):
    message_id = channel.send("Иван Иванов <ivan@example.org>", "Заявка «Стать клиентом» №42",
                              "Здравствуйте!\nПерезвоните, пожалуйста: +7 900 000-00-00.",
                              body_html="<p>Здравствуйте! <b>Перезвоните</b></p>",
                              reply_to="Пётр Сидоров <petr@example.org>")

    [received] = server.inbox.messages
    assert received["Subject"] == "Заявка «Стать клиентом» №42"
    assert received["From"].addresses[0].display_name == "Кабинет"
    assert received["From"].addresses[0].addr_spec == "noreply@example.org"
    assert received["To"].addresses[0].display_name == "Иван Иванов"
    assert received["Reply-To"].addresses[0].display_name == "Пётр Сидоров"
    assert received["Reply-To"].addresses[0].addr_spec == "petr@example.org"
    assert received["Message-ID"] == message_id and message_id.endswith("@example.org>")
    assert received["Date"].datetime.tzinfo is not None
    text = received.get_body(("plain",)).get_content()
    assert text.splitlines() == ["Здравствуйте!", "Перезвоните, пожалуйста: +7 900 000-00-00."]
    assert received.get_body(("html",)).get_content().strip() == "<p>Здравствуйте! <b>Перезвоните</b></p>"


def test_a_text_only_message_has_no_html_part_and_no_reply_to(server, channel):
    channel.send("ivan@example.org", "Password reset", "https://cabinet.example.org/reset/abc")
    [received] = server.inbox.messages
    assert received.get_content_type() == "text/plain"
    assert received["Reply-To"] is None
    assert received.get_content().strip() == "https://cabinet.example.org/reset/abc"


def test_a_line_break_in_the_subject_cannot_add_headers(server, channel):
    channel.send("ivan@example.org", "Hello\r\nBcc: victim@example.org", "body")
    [received] = server.inbox.messages
    assert received["Subject"] == "Hello Bcc: victim@example.org"
    assert received["Bcc"] is None


def test_failures_say_whether_a_retry_may_help(server, channel):
    with pytest.raises(DeliveryFailed) as refused:
        channel.send(REFUSED, "s", "b")
    assert refused.value.temporary is False
    assert "550 5.1.1 <nobody@example.org>: mailbox unavailable" in refused.value.reason

    with pytest.raises(DeliveryFailed) as greylisted:
        channel.send(GREYLISTED, "s", "b")
    assert greylisted.value.temporary is True and "451" in greylisted.value.reason

    with pytest.raises(DeliveryFailed) as not_an_address:
        channel.send("ivan.example.org", "s", "b")
    assert not_an_address.value.temporary is False

    server.stop()
    with pytest.raises(DeliveryFailed) as down:
        channel.send("ivan@example.org", "s", "b")
    assert down.value.temporary is True and f"127.0.0.1:{server.port}" in down.value.reason
    assert server.inbox.messages == []


def test_a_server_that_does_not_answer_is_a_temporary_failure():
    with socket.socket() as silent:   # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        channel = EmailChannel(f"smtp://127.0.0.1:{silent.getsockname()[1]}", "noreply@example.org", timeout=0.5)
        with pytest.raises(DeliveryFailed) as timed_out:
            channel.send("ivan@example.org", "s", "b")
    assert timed_out.value.temporary is True
    assert "did not answer within 0.5 s" in timed_out.value.reason


# --- TLS and sign-in ---------------------------------------------------------------------------

def self_signed_certificate(folder):
    """A certificate for 127.0.0.1 (and its key) made here, so TLS is verified for real."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def check_password(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == LOGIN.encode()
          and auth_data.password == PASSWORD.encode())
    return AuthResult(success=ok, handled=False)


@pytest.fixture
def tls(tmp_path):
    """(the server's TLS context, a client context that trusts the server's certificate)."""
    cert_path, key_path = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    return server_context, ssl.create_default_context(cafile=str(cert_path))


@pytest.fixture
def starttls_server(tls):
    smtp = SmtpServer(Inbox(), tls_context=tls[0], require_starttls=True, auth_required=True,
                      authenticator=check_password).start()
    yield smtp
    smtp.stop()


def test_starttls_with_sign_in_delivers(starttls_server, tls):
    channel = EmailChannel(f"smtp+starttls://{LOGIN}:{PASSWORD_IN_URL}@127.0.0.1:{starttls_server.port}",
                           "noreply@example.org", ssl_context=tls[1])
    assert channel.endpoint.password == PASSWORD   # URL-decoded
    channel.send("ivan@example.org", "Пароль", "Ссылка для входа")
    assert starttls_server.inbox.subjects() == ["Пароль"]


def test_a_wrong_password_is_a_temporary_failure(starttls_server, tls):
    # A configuration mistake must not drop the queued mail: it goes out once the password is fixed.
    channel = EmailChannel(f"smtp+starttls://{LOGIN}:wrong@127.0.0.1:{starttls_server.port}",
                           "noreply@example.org", ssl_context=tls[1])
    with pytest.raises(DeliveryFailed) as refused:
        channel.send("ivan@example.org", "s", "b")
    assert refused.value.temporary is True and "535" in refused.value.reason
    assert starttls_server.inbox.messages == []


def test_an_untrusted_certificate_is_refused(starttls_server):
    channel = EmailChannel(f"smtp+starttls://{LOGIN}:{PASSWORD_IN_URL}@127.0.0.1:{starttls_server.port}",
                           "noreply@example.org")   # the system's trust store does not know the test certificate
    with pytest.raises(DeliveryFailed) as untrusted:
        channel.send("ivan@example.org", "s", "b")
    assert untrusted.value.temporary is True and "CERTIFICATE_VERIFY_FAILED" in untrusted.value.reason
    assert starttls_server.inbox.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtps_with_sign_in_delivers(tls):
    # auth_require_tls=False: aiosmtpd counts only STARTTLS as TLS, but this connection is TLS from the start.
    smtp = SmtpServer(Inbox(), ssl_context=tls[0], auth_required=True, auth_require_tls=False,
                      authenticator=check_password).start()
    try:
        channel = EmailChannel(f"smtps://{LOGIN}:{PASSWORD_IN_URL}@127.0.0.1:{smtp.port}", "noreply@example.org",
                               ssl_context=tls[1])
        channel.send("ivan@example.org", "Через TLS", "тело")
    finally:
        smtp.stop()
    assert smtp.inbox.subjects() == ["Через TLS"]


def test_the_password_is_never_shown(starttls_server, tls, db, caplog):
    url = f"smtp+starttls://{LOGIN}:{PASSWORD_IN_URL}@127.0.0.1:{starttls_server.port}"
    channel = EmailChannel(url, "noreply@example.org", ssl_context=tls[1])
    wrong = EmailChannel(url.replace(PASSWORD_IN_URL, PASSWORD_IN_URL + "x"), "noreply@example.org",
                         ssl_context=tls[1])
    outbox = Outbox(db)
    with caplog.at_level(logging.DEBUG):
        retried_id = outbox.enqueue("ivan@example.org", "one", "b")
        assert outbox.deliver_due(wrong) == (0, 1, 0)           # refused sign-in: logged, retried
        sign_in_error = outbox.get(retried_id).last_error
        failed_id = outbox.enqueue(REFUSED, "two", "b")
        outbox.enqueue("ivan@example.org", "three", "b")
        later = datetime.now(timezone.utc) + timedelta(hours=1)
        assert outbox.deliver_due(channel, now=later) == (2, 0, 1)

    shown = [repr(channel), str(channel), repr(channel.endpoint), repr(wrong), str(wrong)]
    shown += [caplog.text] + [record.getMessage() for record in caplog.records]
    shown += [sign_in_error, outbox.get(failed_id).last_error]
    assert "535" in sign_in_error
    assert f"through smtp+starttls://{LOGIN}:***@127.0.0.1:{starttls_server.port}" in caplog.text
    for text in shown:
        for secret in (PASSWORD, PASSWORD_IN_URL, "S3cr"):
            assert secret not in text, text
    assert f"{LOGIN}:***@127.0.0.1:{starttls_server.port}" in repr(channel)


# --- the outbox --------------------------------------------------------------------------------

def test_enqueue_then_deliver_sends_once(server, channel, db):
    outbox = Outbox(db)
    message_id = outbox.enqueue("support@example.org", "Обращение в поддержку", "Не работает интернет",
                                reply_to="Иван <ivan@example.org>")
    assert outbox.pending_count() == 1
    assert server.inbox.messages == []   # queuing sends nothing: the page never waits for SMTP

    assert outbox.deliver_due(channel) == (1, 0, 0)
    assert outbox.deliver_due(channel) == (0, 0, 0)
    assert outbox.deliver_due(channel, now=datetime.now(timezone.utc) + timedelta(days=1)) == (0, 0, 0)

    assert server.inbox.subjects() == ["Обращение в поддержку"]
    assert server.inbox.messages[0]["Reply-To"].addresses[0].addr_spec == "ivan@example.org"
    stored = outbox.get(message_id)
    assert (stored.status, stored.attempts, stored.last_error) == (SENT, 1, "")
    assert stored.sent_at is not None
    assert outbox.pending_count() == 0


def test_only_the_channels_own_messages_are_delivered(server, channel, db):
    outbox = Outbox(db)
    outbox.enqueue("+79000000000", "sms", "text", channel="sms")
    assert outbox.deliver_due(channel) == (0, 0, 0)
    assert outbox.pending_count() == 1


def test_a_stopped_server_delays_the_message_with_backoff_and_never_loses_it(server, channel, db):
    outbox = Outbox(db, retry_seconds=30)
    server.stop()
    message_id = outbox.enqueue("sales@example.org", "Стать клиентом", "Хочу подключиться")
    start = datetime.now(timezone.utc) + timedelta(seconds=1)

    assert outbox.deliver_due(channel, now=start) == (0, 1, 0)
    stored = outbox.get(message_id)
    assert (stored.status, stored.attempts) == (PENDING, 1)
    assert utc(stored.next_attempt_at) == start + timedelta(seconds=30)
    assert f"cannot talk to 127.0.0.1:{server.port}" in stored.last_error

    assert outbox.deliver_due(channel, now=start + timedelta(seconds=29)) == (0, 0, 0)   # not due yet
    assert outbox.deliver_due(channel, now=start + timedelta(seconds=30)) == (0, 1, 0)
    stored = outbox.get(message_id)
    assert stored.attempts == 2
    assert utc(stored.next_attempt_at) == start + timedelta(seconds=30 + 60)   # the delay doubled

    server.start()   # the server is back, on the same port
    assert outbox.deliver_due(channel, now=start + timedelta(seconds=90)) == (1, 0, 0)
    assert server.inbox.subjects() == ["Стать клиентом"]
    stored = outbox.get(message_id)
    assert (stored.status, stored.attempts, stored.last_error) == (SENT, 3, "")
    assert outbox.pending_count() == 0


def test_one_call_sends_at_most_a_batch_oldest_first(server, channel, db):
    outbox = Outbox(db)
    for n in range(5):
        outbox.enqueue("ivan@example.org", f"message {n}", "b")
    assert outbox.deliver_due(channel, batch=2) == (2, 0, 0)
    assert server.inbox.subjects() == ["message 0", "message 1"]
    assert outbox.pending_count() == 3


def test_backoff_doubles_and_is_capped_at_an_hour(db):
    outbox = Outbox(db, retry_seconds=30)
    assert [outbox.retry_delay(n) for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_refused_recipient_fails_with_the_reason_and_the_rest_go_out(server, channel, db):
    outbox = Outbox(db)
    refused_id = outbox.enqueue(REFUSED, "to nobody", "b")
    outbox.enqueue("ivan@example.org", "to ivan", "b")

    assert outbox.deliver_due(channel) == (1, 0, 1)
    stored = outbox.get(refused_id)
    assert stored.status == FAILED and stored.attempts == 1
    assert "550 5.1.1 <nobody@example.org>: mailbox unavailable" in stored.last_error
    assert server.inbox.subjects() == ["to ivan"]
    assert outbox.deliver_due(channel, now=datetime.now(timezone.utc) + timedelta(days=1)) == (0, 0, 0)


def test_a_4xx_reply_is_retried_and_max_attempts_ends_it(server, channel, db):
    outbox = Outbox(db, retry_seconds=1)
    message_id = outbox.enqueue(GREYLISTED, "s", "b")
    moment = datetime.now(timezone.utc)
    assert outbox.deliver_due(channel, now=moment, max_attempts=3) == (0, 1, 0)
    assert outbox.deliver_due(channel, now=moment + timedelta(seconds=1), max_attempts=3) == (0, 1, 0)
    assert outbox.deliver_due(channel, now=moment + timedelta(seconds=3), max_attempts=3) == (0, 0, 1)
    stored = outbox.get(message_id)
    assert (stored.status, stored.attempts) == (FAILED, 3)
    assert "451 4.7.1 greylisted" in stored.last_error


def test_a_dedup_key_stores_the_message_once(server, channel, db):
    outbox = Outbox(db)
    first = outbox.enqueue("support@example.org", "Обращение №7", "b", dedup_key="support-request:7")
    again = outbox.enqueue("support@example.org", "Обращение №7", "b", dedup_key="support-request:7")
    other = outbox.enqueue("support@example.org", "Обращение №8", "b", dedup_key="support-request:8")
    assert first == again != other
    assert outbox.pending_count() == 2
    assert outbox.deliver_due(channel) == (2, 0, 0)
    assert outbox.enqueue("support@example.org", "Обращение №7", "b", dedup_key="support-request:7") == first
    assert outbox.deliver_due(channel) == (0, 0, 0)
    assert sorted(server.inbox.subjects()) == ["Обращение №7", "Обращение №8"]


def test_two_processes_delivering_at_once_never_send_a_message_twice(database_url):
    smtp = SmtpServer(Inbox(delay=0.02)).start()
    setup = Database(database_url)
    setup.create_all()
    total = 30
    for n in range(total):
        Outbox(setup).enqueue("ivan@example.org", f"message {n}", "b")
    setup.dispose()

    channel = EmailChannel(smtp.url, "noreply@example.org")
    start_together = threading.Barrier(2)
    sent_by = [0, 0]
    errors = []

    def engine_process(index: int) -> None:
        db = Database(database_url)   # its own engine and connections, as in a second process
        try:
            outbox = Outbox(db)
            start_together.wait()
            while outbox.pending_count():   # includes what the other one has claimed and is sending
                sent, retried, failed = outbox.deliver_due(channel, batch=3)
                assert (retried, failed) == (0, 0)
                sent_by[index] += sent
                if not sent:
                    time.sleep(0.005)   # all due messages are claimed by the other one; look again soon
        except Exception as exc:  # reported below; a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            db.dispose()

    threads = [threading.Thread(target=engine_process, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    smtp.stop()

    assert not errors, errors
    subjects = smtp.inbox.subjects()
    assert len(subjects) == total, f"received {len(subjects)} messages for {total} queued"
    assert sorted(subjects) == sorted(f"message {n}" for n in range(total))
    assert sum(sent_by) == total
    assert all(sent_by), f"both must have taken part: {sent_by}"


def test_enqueue_refuses_an_empty_recipient(db):
    with pytest.raises(ValueError):
        Outbox(db).enqueue("", "s", "b")


# --- registry and settings ---------------------------------------------------------------------

def test_the_channel_registry_has_email():
    registry = channel_registry()
    assert registry.get("email") is EmailChannel
    assert channel_registry() is not registry   # a new one per call: apps never share it


def test_mail_needs_the_public_address_for_its_links(tmp_path):
    with pytest.raises(ConfigError, match="CABINET_PUBLIC_URL"):
        load_settings({"CABINET_SMTP_URL": "smtp://127.0.0.1:2525"}, instance_dir=tmp_path)


def test_settings_for_mail(tmp_path):
    settings = load_settings({}, instance_dir=tmp_path)
    assert (settings.smtp_url, settings.mail_from, settings.mail_retry_seconds) == (
        "", "Cabinet <noreply@localhost>", 30.0)
    assert EmailChannel.from_settings(settings) is None   # mail disabled

    url = f"smtps://{LOGIN}:{PASSWORD_IN_URL}@mail.example.org"
    settings = load_settings({"CABINET_SMTP_URL": url, "CABINET_MAIL_FROM": "Кабинет <noreply@example.org>",
                              "CABINET_MAIL_RETRY_SECONDS": "60", "CABINET_PUBLIC_URL": "https://lk.example.org"},
                             instance_dir=tmp_path)
    assert settings.smtp_url == url and settings.mail_retry_seconds == 60
    assert PASSWORD_IN_URL not in repr(settings)
    assert EmailChannel.from_settings(settings).endpoint.port == 465


@pytest.mark.parametrize("url, problem", [
    ("http://mail.example.org", "CABINET_SMTP_URL: the scheme http:// is not supported; use smtp://host:port, "
                                "smtp+starttls://user:password@host:587 or smtps://user:password@host:465"),
    (f"smtp://{LOGIN}:{PASSWORD_IN_URL}@mail.example.org", "CABINET_SMTP_URL: a user and password need "
                                                           "smtp+starttls:// or smtps://"),
    ("smtp+starttls://", "CABINET_SMTP_URL: the host is missing"),
])
def test_a_bad_smtp_url_is_named_without_its_password(tmp_path, url, problem):
    with pytest.raises(ConfigError) as error:
        load_settings({"CABINET_SMTP_URL": url}, instance_dir=tmp_path)
    assert problem in str(error.value)
    assert PASSWORD_IN_URL not in str(error.value) and PASSWORD not in str(error.value)


def test_bad_mail_settings_are_reported_together(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_settings({"CABINET_MAIL_FROM": "noreply", "CABINET_MAIL_RETRY_SECONDS": "0.5"}, instance_dir=tmp_path)
    assert "CABINET_MAIL_FROM: 'noreply' is not an e-mail address" in str(error.value)
    assert "CABINET_MAIL_RETRY_SECONDS:" in str(error.value)
