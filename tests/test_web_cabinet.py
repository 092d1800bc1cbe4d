"""The served cabinet through the Flask test client: sign-in, screens, accounts, actions, JSON."""
from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from babel.dates import format_date

from tests.conftest import action_forms, csrf_token, hidden_inputs, html_text, page_text, sign_in

RECORDING = "tests.support.bindings:RecordingBilling"


def test_screens_need_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login?next=/" in response.headers["Location"]
    assert client.get("/api/v1/screens/home").status_code == 401


def test_login_requires_csrf_and_the_right_password(client):
    assert client.post("/login", data={"username": "demo1", "password": "demo1"}).status_code == 400
    wrong = sign_in(client, "demo1", "wrong")
    assert wrong.status_code == 401 and "Неверный логин или пароль" in page_text(wrong)
    unknown = sign_in(client, "nobody", "demo1")
    assert unknown.status_code == 401
    assert sign_in(client).status_code == 302


def test_session_cookie_is_secure_httponly_samesite(make_app):
    app = make_app(cookie_secure=True)
    client = app.test_client()
    token = csrf_token(client.get("/login", base_url="https://localhost").get_data(as_text=True))
    response = client.post("/login", data={"username": "demo1", "password": "demo1", "csrf_token": token},
                           base_url="https://localhost", headers={"Referer": "https://localhost/login"})
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_is_rate_limited(make_app):
    client = make_app(login_rate="3 per minute").test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={"username": "demo1", "password": "x", "csrf_token": token}).status_code
             for _ in range(5)]
    assert codes[:3] == [401, 401, 401] and codes[3:] == [429, 429]
    assert "Слишком много попыток" in page_text(client.post("/login", data={"username": "demo1", "password": "x",
                                                                            "csrf_token": token}))


def test_login_rate_limit_is_shared_through_redis(make_app):
    """Two engine processes behind one balancer share their counters in Redis."""
    import uuid

    storage = dict(ratelimit_storage="redis://127.0.0.1:6379/0", ratelimit_prefix=f"test-{uuid.uuid4().hex}",
                   login_rate="3 per minute")
    first, second = make_app(**storage).test_client(), make_app(**storage).test_client()
    codes = []
    for client in (first, second, first, second):
        token = csrf_token(client.get("/login").get_data(as_text=True))
        codes.append(client.post("/login", data={"username": "demo1", "password": "x",
                                                 "csrf_token": token}).status_code)
    assert codes == [401, 401, 401, 429]


def test_open_redirect_through_next_is_refused(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={target}", data={"username": "demo1", "password": "demo1",
                                                               "csrf_token": token})
        # signed in, then offered a quick-login code; either way the way on is home, not elsewhere
        assert response.headers["Location"] in ("/", "/quick-code/setup?next=/"), target
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
        token = csrf_token(client.get("/login").get_data(as_text=True))


def test_home_shows_balance_recommended_payment_and_services(signed_in):
    text = page_text(signed_in.get("/"))
    assert "Лицевой счёт 108842" in text
    assert "3\u00a0146,10\u00a0₽" in text                       # recommended payment, ru formatting
    assert re.search(r"Оплатить до \d{1,2} \w+\.? \d{4}", text)   # its date
    for service, status in [("Домашний интернет", "Активна"), ("Домашний телефон", "Приостановлена")]:
        assert service in text and status in text
    assert "Недостаточно средств на счёте" in text               # plain-language suspension reason
    assert "Заблокирована вами" in text


def test_account_switcher_switches_between_both_accounts(signed_in):
    home = signed_in.get("/").get_data(as_text=True)
    assert 'value="108842"' in home and 'value="108843"' in home
    response = signed_in.get("/account?account=108843")
    assert response.status_code == 302
    text = page_text(signed_in.get("/"))
    assert "Лицевой счёт 108843" in text and "Видеонаблюдение" in text
    assert "Не хватает документа по договору" in text


def test_english_interface(signed_in):
    signed_in.get("/language/en")
    text = page_text(signed_in.get("/"))
    assert "Account 108842" in text and "Recommended payment" in text and "Log out" in text
    assert "RUB" in text or "₽" in text


def test_service_card_and_its_planned_change(signed_in):
    home = signed_in.get("/").get_data(as_text=True)
    link = re.search(r'href="(/services/[^"]+)"', home).group(1)
    text = page_text(signed_in.get(link))
    assert "Тариф" in text and "Абонентская плата" in text


def test_json_api_gives_the_same_page_model(signed_in):
    data = signed_in.get("/api/v1/screens/home").get_json()
    balance = next(s for s in data["sections"] if s["id"] == "balance")
    fields = {f["key"]: f for f in balance["fields"]}
    assert fields["recommended"]["value"] == "3146.10"
    assert fields["recommended"]["display"] == "3\u00a0146,10\u00a0₽"
    assert [a["number"] for a in data["accounts"]] == ["108842", "108843"]
    assert signed_in.get("/api/v1/screens/service").status_code == 400       # names its missing parameter
    assert signed_in.get("/api/v1/screens/nope").status_code == 404


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "binding": "demo", "cabinet_version": body["cabinet_version"],
                    "schema_update_refused": False} and body["cabinet_version"]


