"""Autopay in the cabinet, end to end: the engine under waitress, the sandbox acquirer as its own
process, a real SMTP server. The subscriber agrees, pays once with the card to save, the rule
charges when the balance is low (once a day), a failure is e-mailed, and one click turns it off."""
from __future__ import annotations

import re
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
import requests

from tests.conftest import action_forms, html_text
from tests.support.sandbox import free_port, sandbox_process
from tests.support.serving import ThreadedServer, signed_in_session

SECRET = f"autopay-cabinet-{uuid.uuid4().hex}"
CARD = "4111 1111 1111 1111"
PAYER = "ivan.ivanov@example.ru"          # the payer e-mail of account 108842 in the demo billing


@pytest.fixture(scope="module")
def acquirer(tmp_path_factory):
    with sandbox_process(tmp_path_factory.mktemp("acquirer"), SECRET) as base:
        yield base


@pytest.fixture
def cabinet(fresh_postgres_url, make_app, acquirer, smtp_server):
    """(base URL, app) of the engine paying through the acquirer and mailing to the SMTP server."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(public_url=base, payment_gateway_options={"url": acquirer, "secret": SECRET},
                   database_url=fresh_postgres_url, smtp_url=smtp_server.url, mail_poll_seconds=0.1,
                   autopay_seconds=3600)          # the tests run the rounds themselves
    server = ThreadedServer(app, port, threads=4)
    yield base, app
    server.close()


def set_up(session, base: str, **values) -> requests.Response:
    page = session.get(base + "/payment/autopay", timeout=10).text
    form = {**action_forms(page, "autopay_setup")[0], "trigger": "below_threshold", "threshold": "1000",
            "amount": "700.00", "consent": "1", **values}
    return session.post(base + "/actions/autopay_setup", data=form, allow_redirects=False, timeout=10)


def pay(page_url: str, save_card: bool) -> requests.Response:
    page = requests.get(page_url, timeout=10).text
    assert "Сохранить карту" in page, "the bank's page asks for the payer's consent to save the card"
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    form = {"nonce": nonce, "card_number": CARD, "expiry": "12/39", "cvc": "123", "holder": "IVAN IVANOV"}
    if save_card:
        form["save_card"] = "yes"
    return requests.post(page_url, data=form, allow_redirects=False, timeout=10)


def settled(session, url: str, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        html = session.get(url, timeout=10).text
        if "Ожидаем" not in html:
            return html_text(html)
        time.sleep(0.2)
    pytest.fail(f"the payment at {url} was still waiting after {seconds} s")


def run_round(app, today: date):
    from engine.web.autopay_job import run_autopay
    with app.app_context():
        return run_autopay(today)


def letters(smtp_server, count: int, seconds: float = 10) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(smtp_server.inbox.messages) < count:
        time.sleep(0.1)
    time.sleep(0.3)                            # and no more than that
    return list(smtp_server.inbox.messages)


def test_autopay_needs_consent_saves_the_card_charges_once_a_day_and_turns_off_in_one_click(cabinet, smtp_server):
    base, app = cabinet
    billing = app.extensions["cabinet"].binding
    session = signed_in_session(base)
    page = html_text(session.get(base + "/payment", timeout=10).text)
    assert "Автоплатёж" in page                                          # a way of paying on the payment screen

    refused = set_up(session, base, consent="")
    assert refused.status_code == 422                                    # the same page, said at the checkbox
    assert "Отметьте «Согласен, что счёт будет пополняться" in html_text(refused.text)

    before = billing.account("108842").balance
    started = set_up(session, base)
    assert started.status_code == 302 and "/pay/" in started.headers["Location"]
    assert "Ждём подтверждения банка" in html_text(session.get(base + "/payment/autopay", timeout=10).text)
    back = pay(started.headers["Location"], save_card=True)
    receipt = settled(session, back.headers["Location"])
    assert "Счёт пополнен" in receipt and "Автоплатёж подключён" in receipt and "4111 11" in receipt
    assert billing.account("108842").balance == before + Decimal("700.00")      # the first top-up

    page = html_text(session.get(base + "/payment/autopay", timeout=10).text)
    assert "Автоплатёж подключён" in page and "4111 11" in page and "1\u00a0000,00\u00a0₽" in page
    assert "Отключить автоплатёж" in page and "Как работает автоплатёж" not in page

    today = date.today()
    assert run_round(app, today) == []                   # today's top-up was the set-up payment itself
    tomorrow = today + timedelta(days=1)
    [charge] = run_round(app, tomorrow)                  # 287.50 is below 1 000: charged from the saved card
    assert charge.status == "credited" and charge.purpose == "autopay"
    assert run_round(app, tomorrow) == []                # once a day, however often the round runs
    assert billing.account("108842").balance == before + Decimal("1400.00")
    receipts = [m for m in letters(smtp_server, 2) if m["To"] == PAYER]
    assert len(receipts) == 2 and all("700.00" in m.get_content() for m in receipts)

    page = session.get(base + "/payment/autopay", timeout=10).text
    off = session.post(base + "/actions/autopay_off", data=action_forms(page, "autopay_off")[0], timeout=10)
    assert "Автоплатёж отключён" in html_text(off.text)                     # one click, no further step
    assert "Как работает автоплатёж" in html_text(off.text)                 # the set-up form is back
    assert run_round(app, tomorrow + timedelta(days=1)) == []


def test_a_card_not_saved_on_the_banks_page_leaves_autopay_off(cabinet):
    base, app = cabinet
    session = signed_in_session(base)
    back = pay(set_up(session, base).headers["Location"], save_card=False)
    receipt = settled(session, back.headers["Location"])
    assert "Счёт пополнен" in receipt and "Карта не сохранена" in receipt
    page = html_text(session.get(base + "/payment/autopay", timeout=10).text)
    assert "Карта не сохранилась" in page and "Отключить автоплатёж" not in page
    assert run_round(app, date.today() + timedelta(days=1)) == []


def test_a_failed_charge_is_e_mailed_once_and_shown_in_the_cabinet(cabinet, smtp_server):
    base, app = cabinet
    autopay = app.extensions["cabinet"].payments.autopay
    autopay.save(login="demo1", account_id="108842", card_token="tok_revoked_by_the_bank",
                 card_mask="5555 55•• •••• 4444", threshold=Decimal("5000.00"), amount=Decimal("300.00"))
    before = app.extensions["cabinet"].binding.account("108842").balance
    [failed] = run_round(app, date.today())
    assert failed.status == "declined"
    assert app.extensions["cabinet"].binding.account("108842").balance == before
    [letter] = letters(smtp_server, 1)
    assert letter["To"] == PAYER and "108842" in letter["Subject"]
    assert "300.00" in letter.get_content() and "5555 55" in letter.get_content()
    page = html_text(signed_in_session(base).get(base + "/payment/autopay", timeout=10).text)
    assert "Последнее автопополнение не прошло" in page


def test_autopay_for_someone_elses_account_does_not_exist(cabinet):
    base, app = cabinet
    session = signed_in_session(base)
    response = set_up(session, base, account="108900")                   # demo3's account
    assert response.status_code == 404
    assert app.extensions["cabinet"].payments.autopay.rule("108900") is None
    assert session.get(base + "/payment/autopay?account=108900", timeout=10).status_code == 404
