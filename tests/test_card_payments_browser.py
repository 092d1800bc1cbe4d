"""The whole card flow in Chromium at a phone's size: the demo's own (in-process) sandbox acquirer,
a 3-D Secure challenge, and a declined card."""
from __future__ import annotations

from decimal import Decimal

import pytest

from tests.support.sandbox import free_port
from tests.support.serving import ThreadedServer


@pytest.fixture
def cabinet(fresh_postgres_url, make_app):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app = make_app(public_url=base, database_url=fresh_postgres_url)     # the demo's in-process acquirer
    server = ThreadedServer(app, port, threads=6)
    yield base, app
    server.close()


@pytest.fixture
def phone(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="ru-RU")
    yield context.new_page()
    context.close()


def sign_in_and_open_the_card_page(page, base):
    page.goto(base + "/login")
    page.get_by_label("Логин").fill("demo1")
    page.get_by_label("Пароль").fill("demo1")
    page.get_by_role("button", name="Войти", exact=True).click()
    page.goto(base + "/payment")
    page.get_by_role("link", name="Банковская карта").click()
    assert page.get_by_label("Введите сумму, ₽").input_value() == "3146.10"


def fill_card(page, number):
    page.locator("input[name=card_number]").fill(number)
    page.locator("input[name=expiry]").fill("12/39")
    page.locator("input[name=cvc]").fill("123")
    page.locator("input[name=holder]").fill("IVAN IVANOV")
    page.locator("button[type=submit]").click()


def test_card_payment_with_3_d_secure_in_chromium(cabinet, phone):
    base, app = cabinet
    before = app.extensions["cabinet"].binding.account("108842").balance
    sign_in_and_open_the_card_page(phone, base)
    phone.get_by_label("Введите сумму, ₽").fill("750")
    phone.get_by_role("button", name="Пополнить баланс").click()
    assert "/sandbox-acquirer/pay/" in phone.url
    fill_card(phone, "4000 0000 0000 3220")
    assert "/3ds" in phone.url
    phone.locator("input[name=code]").fill("1234")
    phone.locator("button[type=submit]").click()
    phone.get_by_text("Счёт пополнен.").wait_for(timeout=15_000)
    assert "750,00" in phone.content()
    assert app.extensions["cabinet"].binding.account("108842").balance == before + Decimal("750.00")


def test_a_declined_card_in_chromium(cabinet, phone):
    base, app = cabinet
    before = app.extensions["cabinet"].binding.account("108842").balance
    sign_in_and_open_the_card_page(phone, base)
    phone.get_by_role("button", name="Пополнить баланс").click()
    fill_card(phone, "4000 0000 0000 0002")
    phone.get_by_text("Платёж не прошёл.").wait_for(timeout=15_000)
    assert app.extensions["cabinet"].binding.account("108842").balance == before