def test_security_headers(signed_in):
    response = signed_in.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"


# --- ownership: another subscriber's ids -------------------------------------------------------------

def test_another_account_in_url_or_form_is_404_and_never_reaches_the_binding(make_app):
    app = make_app(binding=RECORDING)
    client = app.test_client()
    sign_in(client)
    binding = app.extensions["cabinet"].binding
    foreign_account, foreign_service = "108900", "108900-internet"      # demo3's: they exist
    assert binding.account(foreign_account).holder == "Пётр Сидоров"
    assert binding.service(foreign_service).account_id == foreign_account
    binding.calls.clear()
    assert client.get(f"/?account={foreign_account}").status_code == 404
    assert client.get(f"/account?account={foreign_account}").status_code == 404
    assert client.get(f"/services/{foreign_service}").status_code == 404
    assert client.get(f"/api/v1/screens/service?service_id={foreign_service}").status_code == 404
    token = csrf_token(client.get("/block").get_data(as_text=True))
    posted = client.post("/actions/block_services", data={"csrf_token": token, "_screen": "block", "_key": "k1",
                                                           "_confirmed": "1", "days": "10",
                                                           "account": foreign_account})
    assert posted.status_code == 404
    posted = client.post("/actions/change_tariff", data={"csrf_token": token, "_screen": "tariffs", "_key": "k2",
                                                          "_confirmed": "1", "service_id": foreign_service,
                                                          "tariff_id": "inet-300"})
    assert posted.status_code == 404
    assert binding.called_with(foreign_account) == [] and binding.called_with(foreign_service) == []


def test_the_neighbour_sees_only_his_own_account(client):
    sign_in(client, "demo3", "demo3")
    text = page_text(client.get("/"))
    assert "Лицевой счёт 108900" in text and "108842" not in text
    assert client.get("/?account=108842").status_code == 404
    assert client.get("/services/108842-internet").status_code == 404


def test_dealer_and_subscriber_screens_are_separate(client):
    sign_in(client, "demo2", "demo2")
    assert client.get("/").status_code == 302                      # to the dealer's first screen
    text = page_text(client.get("/dealer"))
    assert "Мои абоненты" in text and "186\u00a0677,00\u00a0₽" in text and "Пестрова Светлана" in text
    assert "268" in text and "255" in text
    assert client.get("/history").status_code == 404               # a subscriber screen
    assert client.get("/api/v1/screens/home").status_code == 404


def test_subscriber_cannot_open_dealer_screens(signed_in):
    assert signed_in.get("/dealer").status_code == 404


# --- actions ---------------------------------------------------------------------------------------

def _confirm_form(page_html: str) -> dict:
    return hidden_inputs(page_html)


def _block_form(page_html: str) -> dict:
    """The block page's form of a block at once (it also has one to schedule a block)."""
    return action_forms(page_html, "block_services")[0]


def test_block_action_confirms_then_runs_once_even_when_submitted_twice(make_app):
    app = make_app(binding=RECORDING)
    client = app.test_client()
    sign_in(client)
    block_page = client.get("/block?account=108843").get_data(as_text=True)   # 108842 has a blocked service
    form = _block_form(block_page)
    assert form["_screen"] == "block" and form["_section"] == "block_form" and form["_key"]
    confirm = client.post("/actions/block_services", data={**form, "days": "14"})
    # the fee is the billing's daily fee times the checked number of days
    assert confirm.status_code == 200
    assert "Заблокировать услуги на 14 дн.? Плата за блокировку: 14,00\u00a0₽." in page_text(confirm)
    confirmed = _confirm_form(confirm.get_data(as_text=True))
    assert confirmed["_confirmed"] == "1"
    first = client.post("/actions/block_services", data={**confirmed, "csrf_token": form["csrf_token"]})
    second = client.post("/actions/block_services", data={**confirmed, "csrf_token": form["csrf_token"]})
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    assert "Услуги заблокированы" in page_text(client.get(second.headers["Location"]))   # the first one's answer
    binding = app.extensions["cabinet"].binding
    blocks = [params for op, params in binding.calls if op == "block_services"]
    assert len(blocks) == 1 and blocks[0]["days"] == 14            # one call, the second answered from the first
    text = page_text(client.get("/block?account=108843"))
    assert "Услуги заблокированы до" in text


# --- a block scheduled ahead ---------------------------------------------------------------------------

def _shown(day: date, locale: str) -> str:
    return format_date(day, "medium", locale=locale)


