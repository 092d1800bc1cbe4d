"""The sandbox acquirer as a real separate process (``python -m engine.payments.sandbox``), driven
through ``SandboxGateway`` and a browser's requests, with a local HTTP receiver for its
notifications. A component that cannot be reached fails the test with what went wrong, never skips."""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from engine.payments import (
    GatewayRejected, GatewayUnavailable, InvalidSignature, PaymentRequest, PaymentStatus, gateway_registry,
)
from engine.payments.sandbox import SandboxGateway, create_sandbox_app
from engine.payments.sandbox.signature import HEADER, signature_header

ROOT = Path(__file__).resolve().parent.parent
SECRET = f"sandbox-test-{uuid.uuid4().hex}"
SUCCESS, DECLINE, THREE_DS = "4111 1111 1111 1111", "4000 0000 0000 0002", "4000 0000 0000 3220"
FUTURE = f"12/{(date.today().year + 3) % 100:02d}"
LAST_YEAR = f"01/{(date.today().year - 1) % 100:02d}"


from tests.support.sandbox import free_port, sandbox_process  # noqa: E402


# --- the sandbox process ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """Base URL of a sandbox acquirer running as its own process."""
    with sandbox_process(tmp_path_factory.mktemp("sandbox"), SECRET) as base:
        yield base


# --- the merchant's notification receiver -------------------------------------------------------------
class Receiver:
    """A tiny merchant: records every POST by path and answers 2xx, or 500 as many times as told first."""

    def __init__(self):
        self.received: dict[str, list[tuple[bytes, dict[str, str]]]] = defaultdict(list)
        self.fail_first: dict[str, int] = {}
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.changed:
                    receiver.received[self.path].append((body, dict(self.headers.items())))
                    failing = receiver.fail_first.get(self.path, 0)
                    receiver.fail_first[self.path] = max(failing - 1, 0)
                    receiver.changed.notify_all()
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self):   # the shop's return page
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, path: str, count: int, timeout: float = 15) -> list[tuple[bytes, dict[str, str]]]:
        with self.changed:
            if not self.changed.wait_for(lambda: len(self.received[path]) >= count, timeout):
                pytest.fail(f"expected {count} notification(s) at {path} within {timeout} s, "
                            f"got {len(self.received[path])}")
            return list(self.received[path])

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def gateway(sandbox):
    g = SandboxGateway(url=sandbox, secret=SECRET)
    yield g
    g.close()


def new_request(receiver: Receiver, **overrides) -> PaymentRequest:
    order = f"order-{uuid.uuid4().hex[:12]}"
    fields = dict(payment_id=order, amount=Decimal("150.00"), currency="RUB",
                  description="Пополнение счёта 108842", return_url=f"{receiver.base}/return/{order}",
                  notify_url=f"{receiver.base}/notify/{order}")
    fields.update(overrides)
    return PaymentRequest(**fields)


def notify_path(request: PaymentRequest) -> str:
    return urlsplit(request.notify_url).path


def open_page(url: str) -> tuple[requests.Response, str]:
    page = requests.get(url, timeout=10)
    assert page.status_code == 200, page.text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page.text)
    assert nonce, "the payment form carries no nonce"
    return page, nonce.group(1)


def submit_card(url: str, number: str, expiry: str = FUTURE, cvc: str = "123", holder: str = "IVAN IVANOV",
                save: bool = False) -> requests.Response:
    _, nonce = open_page(url)
    form = {"nonce": nonce, "card_number": number, "expiry": expiry, "cvc": cvc, "holder": holder}
    if save:
        form["save_card"] = "yes"
    return requests.post(url, data=form, timeout=10, allow_redirects=False)


def paid(gateway: SandboxGateway, receiver: Receiver, **overrides):
    """A payment made with the success card; returns the request and its verified notification."""
    request = new_request(receiver, **overrides)
    session = gateway.create_payment(request)
    assert submit_card(session.redirect_url, SUCCESS).status_code == 303
    body, headers = receiver.wait_for(notify_path(request), 1)[0]
    return request, gateway.parse_notification(body, headers)


