"""The seed's flows end to end on the demo billing, through the Flask test client: forms,
confirmations, messages, and the effect kept in the billing."""
from __future__ import annotations

import re
from datetime import date, timedelta

from tests.conftest import action_forms, csrf_token, hidden_inputs, page_text, sign_in


def confirm_and_run(client, action: str, form: dict):
    """Post, check the confirmation step, confirm; returns (confirmation text, final response)."""
    confirmation = client.post(f"/actions/{action}", data=form)
    assert confirmation.status_code == 200, confirmation.status_code
    html = confirmation.get_data(as_text=True)
    return page_text(confirmation), client.post(f"/actions/{action}", data=hidden_inputs(html))


def test_catalog_order_then_cancel(make_app):
    app = make_app()
    client = app.test_client()
    sign_in(client)
    catalog = client.get("/catalog").get_data(as_text=True)
    assert "Wi-Fi роутер" in page_text(client.get("/catalog")) and 'src="/media/catalog/wifi-router.svg"' in catalog
    router = next(f for f in action_forms(catalog, "order_item") if f["item_id"] == "wifi-router")
    text, done = confirm_and_run(client, "order_item", router)
    assert "Заказать «Wi-Fi роутер» за 3\u00a0490,00\u00a0₽?" in text
    assert done.status_code == 302 and done.headers["Location"] == "/orders"
    orders = client.get("/orders")
    assert re.search(r"Заказ ORD-\w+ принят", page_text(orders))
    binding = app.extensions["cabinet"].binding
    mine = [o for o in binding.orders("108842") if o.item.id == "wifi-router" and o.status.value == "new"]
    assert len(mine) == 1
    cancel = next(f for f in action_forms(orders.get_data(as_text=True), "cancel_order")
                  if f["order_id"] == mine[0].id)
    text, done = confirm_and_run(client, "cancel_order", cancel)
    assert "Отменить заказ «Wi-Fi роутер»?" in text
    assert "Заказ отменён" in page_text(client.get(done.headers["Location"]))
    assert binding.orders("108842")[0].status.value == "cancelled"


def test_an_order_in_progress_cannot_be_cancelled_and_says_why(signed_in):
    orders = signed_in.get("/orders").get_data(as_text=True)
    in_progress = "ORD-8B02E417"
    assert all(f["order_id"] != in_progress for f in action_forms(orders, "cancel_order"))   # no button ...
    form = {"csrf_token": csrf_token(orders), "_screen": "orders", "_key": "forged", "account": "108842",
            "order_id": in_progress, "_confirmed": "1"}
    refused = signed_in.post("/actions/cancel_order", data=form)                            # ... and a forged post
    assert "Этот вариант больше не предлагается" in page_text(signed_in.get(refused.headers["Location"]))
    assert "В работе" in page_text(signed_in.get("/orders"))


def test_promised_payment_activates_once_then_explains_when_it_is_available_again(make_app):
    app = make_app()
    client = app.test_client()
    sign_in(client)
    payment = client.get("/payment/promised")
    text = page_text(payment)
    assert "Будет активирован обещанный платёж для лицевого счёта 108842" in text
    assert "Погасить кредит нужно в течение 3 дней" in text and "раз в 25 дней" in text
    assert "Сумма обещанного платежа 3\u00a0146,10\u00a0₽" in text
    [form] = action_forms(payment.get_data(as_text=True), "activate_promised_payment")
    confirmation, done = confirm_and_run(client, "activate_promised_payment", form)
    assert "Активировать обещанный платёж?" in confirmation
    again = client.post("/actions/activate_promised_payment", data={**form, "_confirmed": "1"})    # double submit
    assert "Обещанный платёж активирован. Погасите его до" in page_text(client.get(done.headers["Location"]))
    assert again.status_code == 302
    binding = app.extensions["cabinet"].binding
    history = binding.history("108842", date.today() - timedelta(days=1), date.today() + timedelta(days=1))
    assert sum(1 for h in history if h.description == "Обещанный платёж") == 1           # one credit
    later = client.get("/payment/promised")
    assert 'action="/actions/activate_promised_payment"' not in later.get_data(as_text=True)
    assert "Обещанный платёж" in page_text(later)


def test_promised_payment_not_eligible_says_why_and_from_when(signed_in):
    signed_in.get("/account?account=108843")
    text = page_text(signed_in.get("/payment/promised"))
    assert "Обещанный платёж можно подключать раз в 25 дней" in text and "Будет доступен с" in text
    assert 'action="/actions/activate_promised_payment"' not in signed_in.get("/payment/promised").get_data(as_text=True)