def _scheduling(make_app, **options):
    """demo1 on account 108843 (108842 has a blocked service), on a billing that records its calls,
    and the 14 days from the 10th day the billing allows."""
    app = make_app(binding=RECORDING, **options)
    client = app.test_client()
    sign_in(client)
    client.get("/account?account=108843")                 # remembered: the redirects after actions keep it
    binding = app.extensions["cabinet"].binding
    start = binding.block_terms("108843").earliest_start + timedelta(days=9)
    return client, binding, start, start + timedelta(days=13)


def _schedule(client, start: date, end: date):
    """The schedule form posted with the period, then its confirmation: (confirm page, confirmed form)."""
    form = action_forms(client.get("/block").get_data(as_text=True), "schedule_block")[0]
    confirm = client.post("/actions/schedule_block", data={**form, "date_from": start.isoformat(),
                                                           "date_to": end.isoformat()})
    assert confirm.status_code == 200, page_text(confirm)
    return confirm, hidden_inputs(confirm.get_data(as_text=True))


def test_a_block_scheduled_ahead_is_confirmed_made_once_and_leaves_the_service_working(make_app):
    client, binding, start, end = _scheduling(make_app)
    confirm, confirmed = _schedule(client, start, end)
    assert (f"Заблокировать услуги с {_shown(start, 'ru')} по {_shown(end, 'ru')} включительно (14 дн.)? "
            f"Плата за блокировку: 14,00\u00a0₽.") in page_text(confirm)
    assert confirmed["_confirmed"] == "1"
    first = client.post("/actions/schedule_block", data=confirmed)
    second = client.post("/actions/schedule_block", data=confirmed)
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == second.headers["Location"]
    scheduled = [params for op, params in binding.calls if op == "schedule_block"]
    assert [(p["account_id"], p["date_from"], p["date_to"]) for p in scheduled] == [("108843", start, end)]
    text = page_text(client.get(first.headers["Location"]))
    assert "Блокировка запланирована. До её начала услуги работают как обычно." in text
    assert f"Блокировка услуг запланирована с {_shown(start, 'ru')} по {_shown(end, 'ru')} включительно" in text
    assert "Отменить запланированную блокировку" in text and "Первый день блокировки" not in text
    service = page_text(client.get("/services/108843-internet"))
    assert "Состояние Активна" in service and "Заблокирована до" not in service
    assert (f"Запланированные изменения Добровольная блокировка Добровольная блокировка по {end:%d.%m.%Y} "
            f"включительно С даты: {_shown(start, 'ru')}") in service


def test_a_block_is_scheduled_and_cancelled_in_english(make_app):
    client, binding, start, end = _scheduling(make_app)
    client.get("/language/en")
    page = page_text(client.get("/block"))
    assert "Schedule a block First day of the block * Last day of the block *" in page
    confirm, confirmed = _schedule(client, start, end)
    assert (f"Block the services from {_shown(start, 'en')} to {_shown(end, 'en')} inclusive (14 days)? "
            f"The fee for the block: RUB14.00.") in page_text(confirm)
    done = client.post("/actions/schedule_block", data=confirmed)
    page = page_text(client.get(done.headers["Location"]))
    assert "The block is scheduled. Until it starts your services work as usual." in page
    assert f"A block of your services is scheduled from {_shown(start, 'en')} to {_shown(end, 'en')} inclusive" in page
    service = page_text(client.get("/services/108843-internet"))
    assert "Status Active" in service and "Planned changes Voluntary block" in service
    assert f"From: {_shown(start, 'en')}" in service
    balance = binding.account("108843").balance
    cancel = action_forms(client.get("/block").get_data(as_text=True), "cancel_scheduled_block")[0]
    cancelled = client.post("/actions/cancel_scheduled_block", data=cancel)
    assert cancelled.status_code == 302
    page = page_text(client.get(cancelled.headers["Location"]))
    assert "The scheduled block is cancelled and its fee returned." in page and "Schedule a block" in page
    assert binding.block_terms("108843").scheduled_from is None
    assert binding.account("108843").balance == balance + 14
    assert "Planned changes" not in page_text(client.get("/services/108843-internet"))


def test_from_its_first_day_a_scheduled_block_shows_the_service_blocked(make_app, tmp_path):
    client, _binding, start, end = _scheduling(make_app)
    client.post("/actions/schedule_block", data=_schedule(client, start, end)[1])
    billing_url = f"sqlite:///{tmp_path / 'demo-billing.sqlite'}"                # the one make_app gives
    on_the_day = make_app(binding_options={"database_url": billing_url, "today": start.isoformat()}).test_client()
    sign_in(on_the_day)
    on_the_day.get("/account?account=108843")
    service = page_text(on_the_day.get("/services/108843-internet"))
    assert "Состояние Заблокирована вами" in service
    assert f"Заблокирована до {_shown(end + timedelta(days=1), 'ru')}" in service
    block = page_text(on_the_day.get("/block"))
    assert f"Услуги заблокированы до {_shown(end + timedelta(days=1), 'ru')}" in block
    assert "Отменить запланированную блокировку" not in block and "Разблокировать услуги" in block