# --- the payer's way through the hosted page --------------------------------------------------------------
def test_success_card_notifies_signed_and_redirects_back(gateway, receiver, sandbox):
    request = new_request(receiver)
    session = gateway.create_payment(request)
    assert session.status is PaymentStatus.PENDING
    assert session.redirect_url.startswith(f"{sandbox}/pay/")

    page, nonce = open_page(session.redirect_url)
    assert "150,00\u00a0₽" in page.text and "Пополнение счёта 108842" in page.text
    assert "Sandbox — no real money" in page.text
    for name, autocomplete in (("card_number", "cc-number"), ("expiry", "cc-exp"), ("cvc", "cc-csc"),
                               ("holder", "cc-name")):
        assert f'<label for="{name}">' in page.text
        assert re.search(rf'id="{name}"[^>]*autocomplete="{autocomplete}"', page.text)
    assert 'name="save_card"' not in page.text          # not asked for: not offered

    answer = submit_card(session.redirect_url, SUCCESS)
    assert answer.status_code == 303
    back = f"{request.return_url}?payment_id={request.payment_id}&status=succeeded"
    assert answer.headers["Location"] == back

    [(body, headers)] = receiver.wait_for(notify_path(request), 1)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", headers[HEADER])
    note = gateway.parse_notification(body, headers)
    assert note.status is PaymentStatus.SUCCEEDED
    assert (note.payment_id, note.gateway_payment_id) == (request.payment_id, session.gateway_payment_id)
    assert (note.amount, note.currency) == (Decimal("150.00"), "RUB")
    assert note.card_mask == "4111 11•• •••• 1111" and note.card_token is None and note.event_id

    status = gateway.payment_status(session.gateway_payment_id)      # reconciliation agrees, same event
    assert (status.status, status.event_id) == (PaymentStatus.SUCCEEDED, note.event_id)

    form = {"nonce": nonce, "card_number": DECLINE, "expiry": FUTURE, "cvc": "123", "holder": "IVAN IVANOV"}
    again = requests.post(session.redirect_url, data=form, timeout=10)   # paid once: the outcome is shown
    assert again.status_code == 200 and "Оплата прошла" in again.text
    time.sleep(0.5)
    assert len(receiver.received[notify_path(request)]) == 1


def test_decline_card_reports_insufficient_funds(gateway, receiver):
    request = new_request(receiver)
    session = gateway.create_payment(request)
    answer = submit_card(session.redirect_url, DECLINE)
    assert answer.headers["Location"].endswith(f"payment_id={request.payment_id}&status=declined")
    note = gateway.parse_notification(*receiver.wait_for(notify_path(request), 1)[0])
    assert note.status is PaymentStatus.DECLINED
    assert "Недостаточно средств на карте" in note.decline_reason
    assert "Insufficient funds" in note.decline_reason
    outcome = requests.get(session.redirect_url, timeout=10)
    assert "Оплата отклонена" in outcome.text and "Недостаточно средств на карте" in outcome.text


@pytest.mark.parametrize("code, status", [("1234", PaymentStatus.SUCCEEDED),
                                          ("0000", PaymentStatus.DECLINED)])
def test_three_d_secure_challenge(gateway, receiver, code, status):
    request = new_request(receiver)
    session = gateway.create_payment(request)
    answer = submit_card(session.redirect_url, THREE_DS)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith(f"/pay/{session.gateway_payment_id}/3ds")
    challenge_url = session.redirect_url + "/3ds"
    challenge = requests.get(challenge_url, timeout=10)
    assert 'autocomplete="one-time-code"' in challenge.text and '<label for="code">' in challenge.text
    # still the payer's turn: the merchant sees "pending" and has heard nothing
    assert gateway.payment_status(session.gateway_payment_id).status is PaymentStatus.PENDING
    assert receiver.received[notify_path(request)] == []

    nonce = re.search(r'name="nonce" value="([^"]+)"', challenge.text).group(1)
    decided = requests.post(challenge_url, data={"nonce": nonce, "code": code}, timeout=10,
                            allow_redirects=False)
    assert decided.status_code == 303 and decided.headers["Location"].endswith(f"status={status.value}")
    note = gateway.parse_notification(*receiver.wait_for(notify_path(request), 1)[0])
    assert note.status is status and note.card_mask == "4000 00•• •••• 3220"
    if status is PaymentStatus.DECLINED:
        assert "3-D Secure" in note.decline_reason