def test_payer_requisites_are_edited_and_kept(make_app):
    app = make_app()
    client = app.test_client()
    sign_in(client)
    page = client.get("/requisites").get_data(as_text=True)
    assert 'value="Иванов Иван Петрович"' in page
    form = {**action_forms(page, "update_requisites")[0], "payer_name": "Иванова Мария Петровна",
            "email": "maria@example.org", "phone": "+7 916 000-00-01", "postal_address": "125009, Москва"}
    done = client.post("/actions/update_requisites", data=form)
    assert done.headers["Location"] == "/account-details"
    assert "Реквизиты сохранены" in page_text(client.get("/account-details"))
    assert app.extensions["cabinet"].binding.requisites("108842").payer_name == "Иванова Мария Петровна"


def test_transfer_between_own_accounts(make_app):
    app = make_app()
    client = app.test_client()
    sign_in(client)
    binding = app.extensions["cabinet"].binding
    before = {a.id: a.balance for a in binding.accounts("sub-1001")}
    client.get("/account?account=108843")
    page = client.get("/transfer").get_data(as_text=True)
    select = re.search(r'<select[^>]*name="to_account_id".*?</select>', page, re.S).group(0)
    assert 'value="108842"' in select and 'value="108843"' not in select                  # not to itself
    form = {**action_forms(page, "transfer")[0], "to_account_id": "108842", "amount": "200"}
    text, done = confirm_and_run(client, "transfer", form)
    assert "Перевести 200,00\u00a0₽ на другой ваш лицевой счёт?" in text
    assert "Переведено 200,00" in page_text(client.get(done.headers["Location"]))
    after = {a.id: a.balance for a in binding.accounts("sub-1001")}
    assert after["108843"] == before["108843"] - 200 and after["108842"] == before["108842"] + 200
    too_much = client.post("/actions/transfer", data={**form, "amount": "999999", "_key": "again", "_confirmed": "1"})
    assert "недостаточно" in page_text(client.get(too_much.headers["Location"])).lower()


def test_bonus_balance_and_account_details(signed_in):
    text = page_text(signed_in.get("/account-details"))
    assert "Бонусы" in text and "1\u00a0250" in text and "Бонусы за оплату" in text


def test_charge_details_filter_history_by_kind(signed_in):
    period = f"date_from={date.today() - timedelta(days=120)}&date_to={date.today()}"     # the seeded months
    charges = page_text(signed_in.get(f"/history?{period}&kind=charge"))
    payments = page_text(signed_in.get(f"/history?{period}&kind=payment"))
    assert "Абонентская плата" in charges and "Пополнение банковской картой" not in charges
    assert "Пополнение банковской картой" in payments and "Абонентская плата" not in payments


def test_block_within_the_limits_then_unblock(make_app):
    app = make_app()
    client = app.test_client()
    sign_in(client)
    client.get("/account?account=108843")                     # its services are not blocked yet
    page = client.get("/block")
    text = page_text(page)
    assert "Срок блокировки: от 7 до 90 дней" in text and "Плата за день блокировки: 1,00" in text
    [form] = action_forms(page.get_data(as_text=True), "block_services")
    confirmation, done = confirm_and_run(client, "block_services", {**form, "days": "10"})
    assert "Заблокировать услуги на 10 дн.?" in confirmation
    assert "Услуги заблокированы." in page_text(client.get(done.headers["Location"]))
    binding = app.extensions["cabinet"].binding
    assert binding.block_terms("108843").blocked
    blocked = client.get("/block")
    assert "Услуги заблокированы до" in page_text(blocked)
    [unblock] = action_forms(blocked.get_data(as_text=True), "unblock_services")
    done = client.post("/actions/unblock_services", data=unblock)
    assert "Услуги снова работают." in page_text(client.get(done.headers["Location"]))
    assert not binding.block_terms("108843").blocked


def test_english_flow_texts(signed_in):
    signed_in.get("/language/en")
    assert "Repay the credit within 3 days" in page_text(signed_in.get("/payment/promised"))
    assert "Choose" in page_text(signed_in.get("/services/108842-internet/tariffs"))
    assert "Services" in page_text(signed_in.get("/catalog"))


def test_each_status_shows_its_next_step(signed_in):
    suspended = page_text(signed_in.get("/services/108842-phone"))
    assert "Недостаточно средств на счёте" in suspended and "Пополнить счёт" in suspended
    assert "Сменить тариф" not in suspended
    blocked = page_text(signed_in.get("/services/108842-tv"))
    assert "Заблокирована вами" in blocked and "Разблокировать" in blocked
    active = page_text(signed_in.get("/services/108842-internet"))
    assert "Сменить тариф" in active and "Запланированные изменения" in active