def test_action_without_csrf_is_refused(signed_in):
    response = signed_in.post("/actions/block_services", data={"_screen": "block", "_key": "k", "days": "10",
                                                               "_confirmed": "1"})
    assert response.status_code == 400 and "Форма устарела" in page_text(response)


def test_action_with_bad_input_names_the_field(signed_in):
    form = _block_form(signed_in.get("/block?account=108843").get_data(as_text=True))
    response = signed_in.post("/actions/block_services", data={**form, "days": "many", "_confirmed": "1"})
    assert response.status_code == 422                  # the form again, with the message at the input
    html = response.get_data(as_text=True)
    assert '<p class="form__error" id="input-block_form-days-error">«Срок блокировки, дней»: введите целое число.</p>' \
        in html
    assert 'aria-invalid="true"' in html and 'value="many"' in html


def test_rejected_action_shows_the_billings_reason(signed_in):
    page = signed_in.get("/transfer").get_data(as_text=True)
    form = action_forms(page, "transfer")[0]
    response = signed_in.post("/actions/transfer", data={**form, "csrf_token": csrf_token(page),
                                                         "to_account_id": "108843", "amount": "999999",
                                                         "_confirmed": "1"})
    text = page_text(signed_in.get(response.headers["Location"]))
    assert "Недостаточно средств" in text                # the billing's refusal, in its own words


def test_tariff_change_choose_confirm_with_fee_and_date_then_result(signed_in):
    service_url = "/services/108842-internet"
    tariffs = signed_in.get(service_url + "/tariffs").get_data(as_text=True)
    assert "Текущий" in tariffs and tariffs.count('action="/actions/change_tariff"') == 2   # not on the current one
    form = _confirm_form(tariffs.split('action="/actions/change_tariff"')[1].split("</form>")[0])
    assert form["tariff_id"] and form["_screen"] == "tariffs" and form["service_id"] == "108842-internet"
    confirm = signed_in.post("/actions/change_tariff", data=form)
    text = page_text(confirm)
    assert f"Сменить тариф на «{form['tariff_name']}»?" in text and "Плата за смену: 0,00" in text
    assert "Новый тариф начнёт действовать с 1 " in text and ">Сменить<" in confirm.get_data(as_text=True)
    done = signed_in.post("/actions/change_tariff", data=_confirm_form(confirm.get_data(as_text=True)))
    assert done.status_code == 302 and done.headers["Location"] == service_url
    result = page_text(signed_in.get(service_url))
    assert "Тариф будет изменён с" in result and form["tariff_name"] in result      # the planned change


def test_unknown_page_and_unknown_action(signed_in):
    assert signed_in.get("/no/such/page").status_code == 404
    token = csrf_token(signed_in.get("/").get_data(as_text=True))
    assert signed_in.post("/actions/nope", data={"csrf_token": token}).status_code == 404
    assert signed_in.post("/actions/top_up", data={"csrf_token": token}).status_code == 404   # a link, not an op


def test_sign_in_actions_and_refusals_are_audited(fresh_postgres_url, make_app):
    from engine.state.audit import AuditLog

    app = make_app(database_url=fresh_postgres_url)      # its own log: other tests sign in as demo1 too
    client = app.test_client()
    log = AuditLog(app.extensions["cabinet"].db)
    sign_in(client, "demo1", "wrong")
    sign_in(client)
    form = _block_form(client.get("/block?account=108843").get_data(as_text=True))
    client.post("/actions/block_services", data={**form, "days": "500", "_confirmed": "1"})
    client.post("/actions/block_services", data={**form, "days": "many", "_confirmed": "1"})
    client.post("/actions/block_services", data={**form, "days": "10", "_confirmed": "1",
                                                  "account": "108900"})
    records = log.latest("demo1")
    events = [(r.event, r.result) for r in reversed(records)]
    assert events == [("sign-in", "refused"), ("sign-in", "ok"), ("action:block_services", "invalid"),
                      ("action:block_services", "invalid"), ("action:block_services", "forbidden")]
    assert '"days": "500"' in records[2].details and records[0].address == "127.0.0.1"
    assert "не больше 90" in records[2].details          # why: the rule it broke


def test_history_period_picker(signed_in):
    page = signed_in.get("/history").get_data(as_text=True)
    assert 'method="get"' in page and 'name="date_from"' in page and 'name="csrf_token"' not in page.split(
        'id="section-period"')[1].split("</form>")[0]
    from datetime import date, timedelta

    today = date.today()
    narrow = page_text(signed_in.get(f"/history?date_from={today}&date_to={today}"))
    wide = page_text(signed_in.get(f"/history?date_from={today - timedelta(days=120)}&date_to={today}"))
    assert wide.count("Абонентская плата") > narrow.count("Абонентская плата")
    assert "Пополнения" in wide and "Списания" in wide