def test_card_checks_explain_what_to_fix(gateway, receiver):
    request = new_request(receiver)
    session = gateway.create_payment(request)
    typo = submit_card(session.redirect_url, "4111 1111 1111 1112")
    assert typo.status_code == 422 and "Номер карты введён с ошибкой" in typo.text and "Luhn" in typo.text
    expired = submit_card(session.redirect_url, SUCCESS, expiry=LAST_YEAR)
    assert expired.status_code == 422 and "Срок действия карты истёк" in expired.text
    garbled = submit_card(session.redirect_url, SUCCESS, expiry="13/99", cvc="12")
    assert "в виде ММ/ГГ" in garbled.text and "CVC" in garbled.text and 'aria-invalid="true"' in garbled.text
    assert gateway.payment_status(session.gateway_payment_id).status is PaymentStatus.PENDING
    assert receiver.received[notify_path(request)] == []


def test_stale_form_nonce_is_refused(gateway, receiver):
    session = gateway.create_payment(new_request(receiver))
    form = {"nonce": "forged", "card_number": SUCCESS, "expiry": FUTURE, "cvc": "123",
            "holder": "IVAN IVANOV"}
    assert requests.post(session.redirect_url, data=form, timeout=10).status_code == 400
    assert gateway.payment_status(session.gateway_payment_id).status is PaymentStatus.PENDING


def test_a_double_submit_pays_once(gateway, receiver):
    request = new_request(receiver)
    session = gateway.create_payment(request)
    _, nonce = open_page(session.redirect_url)
    form = {"nonce": nonce, "card_number": SUCCESS, "expiry": FUTURE, "cvc": "123", "holder": "IVAN IVANOV"}
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: requests.post(session.redirect_url, data=form, timeout=10,
                                                        allow_redirects=False), range(4)))
    # whoever came second sees the outcome: the page, or the same way back to the shop
    assert all(a.status_code == 200 and "Оплата прошла" in a.text or
               a.status_code == 303 and a.headers["Location"].endswith("status=succeeded") for a in answers)
    receiver.wait_for(notify_path(request), 1)
    time.sleep(0.5)
    assert len(receiver.received[notify_path(request)]) == 1


# --- the merchant API ------------------------------------------------------------------------------------
def test_create_is_idempotent_on_payment_id(gateway, receiver):
    request = new_request(receiver)
    with ThreadPoolExecutor(4) as pool:
        sessions = list(pool.map(lambda _: gateway.create_payment(request), range(4)))
    assert len({s.gateway_payment_id for s in sessions}) == 1 and len({s.redirect_url for s in sessions}) == 1
    changed = PaymentRequest(**{**request.__dict__, "amount": Decimal("151.00")})
    with pytest.raises(GatewayRejected, match="already used"):
        gateway.create_payment(changed)


def test_notification_signature_is_checked(gateway, receiver, sandbox):
    request, note = paid(gateway, receiver)
    body, headers = receiver.received[notify_path(request)][0]
    with pytest.raises(InvalidSignature, match="does not match"):
        gateway.parse_notification(body.replace(b'"150.00"', b'"1500.00"'), headers)
    with pytest.raises(InvalidSignature):
        SandboxGateway(url=sandbox, secret="another-secret").parse_notification(body, headers)
    with pytest.raises(InvalidSignature, match="missing"):
        gateway.parse_notification(body, {})
    assert gateway.parse_notification(body, {HEADER.lower(): headers[HEADER]}).event_id == note.event_id

    stale = signature_header(SECRET, body, int(time.time()) - 11 * 60)
    with pytest.raises(InvalidSignature, match="away from now"):
        gateway.parse_notification(body, {HEADER: stale})
    fresh = signature_header(SECRET, body)                 # the same body signed now passes: it was the age
    assert gateway.parse_notification(body, {HEADER: fresh}).event_id == note.event_id


