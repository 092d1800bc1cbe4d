"""Card top-up end to end: the engine served over HTTP (waitress), the sandbox acquirer as its own
process, a browser-like session through the hosted page, and the billing credited once."""
from __future__ import annotations

import re
import time
import uuid
from decimal import Decimal

import pytest
import requests

from tests.conftest import action_forms, html_text
from tests.support.sandbox import free_port, sandbox_process
from tests.support.serving import ThreadedServer, signed_in_session

SECRET = f"engine-test-{uuid.uuid4().hex}"
SUCCESS, DECLINE = "4111 1111 1111 1111", "4000 0000 0000 0002"


@pytest.fixture(scope="module")
def acquirer(tmp_path_factory):
    with sandbox_process(tmp_path_factory.mktemp("acquirer"), SECRET) as base:
        yield base


@pytest.fixture
def served(fresh_postgres_url, make_app, acquirer):
    """(base URL, app) of the engine under waitress on a free port, paying through the acquirer."""
    def serve(**overrides):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        app = make_app(public_url=base, payment_gateway_options={"url": acquirer, "secret": SECRET},
                       database_url=fresh_postgres_url, **overrides)      # its own ledger
        server = ThreadedServer(app, port, threads=4)
        servers.append(server)
        return base, app
    servers = []
    yield serve
    for server in servers:
        server.close()


def top_up_form(session, base: str, amount: str) -> dict:
    page = session.get(base + "/payment/card", timeout=10).text
    assert re.search(r'name="amount"[^>]*value="3146.10"|value="3146.10"[^>]*name="amount"', page), \
        "the amount is prefilled with the recommended payment"
    return {**action_forms(page, "card_top_up")[0], "amount": amount}


def pay_on_the_hosted_page(page_url: str, card: str) -> requests.Response:
    page = requests.get(page_url, timeout=10).text
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    return requests.post(page_url, timeout=10, allow_redirects=False, data={
        "nonce": nonce, "card_number": card, "expiry": "12/39", "cvc": "123", "holder": "IVAN IVANOV"})


def receipt(session, url: str, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        text = session.get(url, timeout=10).text
        if "Waiting" not in text and "Ожидаем" not in text:
            return text
        time.sleep(0.2)
    pytest.fail(f"the payment at {url} was still waiting after {seconds} s")


def test_card_top_up_double_click_pays_once_and_credits_once(served):
    base, app = served()
    billing = app.extensions["cabinet"].binding
    before = billing.account("108842").balance
    session = signed_in_session(base)
    form = top_up_form(session, base, "500.00")
    first = session.post(base + "/actions/card_top_up", data=form, allow_redirects=False, timeout=10)
    second = session.post(base + "/actions/card_top_up", data=form, allow_redirects=False, timeout=10)  # double click
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] and "/pay/" in first.headers["Location"]
    back = pay_on_the_hosted_page(first.headers["Location"], SUCCESS)
    assert back.status_code == 303 and back.headers["Location"].startswith(base + "/payments/")
    page = receipt(session, back.headers["Location"])
    assert "Счёт пополнен" in page and "4111 11" in page
    assert billing.account("108842").balance == before + Decimal("500.00")
    ledger = app.extensions["cabinet"].payments.ledger
    assert [p.status for p in ledger.of_login("demo1")] == ["credited"]


def test_a_declined_card_changes_nothing(served):
    base, app = served()
    billing = app.extensions["cabinet"].binding
    before = billing.account("108842").balance
    session = signed_in_session(base)
    started = session.post(base + "/actions/card_top_up", data=top_up_form(session, base, "300"),
                           allow_redirects=False, timeout=10)
    back = pay_on_the_hosted_page(started.headers["Location"], DECLINE)
    page = receipt(session, back.headers["Location"])
    assert "Платёж не прошёл" in page and "Деньги не списаны" in page
    assert billing.account("108842").balance == before


def test_a_notification_with_a_bad_signature_is_refused(served):
    base, _app = served()
    response = requests.post(base + "/payments/notify", data=b'{"payment_id": "x", "status": "succeeded"}',
                             headers={"Content-Type": "application/json", "X-Sandbox-Signature": "t=1,v1=00"},
                             timeout=10)
    assert response.status_code == 400


