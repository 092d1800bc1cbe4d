"""Support requests and applications to become a client: stored, e-mailed through the outbox to a
real SMTP server, one per submitted form, open to guests behind a rate limit and a honeypot."""
from __future__ import annotations

import re
import time

from sqlalchemy import select

from engine.state.requests import ClientApplication, SupportRequest
from tests.conftest import action_forms, csrf_token, page_text, sign_in


def _form(html: str, action: str) -> dict:
    return action_forms(html, action)[0]


def _input_value(html: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
    return re.search(r'value="([^"]*)"', tag).group(1)


def _received(server, count: int, seconds: float = 10.0) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(server.inbox.messages) < count:
        time.sleep(0.05)
    return list(server.inbox.messages)


def _rows(app, model):
    with app.extensions["cabinet"].db.session() as session:
        return list(session.scalars(select(model)))


def test_support_request_with_the_account_prefilled_is_stored_and_mailed_once(fresh_postgres_url, make_app,
                                                                              smtp_server):
    app = make_app(smtp_url=smtp_server.url, mail_poll_seconds=0.1, database_url=fresh_postgres_url)
    client = app.test_client()
    sign_in(client)
    html = client.get("/support").get_data(as_text=True)
    assert _input_value(html, "account_number") == "108842"                 # prefilled
    form = {**_form(html, "support_request"), "csrf_token": csrf_token(html), "account_number": "108842",
            "email": "ivan@example.org", "phone": "+7 916 123-45-67", "message": "Не работает ТВ-приставка"}
    first = client.post("/actions/support_request", data=form)
    again = client.post("/actions/support_request", data=form)              # a double submit
    assert first.status_code == again.status_code == 302
    assert re.search(r"Обращение №\d+ отправлено", page_text(client.get(first.headers["Location"])))
    [letter] = _received(smtp_server, 1)
    time.sleep(0.3)
    assert len(smtp_server.inbox.messages) == 1                             # one letter, one row
    assert letter["To"] == "support@demo-telecom.example" and letter["Reply-To"] == "ivan@example.org"
    assert "Не работает ТВ-приставка" in letter.get_content() and "108842" in letter.get_content()
    [row] = _rows(app, SupportRequest)
    assert (row.login, row.account_number, row.email) == ("demo1", "108842", "ivan@example.org")


def test_support_form_works_without_signing_in_and_checks_its_input(fresh_postgres_url, make_app, smtp_server):
    client = make_app(smtp_url=smtp_server.url, mail_poll_seconds=0.1, database_url=fresh_postgres_url).test_client()
    login = client.get("/login").get_data(as_text=True)
    assert 'href="/support"' in login and 'href="/join"' in login           # from the sign-in page
    html = client.get("/support").get_data(as_text=True)
    assert _input_value(html, "account_number") == ""
    form = {**_form(html, "support_request"), "csrf_token": csrf_token(html)}
    bad = client.post("/actions/support_request", data={**form, "email": "not-an-address", "message": "Мой вопрос"})
    assert bad.status_code == 422                           # the same page, the message at the input
    assert "«E-mail»: введите адрес почты, например name@example.org." in page_text(bad)
    assert 'value="not-an-address"' in bad.get_data(as_text=True) and "Мой вопрос" in page_text(bad)
    good = client.post("/actions/support_request", data={**form, "email": "guest@example.org",
                                                          "message": "Хочу узнать про тарифы"})
    assert "отправлено" in page_text(client.get(good.headers["Location"]))
    assert "Хочу узнать про тарифы" in _received(smtp_server, 1)[0].get_content()


def test_become_a_client_is_stored_mailed_to_sales_and_robots_are_ignored(fresh_postgres_url, make_app,
                                                                          smtp_server):
    app = make_app(smtp_url=smtp_server.url, mail_poll_seconds=0.1, database_url=fresh_postgres_url)
    client = app.test_client()
    html = client.get("/join").get_data(as_text=True)
    assert 'class="honeypot" aria-hidden="true"' in html
    form = {**_form(html, "become_client"), "csrf_token": csrf_token(html), "name": "Анна Петрова",
            "phone": "+7 903 111-22-33", "address": "ул. Ленина, 12, кв. 3", "service": "internet"}
    robot = client.post("/actions/become_client", data={**form, "website": "http://spam.example", "_key": "r"})
    assert "Спасибо" in page_text(client.get(robot.headers["Location"]))    # looks the same to a robot
    person = client.post("/actions/become_client", data={**form, "website": ""})
    assert "Заявка принята" in page_text(client.get(person.headers["Location"]))
    [letter] = _received(smtp_server, 1)
    assert letter["To"] == "sales@demo-telecom.example" and "Анна Петрова" in letter.get_content()
    assert [r.name for r in _rows(app, ClientApplication)] == ["Анна Петрова"]


def test_public_forms_are_rate_limited_for_guests(make_app):
    client = make_app(public_form_rate="2 per minute").test_client()
    html = client.get("/join").get_data(as_text=True)
    form = {**_form(html, "become_client"), "csrf_token": csrf_token(html), "name": "A", "phone": "+7 903 111-22-33",
            "address": "x", "service": "tv"}
    codes = [client.post("/actions/become_client", data={**form, "_key": str(n)}).status_code for n in range(3)]
    assert codes == [302, 302, 429]


def test_mail_outage_keeps_the_request(fresh_postgres_url, make_app):
    from engine.state.outbox import OutboxMessage

    app = make_app(database_url=fresh_postgres_url)                         # no SMTP configured
    client = app.test_client()
    html = client.get("/support").get_data(as_text=True)
    form = {**_form(html, "support_request"), "csrf_token": csrf_token(html), "email": "g@example.org",
            "message": "Письмо подождёт"}
    response = client.post("/actions/support_request", data=form)
    assert "отправлено" in page_text(client.get(response.headers["Location"]))
    [waiting] = _rows(app, OutboxMessage)
    assert waiting.status == "pending" and "Письмо подождёт" in waiting.body_text


def test_any_form_with_a_honeypot_drops_what_robots_send(fresh_postgres_url, make_app):
    app = make_app(database_url=fresh_postgres_url)
    client = app.test_client()
    html = client.get("/join").get_data(as_text=True)
    form = {**_form(html, "become_client"), "csrf_token": csrf_token(html), "name": "Bot", "phone": "+7 903 111-22-33",
            "address": "x", "service": "tv", "website": "http://spam.example"}
    response = client.post("/actions/become_client", data=form)
    assert "Спасибо" in page_text(client.get(response.headers["Location"]))
    assert _rows(app, ClientApplication) == []
    long = client.post("/actions/become_client", data={**form, "website": "", "comment": "x" * 10_001, "_key": "2"})
    assert long.status_code == 422 and "«Комментарий»: не больше 10\u00a0000 символов." in page_text(long)
    assert _rows(app, ClientApplication) == []


def test_sign_out_works_while_the_billing_is_down(make_app):
    app = make_app(binding="tests.support.bindings:RecordingBilling")
    client = app.test_client()
    sign_in(client)
    settings = client.get("/settings").get_data(as_text=True)
    app.extensions["cabinet"].binding.failing.update({"accounts", "services"})
    app.extensions["cabinet"].accounts_cache.discard("sub-1001")
    form = _form(settings, "sign_out")
    response = client.post("/actions/sign_out", data={**form, "csrf_token": csrf_token(settings)})
    assert response.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302


def test_support_offers_the_chat_with_an_operator_in_both_languages(make_app):
    client = make_app().test_client()
    html = client.get("/support").get_data(as_text=True)
    assert "Чат с оператором" in page_text(client.get("/support"))
    assert 'href="https://t.me/demo_telecom_support"' in html              # opens the operator's chat
    client.get("/language/en")
    english = page_text(client.get("/support"))
    assert "Chat with an operator" in english and "open the chat in Telegram" in english


def test_the_json_api_counts_against_the_same_public_form_limit(make_app):
    client = make_app(public_form_rate="2 per minute").test_client()
    html = client.get("/join").get_data(as_text=True)
    form = {**_form(html, "become_client"), "name": "A", "phone": "+7 903 111-22-33", "address": "x", "service": "tv"}
    headers = {"X-CSRFToken": csrf_token(html)}
    first = client.post("/actions/become_client", data={**form, "csrf_token": csrf_token(html), "_key": "1"})
    second = client.post("/api/v1/actions/become_client", json={**form, "_key": "2"}, headers=headers)
    third = client.post("/api/v1/actions/become_client", json={**form, "_key": "3"}, headers=headers)
    assert (first.status_code, second.status_code, third.status_code) == (302, 200, 429)