def test_failed_delivery_is_retried_with_the_same_event(gateway, receiver, sandbox):
    request = new_request(receiver)
    receiver.fail_first[notify_path(request)] = 1          # the merchant answers 500 once
    session = gateway.create_payment(request)
    started = time.monotonic()
    submit_card(session.redirect_url, SUCCESS)
    (first, first_headers), (second, second_headers) = receiver.wait_for(notify_path(request), 2)
    assert time.monotonic() - started >= 0.95               # after the first backoff delay
    assert first == second
    assert gateway.parse_notification(first, first_headers).event_id == \
        gateway.parse_notification(second, second_headers).event_id

    replay = requests.post(f"{sandbox}/api/payments/{session.gateway_payment_id}/notifications",
                           headers={"Authorization": f"Bearer {SECRET}"}, timeout=10)
    assert replay.status_code == 202
    third, third_headers = receiver.wait_for(notify_path(request), 3)[2]
    assert third == first
    assert gateway.parse_notification(third, third_headers).event_id == replay.json()["event_id"]
    time.sleep(0.5)
    assert len(receiver.received[notify_path(request)]) == 3     # delivered: no more retries


def test_refunds_full_partial_over_and_idempotent(gateway, receiver):
    request, note = paid(gateway, receiver, amount=Decimal("100.00"))
    gid = note.gateway_payment_id

    part = gateway.refund(gid, Decimal("30.00"), "refund-1")
    assert part.status is PaymentStatus.PARTIALLY_REFUNDED and part.refunded_amount == Decimal("30.00")
    repeat = gateway.refund(gid, Decimal("30.00"), "refund-1")
    assert repeat.event_id == part.event_id and repeat.refunded_amount == Decimal("30.00")
    with pytest.raises(GatewayRejected, match="already used"):
        gateway.refund(gid, Decimal("31.00"), "refund-1")
    with pytest.raises(GatewayRejected, match="more than the 70.00 RUB that remains"):
        gateway.refund(gid, Decimal("80.00"), "refund-2")

    rest = gateway.refund(gid, Decimal("70.00"), "refund-3")
    assert rest.status is PaymentStatus.REFUNDED and rest.refunded_amount == Decimal("100.00")
    with pytest.raises(GatewayRejected):
        gateway.refund(gid, Decimal("0.01"), "refund-4")

    bodies = receiver.wait_for(notify_path(request), 3)          # the payment, then each refund
    statuses = [gateway.parse_notification(b, h).status for b, h in bodies]
    assert statuses == [PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED]


def test_concurrent_refunds_never_exceed_the_payment(gateway, receiver):
    _, note = paid(gateway, receiver, amount=Decimal("100.00"))

    def attempt(n):
        try:
            return gateway.refund(note.gateway_payment_id, Decimal("20.00"), f"r-{n}")
        except GatewayRejected:
            return None

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(attempt, range(10)))
    assert sum(r is not None for r in results) == 5
    assert gateway.payment_status(note.gateway_payment_id).refunded_amount == Decimal("100.00")


def test_refund_of_an_unpaid_payment_is_refused(gateway, receiver):
    session = gateway.create_payment(new_request(receiver))
    with pytest.raises(GatewayRejected, match="only a succeeded payment"):
        gateway.refund(session.gateway_payment_id, Decimal("1.00"), "r")


def test_saved_card_token_charges_without_the_page(gateway, receiver):
    request = new_request(receiver, save_card=True)
    session = gateway.create_payment(request)
    page, _ = open_page(session.redirect_url)
    assert 'type="checkbox" id="save_card"' in page.text and "без моего участия" in page.text
    submit_card(session.redirect_url, SUCCESS, save=True)
    saved = gateway.parse_notification(*receiver.wait_for(notify_path(request), 1)[0])
    assert saved.card_token and saved.card_mask == "4111 11•• •••• 1111"

    autopay = new_request(receiver, card_token=saved.card_token, amount=Decimal("500.00"))
    charged = gateway.create_payment(autopay)
    assert charged.redirect_url is None and charged.status is PaymentStatus.SUCCEEDED
    note = gateway.parse_notification(*receiver.wait_for(notify_path(autopay), 1)[0])
    assert note.status is PaymentStatus.SUCCEEDED
    assert (note.amount, note.card_mask) == (Decimal("500.00"), saved.card_mask)
    assert gateway.create_payment(autopay).gateway_payment_id == charged.gateway_payment_id   # charged once
    time.sleep(0.3)
    assert len(receiver.received[notify_path(autopay)]) == 1