def test_amounts_outside_the_operators_limits_are_refused(served):
    base, app = served()
    session = signed_in_session(base)
    response = session.post(base + "/actions/card_top_up", data=top_up_form(session, base, "20000"),
                            allow_redirects=True, timeout=10)
    assert response.status_code == 422 and "«Введите сумму, ₽»: не больше 15\u00a0000." in html_text(response.text)
    assert app.extensions["cabinet"].payments.ledger.of_login("demo1") == []


def test_the_gateway_down_is_a_clear_message_and_nothing_is_paid(fresh_postgres_url, make_app):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(public_url=base, payment_gateway_options={"url": f"http://127.0.0.1:{free_port()}",
                                                             "secret": SECRET}, database_url=fresh_postgres_url)
    server = ThreadedServer(app, port, threads=2)
    try:
        session = signed_in_session(base)
        response = session.post(base + "/actions/card_top_up", data=top_up_form(session, base, "500"), timeout=10)
        assert "Банк не отвечает" in response.text
        assert all(p.status == "created" for p in app.extensions["cabinet"].payments.ledger.of_login("demo1"))
    finally:
        server.close()


def test_a_payment_link_pays_without_signing_in(served, monkeypatch):
    from engine.web.payment_links import payment_link

    base, app = served()
    billing = app.extensions["cabinet"].binding
    before = billing.account("108842").balance
    link = payment_link(app.config["SECRET_KEY"], base, "108842")
    anonymous = requests.Session()
    page = anonymous.get(link, timeout=10).text
    assert 'value="3146.10"' in page and "Пополнение лицевого счёта 108842" in page
    assert "412,50" not in page and "Домашний интернет" not in page            # nothing else of the account
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    started = anonymous.post(link, data={"csrf_token": token, "key": key, "amount": "412.50"},
                             allow_redirects=False, timeout=10)
    again = anonymous.post(link, data={"csrf_token": token, "key": key, "amount": "412.50"},
                           allow_redirects=False, timeout=10)                     # a double click
    assert started.headers["Location"] == again.headers["Location"]
    back = pay_on_the_hosted_page(started.headers["Location"], SUCCESS)
    assert "Счёт пополнен" in receipt(anonymous, back.headers["Location"])
    assert billing.account("108842").balance == before + Decimal("412.50")
    # the link names one account: it cannot show a payment into another, and a forged one is refused
    assert anonymous.get(link + "x", timeout=10).status_code == 404
    other = payment_link(app.config["SECRET_KEY"], base, "108843")
    assert anonymous.get(back.headers["Location"].replace(link, other), timeout=10).status_code == 404


def test_an_old_payment_link_has_expired(served, monkeypatch):
    import itsdangerous.timed

    from engine.web.payment_links import payment_link

    base, app = served()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: 1_000_000_000.0)    # signed long ago
    link = payment_link(app.config["SECRET_KEY"], base, "108842")
    monkeypatch.undo()
    response = requests.get(link, timeout=10)
    assert response.status_code == 410 and "Срок действия ссылки истёк" in response.text


def test_the_receipt_is_e_mailed_to_the_payer_once(fresh_postgres_url, make_app, acquirer, smtp_server):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(public_url=base, payment_gateway_options={"url": acquirer, "secret": SECRET},
                   database_url=fresh_postgres_url, smtp_url=smtp_server.url, mail_poll_seconds=0.1)
    server = ThreadedServer(app, port, threads=4)
    try:
        session = signed_in_session(base)
        started = session.post(base + "/actions/card_top_up", data=top_up_form(session, base, "250"),
                               allow_redirects=False, timeout=10)
        back = pay_on_the_hosted_page(started.headers["Location"], SUCCESS)
        for _ in range(3):
            receipt(session, back.headers["Location"])                  # the page opened three times
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not smtp_server.inbox.messages:
            time.sleep(0.1)
        time.sleep(0.5)
        [letter] = smtp_server.inbox.messages
        assert letter["To"] == "ivan.ivanov@example.ru" and "250.00" in letter.get_content()
    finally:
        server.close()


def test_no_play_acquirer_beside_a_real_billing(make_app):
    app = make_app(binding="tests.support.bindings:RecordingBilling")     # not the demo billing
    assert app.extensions["cabinet"].payments is None
    client = app.test_client()
    assert client.get("/sandbox-acquirer/healthz").status_code == 404
