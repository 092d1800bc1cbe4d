"""Forgot password: a link to the e-mail on file (a real SMTP server), once, within the hour."""
from __future__ import annotations

import re
import time

from tests.conftest import csrf_token, page_text, sign_in


def _letters(server, count, seconds=10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and len(server.inbox.messages) < count:
        time.sleep(0.05)
    return list(server.inbox.messages)


def _ask(client, login):
    page = client.get("/password/forgot").get_data(as_text=True)
    return client.post("/password/forgot", data={"username": login, "csrf_token": csrf_token(page)})


def test_reset_by_e_mail_sets_a_new_password_once(fresh_postgres_url, make_app, smtp_server):
    app = make_app(smtp_url=smtp_server.url, mail_poll_seconds=0.1, database_url=fresh_postgres_url)
    client = app.test_client()
    assert 'href="/password/forgot"' in client.get("/login?password=1").get_data(as_text=True)
    answer = _ask(client, "demo1")
    assert answer.status_code == 302
    assert "мы отправили ссылку" in page_text(client.get(answer.headers["Location"]))
    [letter] = _letters(smtp_server, 1)
    assert letter["To"] == "ivan.ivanov@example.ru"                       # the payer e-mail in the billing
    link = re.search(r"https://lk\.demo-telecom\.example(/password/reset/\S+)", letter.get_content()).group(1)
    form = client.get(link)
    assert form.status_code == 200
    short = client.post(link, data={"password": "short", "password_again": "short",
                                    "csrf_token": csrf_token(form.get_data(as_text=True))})
    assert short.status_code == 422 and "не меньше 8 символов" in page_text(short)
    done = client.post(link, data={"password": "new-secret-1", "password_again": "new-secret-1",
                                   "csrf_token": csrf_token(form.get_data(as_text=True))})
    assert done.status_code == 302
    assert sign_in(client, "demo1", "demo1").status_code == 401          # the old password is gone
    assert sign_in(client, "demo1", "new-secret-1").status_code == 302
    reused = client.get(link)
    assert reused.status_code == 400 and "уже использована" in page_text(reused)


def test_the_answer_does_not_tell_who_exists(fresh_postgres_url, make_app, smtp_server):
    app = make_app(smtp_url=smtp_server.url, mail_poll_seconds=0.1, database_url=fresh_postgres_url)
    client = app.test_client()
    answers = []
    for login in ("nobody", "demo2"):                                    # a dealer has no payer e-mail here
        response = _ask(client, login)
        assert response.status_code == 302
        answers.append(page_text(client.get(response.headers["Location"])))
    assert answers[0] == answers[1] and "мы отправили ссылку" in answers[0]
    time.sleep(0.5)
    assert smtp_server.inbox.messages == []


def test_forged_or_expired_links_are_refused(make_app):
    from itsdangerous import URLSafeTimedSerializer

    app = make_app()
    client = app.test_client()
    assert client.get("/password/reset/not-a-token").status_code == 400
    old = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="password-reset").dumps({"login": "demo1", "h": "x"})
    # the right key but a fingerprint of another password: as if the link had been used
    assert "уже использована" in page_text(client.get(f"/password/reset/{old}"))


def test_the_link_ignores_the_host_header_and_a_reset_removes_quick_codes(fresh_postgres_url, make_app, smtp_server):
    from engine.state.quick_codes import QuickCodeStore

    app = make_app(smtp_url=smtp_server.url, mail_poll_seconds=0.1, database_url=fresh_postgres_url)
    QuickCodeStore(app.extensions["cabinet"].db).set("someone-elses-device", "demo1", "1111")
    client = app.test_client()
    page = client.get("/password/forgot", headers={"Host": "evil.example"}).get_data(as_text=True)
    client.post("/password/forgot", data={"username": "demo1", "csrf_token": csrf_token(page)},
                headers={"Host": "evil.example"})
    [letter] = _letters(smtp_server, 1)
    assert "evil.example" not in letter.get_content()
    link = re.search(r"https://lk\.demo-telecom\.example(/password/reset/\S+)", letter.get_content()).group(1)
    form = client.get(link)
    client.post(link, data={"password": "another-secret", "password_again": "another-secret",
                            "csrf_token": csrf_token(form.get_data(as_text=True))})
    assert QuickCodeStore(app.extensions["cabinet"].db).verify("someone-elses-device", "1111").outcome == "unavailable"