def test_card_is_saved_only_with_consent(gateway, receiver):
    _, note = paid(gateway, receiver, save_card=True)   # offered, but the box was not ticked
    assert note.card_token is None


def test_unknown_token_is_declined(gateway, receiver):
    request = new_request(receiver, card_token="tok_never_issued")
    session = gateway.create_payment(request)
    assert session.status is PaymentStatus.DECLINED and session.redirect_url is None
    note = gateway.parse_notification(*receiver.wait_for(notify_path(request), 1)[0])
    assert note.status is PaymentStatus.DECLINED and note.decline_reason


def test_unreachable_gateway_is_unavailable_at_its_refusal(receiver):
    down = SandboxGateway(url=f"http://127.0.0.1:{free_port()}", secret=SECRET)   # nothing listens there
    # the refusal itself is reported, not a timeout waited out ("did not answer in ... s")
    with pytest.raises(GatewayUnavailable, match=r"cannot be reached \(connection refused\)"):
        down.create_payment(new_request(receiver))
    with pytest.raises(GatewayUnavailable, match=r"cannot be reached \(connection refused\)"):
        down.payment_status("pay_x")


def test_wrong_secret_and_unknown_payment_are_rejected(gateway, receiver, sandbox, caplog):
    caplog.set_level("DEBUG")
    with pytest.raises(GatewayRejected, match="secret"):
        SandboxGateway(url=sandbox, secret="wrong").create_payment(new_request(receiver))
    with pytest.raises(GatewayRejected, match="no payment"):
        gateway.payment_status("pay_unknown")
    assert SECRET not in caplog.text and SECRET not in repr(gateway)


def test_registry_and_options():
    registry = gateway_registry()
    assert registry.get("sandbox") is SandboxGateway
    options = SandboxGateway.options_schema().load({"url": "http://127.0.0.1:8090", "secret": "s"})
    assert options == {"url": "http://127.0.0.1:8090", "secret": "s"}


@pytest.mark.parametrize("amount", ["10.001", "0", 10.5])
def test_payment_request_needs_an_exact_positive_amount(amount):
    with pytest.raises(ValueError):
        PaymentRequest(payment_id="p", amount=amount, currency="RUB", description="", return_url="http://127.0.0.1/r",
                       notify_url="http://127.0.0.1/n")


def test_unpaid_payment_expires_and_is_reported(tmp_path, receiver):
    """In-process (a short lifetime cannot be given to the shared process without hurting other tests)."""
    app = create_sandbox_app(f"sqlite:///{tmp_path / 'sandbox.sqlite'}", SECRET, "http://127.0.0.1:1",
                             payment_ttl=0.3)
    try:
        client = app.test_client()
        auth = {"Authorization": f"Bearer {SECRET}"}
        request = new_request(receiver)
        created = client.post("/api/payments", headers=auth, json={
            "payment_id": request.payment_id, "amount": "150.00", "currency": "RUB", "description": "",
            "return_url": request.return_url, "notify_url": request.notify_url}).get_json()
        body, _ = receiver.wait_for(notify_path(request), 1, timeout=5)[0]    # nobody had to look
        assert json.loads(body)["payment"]["status"] == "expired"
        page = client.get(f"/pay/{created['id']}")
        assert page.status_code == 200 and "Время на оплату истекло" in page.get_data(as_text=True)
        assert client.get(f"/api/payments/{created['id']}", headers=auth).get_json()["status"] == "expired"
        time.sleep(0.5)
        assert len(receiver.received[notify_path(request)]) == 1                     # expired once
    finally:
        app.extensions["sandbox"].acquirer.close()