def test_dealer_searches_subscribers(client):
    sign_in(client, "demo2", "demo2")
    found = page_text(client.get("/dealer/subscribers?q=петров"))
    assert "Петров Алексей" in found and "Зайцев Владимир" not in found
    assert "Зайцев Владимир" in page_text(client.get("/dealer/subscribers?q=6875432"))
    assert "Никого не нашли" in page_text(client.get("/dealer/subscribers?q=nobody-at-all"))
    assert page_text(client.get("/dealer/subscribers")).count("+7 (") >= 11


def test_settings_language_and_sign_out(make_app):
    from engine.state.audit import AuditLog

    app = make_app()
    client = app.test_client()
    sign_in(client)
    assert "/settings" in client.get("/").get_data(as_text=True)
    settings = client.get("/settings")
    html = settings.get_data(as_text=True)
    assert 'href="/language/en?next=/settings"' in html
    english = client.get("/language/en?next=/settings", follow_redirects=True)
    assert "Settings" in page_text(english) and "Language" in page_text(english)
    form = _confirm_form(english.get_data(as_text=True).split('action="/actions/sign_out"', 1)[1])
    out = client.post("/actions/sign_out", data={**form, "csrf_token": csrf_token(html)})
    assert out.status_code == 302 and out.headers["Location"].startswith("/login")
    assert client.get("/").status_code == 302                      # signed out
    assert "Sign in" in page_text(client.get("/login"))            # the language stays chosen
    events = [(r.actor, r.event) for r in AuditLog(app.extensions["cabinet"].db).latest("demo1", limit=5)]
    assert ("demo1", "action:sign_out") in events and ("demo1", "sign-out") in events


def test_handlers_need_sign_in_unless_public(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/actions/sign_out", data={"csrf_token": token, "_screen": "settings", "_key": "k"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_dealer_opens_one_of_their_subscribers_and_only_theirs(make_app):
    client = make_app().test_client()
    sign_in(client, "demo2", "demo2")
    listing = client.get("/dealer/subscribers").get_data(as_text=True)
    links = re.findall(r'href="(/dealer/subscribers/[^"?]+)"', listing)
    assert len(set(links)) == 11
    one = page_text(client.get(links[0]))
    assert "Контракт" in one and "Статус контракта" in one and "Такого абонента нет" not in one
    stranger = client.get("/dealer/subscribers/108842")          # a subscriber's account, not the dealer's
    assert stranger.status_code == 200 and "Такого абонента нет среди ваших" in page_text(stranger)
    assert "108842" not in page_text(stranger).replace("/dealer/subscribers/108842", "")


def test_find_picks_an_item_by_a_value_from_outside_the_list():
    import jmespath

    from engine.jmes import MoneyFunctions, options

    data = {"items": [{"id": "a", "n": 1}, {"id": 2, "n": 2}], "wanted": "2"}
    find = jmespath.compile("find(items, 'id', wanted).n")
    assert find.search(data, options=options(MoneyFunctions())) == 2
    assert jmespath.search("find(items, 'id', 'zzz')", data, options=options(MoneyFunctions())) is None
    assert jmespath.search("find(missing, 'id', 'a')", data, options=options(MoneyFunctions())) is None


def test_a_suspension_without_its_date_is_explained_without_one(make_app):
    from engine.billing.typed import build
    from engine.billing.records import Suspension
    assert build(Suspension, {"reason_code": "debt"}).since is None          # a billing may not keep it
    for binding, expected in (("tests.support.bindings:NoSinceBilling", "Услуга приостановлена Причина"),
                              ("demo", "Услуга приостановлена с ")):
        client = make_app(binding=binding).test_client()
        assert sign_in(client).status_code == 302
        text = page_text(client.get("/services/108842-phone"))
        assert expected in text, text[:400]


def test_a_promised_payments_fee_and_conditions_are_shown_before_it_is_agreed(make_app):
    client = make_app(binding="tests.support.bindings:PromisedFeeBilling").test_client()
    assert sign_in(client).status_code == 302
    page = client.get("/payment/promised").get_data(as_text=True)
    text = html_text(page)
    assert "Плата за подключение 25,00" in text and "Условия Только для физических лиц" in text
    form = action_forms(page, "activate_promised_payment")[0]
    confirm = page_text(client.post("/actions/activate_promised_payment", data={**form,
                                                                              "csrf_token": csrf_token(page)}))
    assert "Плата за подключение: 25,00" in confirm                     # asked before anything is charged
    plain = make_app().test_client()
    assert sign_in(plain).status_code == 302
    assert "Плата за подключение" not in page_text(plain.get("/payment/promised"))     # no fee: no line


def test_a_billing_that_keeps_texts_in_several_languages_answers_in_the_subscribers(make_app):
    app = make_app(binding="tests.support.bindings:LocalizedBilling")
    client = app.test_client()
    assert sign_in(client).status_code == 302
    assert "Домашний интернет" in page_text(client.get("/"))
    client.get("/language/en?next=/")
    english = page_text(client.get("/"))
    assert "Home internet" in english and "Домашний интернет" not in english
    assert not app.extensions["cabinet"].binding.takes_locale("account")     # its method names no locale


# --- usage detail ----------------------------------------------------------------------------------

def test_the_usage_detail_of_a_period_with_the_packages_left(make_app):
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    app = make_app(binding=RECORDING)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    assert 'href="/usage"' in client.get("/").get_data(as_text=True)             # reached from the home screen
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()                         # the demo billing's day
    start, end = today - timedelta(days=60), today - timedelta(days=1)
    text = page_text(client.get(f"/usage?date_from={start}&date_to={end}"))
    assert "Детализация" in text and "Остатки пакетов" in text and "Междугородние звонки: 100 минут в месяц" in text
    assert "Интернет-трафик за сутки" in text and "Звонок на +7 (916) 555-44-33, мобильный" in text
    assert "ГБ" in text and "мин" in text and "Доля остатка" in text
    binding = app.extensions["cabinet"].binding
    usage = binding.usage("108842", start, end)
    charged = sum(r.amount for r in usage.records)
    assert charged > 0 and f"Начислено сверх тарифа и пакетов {charged:.2f}".replace(".", ",") in text
    calls = page_text(client.get(f"/usage?date_from={start}&date_to={end}&kind=call"))
    assert "Звонок на" in calls and "Интернет-трафик за сутки" not in calls        # the kind narrows the list
    one_day = page_text(client.get(f"/usage?date_from={end}&date_to={end}"))
    assert one_day.count("Интернет-трафик за сутки") == 1
    dacha = page_text(client.get("/usage?account=108843"))
    assert "LTE-трафик: 100 ГБ в месяц" in dacha and "Междугородние звонки" not in dacha
    assert {"account_id": "108842", "date_from": start, "date_to": end} in [
        params for op, params in binding.calls if op == "usage"]                   # the period asked for


def test_the_usage_detail_in_english(signed_in):
    signed_in.get("/language/en")
    text = page_text(signed_in.get("/usage?date_from=2020-01-01&date_to=2030-12-31"))
    assert "Usage" in text and "What is left of your packages" in text and "Share left" in text
    assert "Call" in text and "Internet" in text and "GB" in text and "Charged beyond the tariff and packages" in text
    assert "Детализация" not in text and "Остатки пакетов" not in text
    assert "Usage" in page_text(signed_in.get("/"))                               # the home screen's button


# --- disconnecting a service -----------------------------------------------------------------------

def test_disconnecting_a_service_confirms_with_its_name_and_date_then_plans_it_once(make_app):
    app = make_app(binding=RECORDING)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    page = client.get("/services/108842-tv").get_data(as_text=True)
    [form] = action_forms(page, "disconnect_service")
    assert form["service_id"] == "108842-tv" and form["_screen"] == "service"
    confirm = client.post("/actions/disconnect_service", data={**form, "csrf_token": csrf_token(page)})
    assert confirm.status_code == 200
    ends = app.extensions["cabinet"].binding.service("108842-tv").disconnect_date
    assert f"Отключить услугу «Цифровое телевидение»? Она будет работать до конца месяца и отключится с " \
           f"{ends.day} " in page_text(confirm) and ">Отключить<" in confirm.get_data(as_text=True)
    confirmed = hidden_inputs(confirm.get_data(as_text=True))
    assert confirmed["_confirmed"] == "1"
    first = client.post("/actions/disconnect_service", data={**confirmed, "csrf_token": csrf_token(page)})
    second = client.post("/actions/disconnect_service", data={**confirmed, "csrf_token": csrf_token(page)})
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"] == "/services/108842-tv"
    done = page_text(client.get(first.headers["Location"]))
    assert "Услуга «Цифровое телевидение» будет отключена с" in done
    assert "Отключение услуги по вашему заявлению" in done                       # the planned change
    assert "Отключить услугу" not in done                                       # not offered twice
    binding = app.extensions["cabinet"].binding
    assert [params["service_id"] for op, params in binding.calls if op == "disconnect_service"] == ["108842-tv"]
    client.get("/language/en")
    phone = client.get("/services/108842-phone").get_data(as_text=True)
    [form] = action_forms(phone, "disconnect_service")
    english = page_text(client.post("/actions/disconnect_service", data={**form, "csrf_token": csrf_token(phone)}))
    assert "Disconnect Домашний телефон? It keeps working until the end of the month and is switched off on " \
           f"{ends:%b} {ends.day}, {ends.year}." in english


def test_the_main_service_offers_no_disconnection_and_the_server_refuses_a_forged_one(make_app):
    app = make_app(binding=RECORDING)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    for kept in ("/services/108842-internet", "/services/108842-antivirus"):     # the main one, a closed one
        page = client.get(kept).get_data(as_text=True)
        assert 'action="/actions/disconnect_service"' not in page and "Отключить услугу" not in html_text(page)
    page = client.get("/services/108842-tv").get_data(as_text=True)
    [form] = action_forms(page, "disconnect_service")
    forged = client.post("/actions/disconnect_service", data={**form, "service_id": "108842-internet",
                                                               "_confirmed": "1", "csrf_token": csrf_token(page)})
    assert forged.status_code == 302 and forged.headers["Location"] == "/services/108842-internet"
    assert "Сейчас это действие недоступно для вашего счёта." in page_text(client.get(forged.headers["Location"]))
    binding = app.extensions["cabinet"].binding
    assert not [op for op, _params in binding.calls if op == "disconnect_service"]     # never reached the billing
    assert binding.service("108842-internet").planned_changes[0].kind == "tariff_change"
    assert all(c.kind != "close" for c in binding.service("108842-internet").planned_changes)


# --- bonus programmes ------------------------------------------------------------------------------

def test_the_bonus_programmes_with_their_rewards_in_russian_and_english(signed_in):
    assert 'href="/bonuses"' in signed_in.get("/account-details").get_data(as_text=True)   # reached from there
    text = page_text(signed_in.get("/bonuses"))
    assert "Бонусные программы" in text and "Ваша программа" in text and "Программы оператора" in text
    assert "Баллы за стаж" in text and "Семейный" in text and "Вы участвуете" in text
    assert "100 баллов за каждый месяц с нами" in text and "Пакет «Детский» на месяц" in text
    assert "Стоимость, баллов: 1\u00a0000" in text
    signed_in.get("/language/en")
    english = page_text(signed_in.get("/bonuses"))
    assert "Bonus programmes" in english and "Your programme" in english and "Redeem points" in english
    assert "You are in it" in english and "Open to join" in english and "Cost, points: 1,000" in english
    assert "Бонусные программы" not in english and "Ваша программа" not in english
    assert "Bonus programmes" in page_text(signed_in.get("/account-details"))       # the button to it


def test_a_reward_beyond_the_points_has_no_button(signed_in):
    page = signed_in.get("/bonuses").get_data(as_text=True)
    offered = {form["reward_id"] for form in action_forms(page, "spend_bonus_points")}
    assert offered == {"payments-discount-100", "payments-tv-month"}            # 3000 points: more than 1250
    joinable = {form["programme_id"] for form in action_forms(page, "join_bonus_programme")}
    assert joinable == {"tenure", "family"}                                      # not the one it is in


def test_joining_a_programme_names_it_and_the_one_left(make_app):
    app = make_app(binding=RECORDING)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    page = client.get("/bonuses").get_data(as_text=True)
    [form] = [f for f in action_forms(page, "join_bonus_programme") if f["programme_id"] == "family"]
    confirm = client.post("/actions/join_bonus_programme", data={**form, "csrf_token": csrf_token(page)})
    assert "Участвовать в программе «Семейный»? Участие в программе «Бонусы за оплату» завершится" in \
        page_text(confirm)
    confirmed = hidden_inputs(confirm.get_data(as_text=True))
    done = client.post("/actions/join_bonus_programme", data={**confirmed, "csrf_token": csrf_token(page)})
    assert done.status_code == 302 and done.headers["Location"] == "/bonuses"
    after = client.get("/bonuses").get_data(as_text=True)
    assert "Вы участвуете в программе «Семейный»." in html_text(after)
    assert {f["programme_id"] for f in action_forms(after, "join_bonus_programme")} == {"payments", "tenure"}
    binding = app.extensions["cabinet"].binding
    assert [p.id for p in binding.bonus_programmes("108842") if p.joined] == ["family"]
    client.get("/language/en")
    [back] = [f for f in action_forms(after, "join_bonus_programme") if f["programme_id"] == "payments"]
    english = page_text(client.post("/actions/join_bonus_programme", data={**back, "csrf_token": csrf_token(after)}))
    assert "Join Бонусы за оплату? You will leave Семейный" in english


def test_redeeming_a_reward_confirms_its_cost_and_takes_the_points_once(make_app):
    app = make_app(binding=RECORDING)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    page = client.get("/bonuses").get_data(as_text=True)
    [form] = [f for f in action_forms(page, "spend_bonus_points") if f["reward_id"] == "payments-discount-100"]
    confirm = client.post("/actions/spend_bonus_points", data={**form, "csrf_token": csrf_token(page)})
    assert "Обменять 500 баллов на «Скидка 100 ₽ на абонентскую плату»?" in page_text(confirm)
    confirmed = hidden_inputs(confirm.get_data(as_text=True))
    first = client.post("/actions/spend_bonus_points", data={**confirmed, "csrf_token": csrf_token(page)})
    second = client.post("/actions/spend_bonus_points", data={**confirmed, "csrf_token": csrf_token(page)})
    assert first.status_code == second.status_code == 302
    assert "Списано баллов: 500." in page_text(client.get(first.headers["Location"]))
    binding = app.extensions["cabinet"].binding
    assert binding.bonuses("108842").points == 750                               # 1250 less 500, once
    keys = {params["request_id"] for op, params in binding.calls if op == "spend_bonus_points"}
    assert len(keys) == 1                                                          # one request, however often sent


def test_a_forged_redemption_beyond_the_points_never_reaches_the_billing(make_app):
    app = make_app(binding=RECORDING)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    page = client.get("/bonuses").get_data(as_text=True)
    [form] = [f for f in action_forms(page, "spend_bonus_points") if f["reward_id"] == "payments-tv-month"]
    forged = client.post("/actions/spend_bonus_points", data={
        **form, "reward_id": "payments-router", "reward_name": "Wi-Fi роутер в подарок", "cost_points": "3000",
        "_confirmed": "1", "csrf_token": csrf_token(page)})
    assert forged.status_code == 302 and forged.headers["Location"] == "/bonuses"
    # the server read the rewards again and offers that one no button: it is no item to press
    assert "Этот вариант больше не предлагается." in page_text(client.get(forged.headers["Location"]))
    binding = app.extensions["cabinet"].binding
    assert not [op for op, _params in binding.calls if op == "spend_bonus_points"]
    assert binding.bonuses("108842").points == 1250


# --- service balances ------------------------------------------------------------------------------

def _on_dacha(make_app):
    """demo1 on account 108843, whose video surveillance has a balance of its own, on a billing
    that records its calls."""
    app = make_app(binding=RECORDING)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    client.get("/account?account=108843")                 # remembered: the redirects after actions keep it
    return client, app.extensions["cabinet"].binding


def _top_up(client, amount: str):
    """The service's top-up form posted with the amount: (the page it came from, the answer)."""
    page = client.get("/services/108843-video").get_data(as_text=True)
    [form] = action_forms(page, "top_up_service")
    return page, client.post("/actions/top_up_service", data={**form, "amount": amount,
                                                               "csrf_token": csrf_token(page)})


def test_a_service_balance_is_topped_up_once_in_russian(make_app):
    client, binding = _on_dacha(make_app)
    text = page_text(client.get("/services/108843-video"))
    assert "Баланс услуги" in text and "150,00\u00a0₽" in text and "Пополнить баланс услуги" in text
    assert "Баланс услуги" not in page_text(client.get("/services/108843-internet"))     # none of its own
    assert not action_forms(client.get("/services/108843-internet").get_data(as_text=True), "top_up_service")
    page, confirm = _top_up(client, "200.50")
    assert confirm.status_code == 200, page_text(confirm)
    assert ("Перевести 200,50\u00a0₽ с лицевого счёта 108843 на баланс услуги «Видеонаблюдение»?"
            in page_text(confirm))
    confirmed = hidden_inputs(confirm.get_data(as_text=True))
    first = client.post("/actions/top_up_service", data={**confirmed, "csrf_token": csrf_token(page)})
    second = client.post("/actions/top_up_service", data={**confirmed, "csrf_token": csrf_token(page)})
    assert first.status_code == second.status_code == 302 and first.headers["Location"] == "/services/108843-video"
    text = page_text(client.get(first.headers["Location"]))
    assert "Баланс услуги «Видеонаблюдение» пополнен на 200,50\u00a0₽." in text and "350,50\u00a0₽" in text
    keys = {params["request_id"] for op, params in binding.calls if op == "top_up_service"}
    assert len(keys) == 1                                  # one request, however often sent
    assert binding.account("108843").balance == Decimal("1039.50")     # 1240.00 less 200.50, once
    assert binding.service("108843-video").balance == Decimal("350.50")


def test_a_service_balance_is_topped_up_in_english(make_app):
    client, binding = _on_dacha(make_app)
    client.get("/language/en")
    text = page_text(client.get("/services/108843-video"))
    assert "Service balance" in text and "Top up the service balance" in text and "Баланс услуги" not in text
    page, confirm = _top_up(client, "10")
    assert "Move RUB10.00 from account 108843 to the balance of Видеонаблюдение?" in page_text(confirm)
    done = client.post("/actions/top_up_service", data={**hidden_inputs(confirm.get_data(as_text=True)),
                                                         "csrf_token": csrf_token(page)})
    assert "The balance of Видеонаблюдение is topped up by" in page_text(client.get(done.headers["Location"]))
    assert binding.service("108843-video").balance == Decimal("160.00")


def test_a_forged_top_up_beyond_the_account_never_reaches_the_billing(make_app):
    client, binding = _on_dacha(make_app)
    page = client.get("/services/108843-video").get_data(as_text=True)
    [form] = action_forms(page, "top_up_service")
    forged = client.post("/actions/top_up_service", data={**form, "amount": "1240.01", "_confirmed": "1",
                                                          "csrf_token": csrf_token(page)})
    assert forged.status_code == 422                     # the form again, with the account's limit at the input
    assert "не больше" in page_text(forged)
    assert not [op for op, _params in binding.calls if op == "top_up_service"]
    assert binding.account("108843").balance == Decimal("1240.00")
    assert binding.service("108843-video").balance == Decimal("150.00")
