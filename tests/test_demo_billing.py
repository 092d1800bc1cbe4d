"""The demo billing: seeded figures of the seed screens, rules, persistence, idempotency, concurrency."""
from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from marshmallow import ValidationError

from engine.billing import OPERATIONS, BillingBinding, BillingNotFound, BillingRejected
from engine.billing.demo import DEMO_USERS, DemoBilling
from engine.billing.records import OperationKind, OrderStatus, ServiceStatus

TODAY = date(2025, 5, 15)
NEXT_MONTH = date(2025, 6, 1)
IN_TEN_DAYS = TODAY + timedelta(days=10)


def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'billing' / 'demo-billing.sqlite'}"


@pytest.fixture
def billing(tmp_path):
    binding = DemoBilling(sqlite_url(tmp_path), today=TODAY)
    yield binding
    binding.close()


def key() -> str:
    return uuid.uuid4().hex


# --- contract and options --------------------------------------------------------------------

def test_capabilities_cover_every_operation(billing):
    assert billing.capabilities == frozenset(OPERATIONS)
    assert type(billing).resolve_subscriber is not BillingBinding.resolve_subscriber


def test_options_schema_and_unknown_options(tmp_path):
    schema = DemoBilling.options_schema()
    assert schema.load({"database_url": "sqlite:////tmp/x.sqlite"}) == {
        "database_url": "sqlite:////tmp/x.sqlite", "latency_ms": 0, "payment_site": "", "today": None}
    assert schema.load({"database_url": "sqlite:////tmp/x.sqlite", "today": "2025-05-15"})["today"] == TODAY
    with pytest.raises(ValidationError):
        schema.load({"database_url": "sqlite:////tmp/x.sqlite", "payment_site": "javascript:alert(1)"})
    with pytest.raises(ValidationError):
        schema.load({"latency_ms": 5})
    with pytest.raises(ValidationError):
        schema.load({"database_url": "sqlite:////tmp/x.sqlite", "latency_ms": -1})
    with pytest.raises(TypeError):
        DemoBilling(sqlite_url(tmp_path), colour="red")


def test_default_today_is_moscow_date(tmp_path):
    def moscow_today() -> date:
        return datetime.now(ZoneInfo("Europe/Moscow")).date()

    before = moscow_today()
    binding = DemoBilling(sqlite_url(tmp_path))
    try:
        due = binding.account("108842").recommended_payment.due_date
        assert due - timedelta(days=4) in {before, moscow_today()}   # seeded 4 days before the due date
    finally:
        binding.close()


def test_demo_users_resolve_to_billing(billing):
    subscriber, dealer, neighbour = DEMO_USERS
    assert (subscriber["login"], subscriber["password"]) == ("demo1", "demo1")
    assert subscriber["roles"] == ("subscriber",) and subscriber["dealer_id"] is None
    assert (dealer["login"], dealer["dealer_id"], dealer["roles"]) == ("demo2", "dealer-2001", ("dealer",))
    assert billing.resolve_subscriber("demo1") == subscriber["subscriber_id"] == "sub-1001"
    assert billing.resolve_subscriber("demo3") == neighbour["subscriber_id"] == "sub-1002"
    assert [a.id for a in billing.accounts("sub-1002")] == ["108900"]
    assert billing.resolve_subscriber("nobody") is None


# --- seeded data -----------------------------------------------------------------------------

def test_seeded_accounts(billing):
    home, dacha = billing.accounts("sub-1001")
    assert (home.id, home.number, home.holder) == ("108842", "108842", "Иван Иванов")
    assert home.address == "г. Москва, ул. Ленина, д. 10, кв. 25"
    assert home.recommended_payment.amount == Decimal("3146.10")
    assert TODAY < home.recommended_payment.due_date <= TODAY + timedelta(days=7)
    assert home.balance < Decimal("100")
    assert dacha.number == "108843" and dacha.balance > 0
    assert dacha.recommended_payment.amount == Decimal("650.00")
    assert billing.bonuses("108842").points > 0


def test_every_service_status_is_seeded_for_demo1(billing):
    statuses = {service.status for account in billing.accounts("sub-1001")
                for service in billing.services(account.id)}
    assert statuses == set(ServiceStatus)


def test_seeded_services_of_the_seed_screens(billing):
    services = {service.id: service for service in billing.services("108842")}
    internet, tv, phone = services["108842-internet"], services["108842-tv"], services["108842-phone"]
    assert (internet.name, internet.tariff.name) == ("Домашний интернет", "Интернет 100")
    assert internet.tariff.speed_mbps == 100
    (change,) = internet.planned_changes
    assert (change.kind, change.tariff.name) == ("tariff_change", "Интернет 300")
    assert change.effective_date == NEXT_MONTH
    assert tv.status is ServiceStatus.BLOCKED and tv.blocked_until > TODAY
    assert phone.status is ServiceStatus.SUSPENDED and not phone.tariff_change_allowed
    assert (phone.suspension.reason_code, phone.suspension.details) == ("debt", "Задолженность 412,50 ₽")
    dacha = {service.name: service for service in billing.services("108843")}
    assert dacha["Видеонаблюдение"].suspension.reason_code == "documents"
    assert any(s.status is ServiceStatus.ACTIVE and s.kind == "internet" for s in dacha.values())


def test_dealer_figures_match_the_seed_screen(billing):
    subscribers = billing.dealer_subscribers("dealer-2001")
    assert len(subscribers) == 11
    assert sum(s.balance for s in subscribers) == Decimal("186677.00")
    screen = [("Петров Алексей", "2412521", "Активен", "+7 (916) 083-85-31", Decimal("12432.00")),
              ("Зеленков Андрей", "2412413", "Активен", "+7 (913) 534-34-21", Decimal("23567.00")),
              ("Мирский Владислав", "2341423", "Активен", "+7 (916) 654-23-65", Decimal("-7632.00")),
              ("Зайцев Владимир", "6875432", "Активен", "+7 (765) 378-43-12", Decimal("36321.00")),
              ("Пестрова Светлана", "4766543", "Активен", "+7 (521) 321-54-34", Decimal("84252.00"))]
    assert [(s.name, s.contract, s.status, s.phone, s.balance) for s in subscribers[:5]] == screen
    assert [s.added_on for s in subscribers] == sorted((s.added_on for s in subscribers), reverse=True)
    stats = billing.dealer_orders("dealer-2001")
    assert (stats.total, stats.processed, stats.in_progress) == (268, 255, 13)


def test_catalog_and_seeded_orders(billing):
    catalog = {item.name: item for item in billing.catalog()}
    assert {"Wi-Fi роутер", "ТВ-приставка", "Статический IP-адрес", "Антивирус"} <= set(catalog)
    assert {item.category for item in catalog.values()} == {"service", "equipment"}
    assert catalog["Антивирус"].monthly and not catalog["Wi-Fi роутер"].monthly
    assert OrderStatus.DONE in {order.status for order in billing.orders("108842")}


@pytest.mark.parametrize("call", [
    lambda b: b.account("999999"), lambda b: b.services("999999"), lambda b: b.service("no-such-service"),
    lambda b: b.tariffs("no-such-service"), lambda b: b.accounts("sub-0000"),
    lambda b: b.dealer_orders("dealer-0"), lambda b: b.dealer_subscribers("dealer-0"),
    lambda b: b.change_tariff("no-such-service", "inet-300", key()),
    lambda b: b.register_payment("999999", Decimal("10"), key()),
    lambda b: b.order("108842", "no-such-item", key()),
    lambda b: b.transfer("108842", "999999", Decimal("1"), key()),
    lambda b: b.disconnect_service("no-such-service", key()),
    lambda b: b.usage("999999", TODAY, TODAY),
    lambda b: b.bonus_programmes("999999"),
    lambda b: b.join_bonus_programme("108842", "no-such-programme", key()),
    lambda b: b.spend_bonus_points("108842", "no-such-reward", key()),
    lambda b: b.top_up_service("108842", "no-such-service", Decimal("1"), key()),
    lambda b: b.top_up_service("108842", "108843-video", Decimal("1"), key()),    # another account's service
])
def test_unknown_ids_raise_not_found(billing, call):
    with pytest.raises(BillingNotFound):
        call(billing)


# --- tariffs, block, promised payment ------------------------------------------------------------

def test_tariffs_offer_current_and_moves(billing):
    offers = billing.tariffs("108842-internet")
    assert [(o.tariff.name, o.current) for o in offers] == [
        ("Интернет 100", True), ("Интернет 300", False), ("Интернет 500", False)]
    assert [o.tariff.fee for o in offers] == [Decimal("550.00"), Decimal("750.00"), Decimal("950.00")]
    assert all(o.effective_date == NEXT_MONTH for o in offers if not o.current)


def test_change_tariff_plans_a_change_from_next_month(billing):
    result = billing.change_tariff("108842-internet", "inet-500", key())
    assert result.ok and result.effective_date == NEXT_MONTH
    (change,) = billing.service("108842-internet").planned_changes
    assert (change.tariff.id, change.effective_date) == ("inet-500", NEXT_MONTH)


def test_block_and_unblock(billing):
    assert not billing.block_terms("108843").blocked
    billing.block_services("108843", 10, key())
    terms = billing.block_terms("108843")
    assert terms.blocked and terms.blocked_until == TODAY + timedelta(days=10)
    services = {s.id: s for s in billing.services("108843")}
    assert services["108843-internet"].status is ServiceStatus.BLOCKED
    assert services["108843-video"].status is ServiceStatus.SUSPENDED   # operator's suspension stays
    billing.unblock_services("108843", key())
    services = {s.id: s for s in billing.services("108843")}
    assert services["108843-internet"].status is ServiceStatus.ACTIVE
    assert services["108843-video"].status is ServiceStatus.SUSPENDED


def test_block_terms(billing):
    terms = billing.block_terms("108842")
    assert (terms.min_days, terms.max_days, terms.fee_per_day) == (7, 90, Decimal("1.00"))
    assert terms.description and terms.blocked   # the seeded TV block


def test_a_scheduled_block_waits_for_its_first_day_then_blocks_until_its_last(tmp_path):
    start, end = IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=13)                 # 14 days, both included
    billing = DemoBilling(sqlite_url(tmp_path), today=TODAY)
    terms = billing.block_terms("108843")
    assert (terms.earliest_start, terms.latest_start) == (TODAY + timedelta(days=1), TODAY + timedelta(days=60))
    before = billing.account("108843").balance
    result = billing.schedule_block("108843", start, end, key())
    assert result.ok and result.effective_date == start and "с 25.05.2025 по 07.06.2025" in result.message
    assert billing.account("108843").balance == before - Decimal("14.00")       # the whole period, now
    terms = billing.block_terms("108843")
    assert not terms.blocked and (terms.scheduled_from, terms.scheduled_until) == (start, end)
    internet = billing.service("108843-internet")
    assert internet.status is ServiceStatus.ACTIVE and internet.blocked_until is None
    assert [(c.kind, c.effective_date, c.description) for c in internet.planned_changes] == [
        ("block", start, "Добровольная блокировка по 07.06.2025 включительно")]
    assert billing.service("108843-video").planned_changes == ()               # suspended: the block leaves it
    billing.close()
    day_before = DemoBilling(sqlite_url(tmp_path), today=start - timedelta(days=1))
    assert day_before.service("108843-internet").status is ServiceStatus.ACTIVE
    day_before.close()
    first_day = DemoBilling(sqlite_url(tmp_path), today=start)
    internet = first_day.service("108843-internet")
    assert internet.status is ServiceStatus.BLOCKED and internet.blocked_until == end + timedelta(days=1)
    assert [c.kind for c in internet.planned_changes] == ["unblock"]
    terms = first_day.block_terms("108843")
    assert terms.blocked and terms.scheduled_from is None
    assert first_day.service("108843-video").status is ServiceStatus.SUSPENDED
    first_day.close()
    last_day = DemoBilling(sqlite_url(tmp_path), today=end)
    assert last_day.service("108843-internet").status is ServiceStatus.BLOCKED
    last_day.close()
    after = DemoBilling(sqlite_url(tmp_path), today=end + timedelta(days=1))
    try:
        assert after.service("108843-internet").status is ServiceStatus.ACTIVE
        assert not after.block_terms("108843").blocked
        assert after.schedule_block("108843", end + timedelta(days=5), end + timedelta(days=11), key()).ok  # anew
    finally:
        after.close()


def test_a_scheduled_block_is_made_once_per_request(billing):
    request_id, before = key(), billing.account("108843").balance
    first = billing.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=6), request_id)
    assert billing.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=6), request_id) == first
    assert billing.account("108843").balance == before - Decimal("7.00")
    with pytest.raises(BillingRejected) as again:          # another request while one is scheduled
        billing.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=6), key())
    assert again.value.code == "block_already_scheduled" and "с 25.05.2025 по 31.05.2025" in again.value.reason
    with pytest.raises(BillingRejected) as now:
        billing.block_services("108843", 10, key())
    assert now.value.code == "block_already_scheduled"


def test_unblocking_cancels_a_scheduled_block_and_returns_its_fee(billing):
    before = billing.account("108843").balance
    billing.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=29), key())
    result = billing.unblock_services("108843", key())
    assert result.ok and "отменена" in result.message and "30,00 ₽" in result.message
    assert billing.account("108843").balance == before
    terms = billing.block_terms("108843")
    assert terms.scheduled_from is None and not terms.blocked
    assert billing.service("108843-internet").planned_changes == ()
    refunds = [e for e in billing.history("108843", TODAY, TODAY) if e.kind is OperationKind.REFUND]
    assert [e.amount for e in refunds] == [Decimal("30.00")]
    with pytest.raises(BillingRejected) as nothing:
        billing.unblock_services("108843", key())
    assert nothing.value.code == "not_blocked"


def test_unblocking_a_running_scheduled_block_returns_the_days_left(tmp_path):
    scheduling = DemoBilling(sqlite_url(tmp_path), today=TODAY)
    scheduling.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=13), key())
    scheduling.close()
    billing = DemoBilling(sqlite_url(tmp_path), today=IN_TEN_DAYS + timedelta(days=4))
    try:
        before = billing.account("108843").balance
        assert "возвращено 10,00 ₽" in billing.unblock_services("108843", key()).message      # 14 - 4 days
        assert billing.account("108843").balance == before + Decimal("10.00")
        assert billing.service("108843-internet").status is ServiceStatus.ACTIVE
        assert billing.block_terms("108843").scheduled_from is None
    finally:
        billing.close()


def test_promised_payment_eligibility_both_ways(billing):
    home, dacha = billing.promised_payment_terms("108842"), billing.promised_payment_terms("108843")
    assert home.eligible and home.amount == Decimal("3146.10")
    assert (home.repay_days, home.interval_days, home.repay_by) == (3, 25, TODAY + timedelta(days=3))
    assert not dacha.eligible and "раз в 25 дней" in dacha.ineligible_reason
    assert dacha.available_from == TODAY - timedelta(days=10) + timedelta(days=25)


def test_activating_promised_payment_credits_and_records(billing):
    before = billing.account("108842").balance
    result = billing.activate_promised_payment("108842", key())
    assert result.ok and result.effective_date == TODAY + timedelta(days=3)
    assert billing.account("108842").balance == before + Decimal("3146.10")
    (entry,) = [e for e in billing.history("108842", TODAY, TODAY) if e.kind is OperationKind.PAYMENT]
    assert entry.amount == Decimal("3146.10")
    terms = billing.promised_payment_terms("108842")
    assert not terms.eligible and terms.active
    # the debt is covered, so the phone suspended for it works again
    assert billing.service("108842-phone").status is ServiceStatus.ACTIVE


# --- rejections ----------------------------------------------------------------------------------

@pytest.mark.parametrize("call, code", [
    (lambda b: b.change_tariff("108842-phone", "phone-unlimited", key()), "tariff_change_not_allowed"),
    (lambda b: b.change_tariff("108842-internet", "tv-basic", key()), "tariff_not_offered"),
    (lambda b: b.change_tariff("108842-internet", "inet-100", key()), "tariff_is_current"),
    (lambda b: b.block_services("108843", 6, key()), "block_days_out_of_range"),
    (lambda b: b.block_services("108843", 91, key()), "block_days_out_of_range"),
    (lambda b: b.block_services("108842", 10, key()), "already_blocked"),
    (lambda b: b.unblock_services("108843", key()), "not_blocked"),
    (lambda b: b.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS - timedelta(days=1), key()), "invalid_period"),
    (lambda b: b.schedule_block("108843", TODAY, TODAY + timedelta(days=13), key()), "block_start_too_early"),
    (lambda b: b.schedule_block("108843", TODAY + timedelta(days=61), TODAY + timedelta(days=75), key()),
     "block_start_too_late"),
    (lambda b: b.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=5), key()),
     "block_days_out_of_range"),                                                     # 6 days
    (lambda b: b.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=90), key()),
     "block_days_out_of_range"),                                                     # 91 days
    (lambda b: b.schedule_block("108842", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=13), key()), "already_blocked"),
    (lambda b: b.activate_promised_payment("108843", key()), "promised_payment_unavailable"),
    (lambda b: b.register_payment("108842", Decimal("0"), key()), "invalid_amount"),
    (lambda b: b.register_payment("108842", Decimal("-5"), key()), "invalid_amount"),
    (lambda b: b.transfer("108843", "108842", Decimal("0"), key()), "invalid_amount"),
    (lambda b: b.transfer("108843", "108843", Decimal("10"), key()), "same_account"),
    (lambda b: b.transfer("108842", "108843", Decimal("10"), key()), "insufficient_funds"),
    (lambda b: b.order("108842", "static-ip", key()), "already_ordered"),
    (lambda b: b.update_requisites("108842", "  ", key()), "payer_name_required"),
    (lambda b: b.update_requisites("108842", "Иванов И. П.", key(), email="not-an-email"), "invalid_email"),
    (lambda b: b.history("108842", TODAY, TODAY - timedelta(days=1)), "invalid_period"),
    (lambda b: b.usage("108842", TODAY, TODAY - timedelta(days=1)), "invalid_period"),
    (lambda b: b.disconnect_service("108842-internet", key()), "main_service"),
    (lambda b: b.disconnect_service("108843-internet", key()), "main_service"),
    (lambda b: b.disconnect_service("108842-antivirus", key()), "service_closed"),
    (lambda b: b.join_bonus_programme("108842", "payments", key()), "already_joined"),
    (lambda b: b.spend_bonus_points("108842", "payments-router", key()), "insufficient_points"),
    (lambda b: b.spend_bonus_points("108842", "tenure-speed-week", key()), "reward_not_in_programme"),
    (lambda b: b.top_up_service("108843", "108843-internet", Decimal("10"), key()), "no_service_balance"),
    (lambda b: b.top_up_service("108843", "108843-video", Decimal("1240.01"), key()), "insufficient_funds"),
    (lambda b: b.top_up_service("108843", "108843-video", Decimal("0"), key()), "invalid_amount"),
])
def test_refusals_explain_themselves(billing, call, code):
    balances = {a.id: a.balance for a in billing.accounts("sub-1001")}
    with pytest.raises(BillingRejected) as refused:
        call(billing)
    assert refused.value.code == code
    assert refused.value.reason and any("а" <= ch <= "я" for ch in refused.value.reason.lower())
    assert {a.id: a.balance for a in billing.accounts("sub-1001")} == balances


def test_suspended_service_keeps_its_tariff_after_refusal(billing):
    with pytest.raises(BillingRejected):
        billing.change_tariff("108842-phone", "phone-unlimited", key())
    assert billing.service("108842-phone").planned_changes == ()


# --- history -------------------------------------------------------------------------------------

def test_history_covers_three_months_newest_first(billing):
    entries = billing.history("108842", date(2025, 2, 1), TODAY)
    assert [e.at for e in entries] == sorted((e.at for e in entries), reverse=True)
    charge_days = {e.at.date() for e in entries
                   if e.kind is OperationKind.CHARGE and e.amount < 0 and e.service_id}
    assert {date(2025, 2, 1), date(2025, 3, 1), date(2025, 4, 1), date(2025, 5, 1)} <= charge_days
    assert any(e.kind is OperationKind.PAYMENT and e.amount > 0 for e in entries)
    assert all(e.at.tzinfo is not None for e in entries)
    dacha = billing.history("108843", TODAY - timedelta(days=10), TODAY - timedelta(days=10))
    assert [e.description for e in dacha] == ["Обещанный платёж"]


def test_history_period_ends_are_inclusive(billing):
    april = billing.history("108842", date(2025, 4, 1), date(2025, 4, 30))
    assert april and all(date(2025, 4, 1) <= e.at.date() <= date(2025, 4, 30) for e in april)
    assert any(e.at.date() == date(2025, 4, 1) for e in april)
    first_day = billing.history("108842", date(2025, 4, 1), date(2025, 4, 1))
    assert first_day and {e.at.date() for e in first_day} == {date(2025, 4, 1)}
    assert len(first_day) < len(april)
    assert billing.history("108842", date(2024, 1, 1), date(2024, 1, 31)) == []


# --- idempotency ---------------------------------------------------------------------------------

def test_same_request_id_has_one_effect(billing):
    request_id = key()
    first = billing.activate_promised_payment("108842", request_id)
    again = billing.activate_promised_payment("108842", request_id)
    assert again == first
    credits = [e for e in billing.history("108842", TODAY, TODAY) if e.description == "Обещанный платёж"]
    assert len(credits) == 1
    order_key = key()
    first_order = billing.order("108843", "wifi-router", order_key)
    assert billing.order("108843", "wifi-router", order_key) == first_order
    assert len(billing.orders("108843")) == 2   # the seeded one and this one


def test_same_payment_id_credits_once(billing):
    before = billing.account("108843").balance
    receipt = billing.register_payment("108843", Decimal("500.00"), "card-42")
    assert billing.register_payment("108843", Decimal("500.00"), "card-42") == receipt
    assert billing.account("108843").balance == before + Decimal("500.00")
    assert len([e for e in billing.history("108843", TODAY, TODAY) if e.kind is OperationKind.PAYMENT]) == 1


def test_transfer_moves_money_once(billing):
    request_id = key()
    receipt = billing.transfer("108843", "108842", Decimal("200.00"), request_id)
    assert billing.transfer("108843", "108842", Decimal("200.00"), request_id) == receipt
    assert billing.account("108843").balance == Decimal("1040.00")
    assert billing.account("108842").balance == Decimal("-212.50")


# --- persistence ---------------------------------------------------------------------------------

def change_everything(binding: DemoBilling) -> None:
    binding.change_tariff("108842-internet", "inet-500", key())
    binding.block_services("108843", 14, key())
    binding.activate_promised_payment("108842", key())
    binding.register_payment("108843", Decimal("300.00"), "persisted-payment")
    binding.order("108843", "tv-box", key())
    binding.update_requisites("108842", "Иванова Мария Сергеевна", key(), email="maria@example.ru")
    binding.transfer("108843", "108842", Decimal("100.00"), key())


def check_everything(binding: DemoBilling) -> None:
    assert binding.service("108842-internet").planned_changes[0].tariff.id == "inet-500"
    assert binding.block_terms("108843").blocked_until == TODAY + timedelta(days=14)
    assert binding.promised_payment_terms("108842").active
    assert binding.account("108842").balance == Decimal("-412.50") + Decimal("3146.10") + Decimal("100.00")
    # seeded 1240.00, block fee 14 days x 1.00, payment 300.00, transfer 100.00 out
    assert binding.account("108843").balance == Decimal("1426.00")
    assert [o.item.id for o in binding.orders("108843") if o.status is OrderStatus.NEW] == ["tv-box"]
    assert binding.requisites("108842").payer_name == "Иванова Мария Сергеевна"
    assert binding.dealer_orders("dealer-2001").total == 268   # seeded once, not twice


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_state_survives_a_restart(backend, tmp_path, request):
    url = sqlite_url(tmp_path) if backend == "sqlite" else request.getfixturevalue("fresh_postgres_url")
    first = DemoBilling(url, today=TODAY)
    try:
        change_everything(first)
    finally:
        first.close()
    second = DemoBilling(url, today=TODAY + timedelta(days=1))
    try:
        check_everything(second)
        assert len(second.dealer_subscribers("dealer-2001")) == 11
    finally:
        second.close()


def test_block_ends_and_planned_tariff_applies_with_time(tmp_path):
    DemoBilling(sqlite_url(tmp_path), today=TODAY).close()
    later = DemoBilling(sqlite_url(tmp_path), today=TODAY + timedelta(days=40))
    try:
        assert later.service("108842-tv").status is ServiceStatus.ACTIVE
        internet = later.service("108842-internet")
        assert internet.tariff.name == "Интернет 300" and internet.planned_changes == ()
    finally:
        later.close()


# --- concurrency and latency -----------------------------------------------------------------------

def test_two_processes_seeding_at_once_seed_once(tmp_path):
    barrier, bindings = threading.Barrier(2), []

    def start():
        barrier.wait()
        bindings.append(DemoBilling(sqlite_url(tmp_path), today=TODAY))

    threads = [threading.Thread(target=start) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert len(bindings) == 2
        assert len(bindings[0].dealer_subscribers("dealer-2001")) == 11
        assert len(bindings[1].accounts("sub-1001")) == 2
    finally:
        for binding in bindings:
            binding.close()


def test_concurrent_calls_from_eight_threads(billing):
    before = billing.account("108842").balance

    def work(n: int):
        billing.services("108842")
        billing.history("108842", date(2025, 2, 1), TODAY)
        billing.register_payment("108842", Decimal("10.00"), f"concurrent-{n}")
        billing.register_payment("108842", Decimal("10.00"), "the-same-payment")   # racing twins
        billing.change_tariff("108843-internet", "inet-500", f"tariff-{n % 2}")
        return billing.account("108842")

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    assert len(results) == 8
    assert billing.account("108842").balance == before + Decimal("10.00") * 8 + Decimal("10.00")


def test_latency_delays_every_call(tmp_path):
    binding = DemoBilling(sqlite_url(tmp_path), latency_ms=150, today=TODAY)
    try:
        calls = (lambda: binding.account("108842"),
                 lambda: binding.register_payment("108842", Decimal("1"), key()))
        for call in calls:
            started = time.perf_counter()
            call()
            assert time.perf_counter() - started >= 0.15
    finally:
        binding.close()


def test_the_billings_own_payment_site_is_offered_in_the_subscribers_language(tmp_path):
    quiet = DemoBilling(sqlite_url(tmp_path))
    assert quiet.payment_pages("108842") == []           # no payment site of its own: nothing to offer
    quiet.close()
    billing = DemoBilling(sqlite_url(tmp_path), payment_site="https://pay.demo-telecom.example/")
    [russian] = billing.payment_pages("108842")
    assert russian.url == "https://pay.demo-telecom.example/pay/108842" and russian.name == "Сайт оплаты Демо Телеком"
    assert billing.payment_pages("108842", "en")[0].name == "Demo Telecom payment site"
    with pytest.raises(BillingNotFound):
        billing.payment_pages("no-such-account")
    billing.close()


# --- disconnecting a service ---------------------------------------------------------------------

def test_a_service_says_when_it_would_end_if_disconnected(billing):
    ends = {s.id: s.disconnect_date for s in billing.services("108842")}
    assert ends == {"108842-internet": None, "108842-tv": NEXT_MONTH, "108842-phone": NEXT_MONTH,
                    "108842-static-ip": NEXT_MONTH, "108842-antivirus": None}     # not the main one, not a closed one


def test_a_disconnected_service_closes_next_month_once_per_request(billing):
    request_id = key()
    result = billing.disconnect_service("108842-tv", request_id)
    assert result.ok and result.effective_date == NEXT_MONTH and result.reference
    assert result.message == "Услуга «Цифровое телевидение» будет отключена с 01.06.2025"
    assert billing.disconnect_service("108842-tv", request_id) == result          # the same answer, no second effect
    tv = billing.service("108842-tv")
    assert tv.status is ServiceStatus.BLOCKED and tv.disconnect_date is None      # it works until then
    assert [(c.kind, c.effective_date) for c in tv.planned_changes if c.kind == "close"] == [("close", NEXT_MONTH)]
    with pytest.raises(BillingRejected) as again:                                 # another request: already planned
        billing.disconnect_service("108842-tv", key())
    assert again.value.code == "already_disconnecting" and "01.06.2025" in again.value.reason


def test_the_main_service_is_refused_and_left_as_it_was(billing):
    before = billing.service("108842-internet")
    with pytest.raises(BillingRejected) as refused:
        billing.disconnect_service("108842-internet", key())
    assert "основная услуга" in refused.value.reason and "Домашний интернет" in refused.value.reason
    assert billing.service("108842-internet") == before


def test_a_disconnected_service_drops_its_tariff_change_and_takes_no_other(billing):
    billing.change_tariff("108842-tv", "tv-basic", key())
    assert [c.kind for c in billing.service("108842-tv").planned_changes] == ["tariff_change", "unblock"]
    billing.disconnect_service("108842-tv", key())
    tv = billing.service("108842-tv")
    assert "tariff_change" not in {c.kind for c in tv.planned_changes} and not tv.tariff_change_allowed
    with pytest.raises(BillingRejected) as refused:
        billing.change_tariff("108842-tv", "tv-basic", key())
    assert refused.value.code == "tariff_change_not_allowed" and "будет отключена" in refused.value.reason


def test_the_service_is_closed_from_the_planned_day(tmp_path):
    billing = DemoBilling(sqlite_url(tmp_path), today=TODAY)
    billing.disconnect_service("108843-video", key())
    billing.close()
    day_before = DemoBilling(sqlite_url(tmp_path), today=NEXT_MONTH - timedelta(days=1))
    assert day_before.service("108843-video").status is ServiceStatus.SUSPENDED
    day_before.close()
    later = DemoBilling(sqlite_url(tmp_path), today=NEXT_MONTH)
    try:
        video = later.service("108843-video")
        assert video.status is ServiceStatus.CLOSED and video.planned_changes == ()
        assert later.service("108843-internet").status is ServiceStatus.ACTIVE       # the others stay
        with pytest.raises(BillingRejected) as refused:
            later.disconnect_service("108843-video", key())
        assert refused.value.code == "service_closed"
    finally:
        later.close()


# --- usage detail ------------------------------------------------------------------------------------

def test_usage_keeps_to_the_period_newest_first(billing):
    april = billing.usage("108842", date(2025, 4, 1), date(2025, 4, 30)).records
    days = [r.at.date() for r in april]
    assert days and min(days) == date(2025, 4, 1) and max(days) == date(2025, 4, 30)     # both ends included
    assert [r.at for r in april] == sorted((r.at for r in april), reverse=True)
    assert all(r.at.tzinfo is not None for r in april)
    assert {r.service_id for r in april} == {"108842-internet", "108842-phone"}        # the account's only
    traffic = [r for r in april if r.kind == "traffic"]
    assert len(traffic) == 30 and all(r.unit == "GB" and r.quantity > 0 and r.amount == 0 for r in traffic)
    one_day = billing.usage("108842", date(2025, 4, 1), date(2025, 4, 1)).records
    assert {r.at.date() for r in one_day} == {date(2025, 4, 1)} and len(one_day) < len(april)
    assert billing.usage("108842", date(2024, 1, 1), date(2024, 1, 31)).records == ()
    assert billing.usage("108842", TODAY, TODAY).records == ()                           # today is not counted yet


def test_calls_are_charged_beyond_what_is_free(billing):
    calls = [r for r in billing.usage("108842", date(2025, 2, 1), TODAY).records if r.kind == "call"]
    assert calls and all(r.unit == "min" and r.quantity == r.quantity.to_integral_value() for r in calls)
    assert max(r.at.date() for r in calls) < date(2025, 5, 3)             # the phone is suspended since then
    mobile = [r for r in calls if "мобильный" in r.description]
    assert mobile and all(r.amount == Decimal("1.90") * r.quantity for r in mobile)
    local = [r for r in calls if "Москва" in r.description]
    assert local and all(r.amount == 0 for r in local)


def test_packages_say_what_the_months_usage_left(billing):
    (minutes,) = billing.usage("108842", TODAY, TODAY).packages
    may = billing.usage("108842", date(2025, 5, 1), TODAY).records
    long_distance = sum(r.quantity for r in may if "Санкт-Петербург" in r.description)
    assert (minutes.service_id, minutes.unit, minutes.total) == ("108842-phone", "min", Decimal(100))
    assert minutes.left == minutes.total - long_distance and minutes.until == date(2025, 5, 31)
    (gigabytes,) = billing.usage("108843", TODAY, TODAY).packages
    used = sum(r.quantity for r in billing.usage("108843", date(2025, 5, 1), TODAY).records)
    assert used > 0 and gigabytes.unit == "GB" and gigabytes.left == gigabytes.total - used
    assert billing.usage("108900", TODAY, TODAY).packages == ()


def test_a_database_seeded_before_usage_existed_gains_it(tmp_path):
    from sqlalchemy import create_engine

    from engine.billing.demo.models import (
        BonusMembershipRow, BonusProgrammeRow, BonusRewardRow, PackageRow, ScheduledBlockRow, ServiceClosureRow,
        ServiceWalletRow, UsageRow,
    )

    DemoBilling(sqlite_url(tmp_path), today=TODAY).close()
    engine = create_engine(sqlite_url(tmp_path))
    for table in (UsageRow.__table__, PackageRow.__table__, ServiceClosureRow.__table__,
                  ScheduledBlockRow.__table__, BonusMembershipRow.__table__, BonusRewardRow.__table__,
                  BonusProgrammeRow.__table__, ServiceWalletRow.__table__):
        table.drop(engine)
    engine.dispose()
    billing = DemoBilling(sqlite_url(tmp_path), today=TODAY)
    try:
        assert billing.usage("108842", date(2025, 5, 1), TODAY).records and billing.usage("108843", TODAY, TODAY).packages
        assert billing.disconnect_service("108842-tv", key()).ok
        assert billing.schedule_block("108843", IN_TEN_DAYS, IN_TEN_DAYS + timedelta(days=6), key()).ok
        # the account's points before programmes existed are its points in the programme it is in
        assert billing.bonuses("108842").points == Decimal("1250")
        assert billing.spend_bonus_points("108842", "payments-tv-month", key()).ok
        assert billing.service("108843-video").balance == Decimal("150.00")
        assert len(billing.accounts("sub-1001")) == 2                  # nothing seeded twice
    finally:
        billing.close()


# --- bonus programmes --------------------------------------------------------------------------------
def programmes_of(billing, account_id="108842"):
    return {programme.id: programme for programme in billing.bonus_programmes(account_id)}


def test_the_account_is_in_one_programme_of_those_offered(billing):
    programmes = programmes_of(billing)
    assert [p.name for p in programmes.values()] == ["Бонусы за оплату", "Баллы за стаж", "Семейный"]
    assert [p.id for p in programmes.values() if p.joined] == ["payments"]
    assert programmes["payments"].points == billing.bonuses("108842").points == Decimal("1250")
    assert billing.bonuses("108842").program == "Бонусы за оплату"
    assert all(p.rewards and p.description for p in programmes.values())
    costs = {r.name: r.cost_points for r in programmes["payments"].rewards}
    assert costs["Скидка 100 ₽ на абонентскую плату"] == Decimal("500")


def test_joining_another_programme_leaves_the_current_one_once_per_request(billing):
    request_id = key()
    first = billing.join_bonus_programme("108842", "family", request_id)
    assert first.ok and "«Семейный»" in first.message and "«Бонусы за оплату» завершено" in first.message
    assert billing.join_bonus_programme("108842", "family", request_id) == first      # the same answer again
    programmes = programmes_of(billing)
    assert [p.id for p in programmes.values() if p.joined] == ["family"]
    assert programmes["family"].points == 0 and billing.bonuses("108842").program == "Семейный"
    assert programmes["payments"].points == Decimal("1250")                  # kept for a return
    assert billing.join_bonus_programme("108842", "payments", key()).ok
    assert billing.bonuses("108842").points == Decimal("1250")
    assert programmes_of(billing, "108843")["payments"].joined                # other accounts stay


def test_spending_points_takes_the_rewards_cost_once_and_credits_a_discount(billing):
    balance, request_id = billing.account("108842").balance, key()
    spent = billing.spend_bonus_points("108842", "payments-discount-100", request_id)
    assert spent.ok and "осталось — 750" in spent.message
    assert billing.spend_bonus_points("108842", "payments-discount-100", request_id) == spent
    assert billing.bonuses("108842").points == Decimal("750")
    assert billing.account("108842").balance == balance + Decimal("100.00")
    (entry,) = [e for e in billing.history("108842", TODAY, TODAY) if e.kind is OperationKind.BONUS]
    assert entry.amount == Decimal("100.00") and "Скидка 100 ₽" in entry.description


def test_a_reward_beyond_the_points_is_refused_and_changes_nothing(billing):
    billing.spend_bonus_points("108842", "payments-tv-month", key())               # 1250 - 1000 = 250
    with pytest.raises(BillingRejected) as refused:
        billing.spend_bonus_points("108842", "payments-discount-100", key())
    assert refused.value.code == "insufficient_points" and "стоит 500, у вас 250" in str(refused.value)
    assert billing.bonuses("108842").points == Decimal("250")


# --- service balances --------------------------------------------------------------------------------
def test_only_services_with_a_balance_of_their_own_show_one(billing):
    balances = {s.id: s.balance for a in ("108842", "108843") for s in billing.services(a)}
    assert balances["108843-video"] == Decimal("150.00")
    assert [service for service, balance in balances.items() if balance is not None] == ["108843-video"]


def test_a_service_top_up_moves_money_from_the_account_once_per_request(billing):
    account, request_id = billing.account("108843").balance, key()
    done = billing.top_up_service("108843", "108843-video", Decimal("200.50"), request_id)
    assert done.ok and "«Видеонаблюдение»" in done.message and "350,50" in done.message
    assert billing.top_up_service("108843", "108843-video", Decimal("200.50"), request_id) == done
    assert billing.account("108843").balance == account - Decimal("200.50")
    assert billing.service("108843-video").balance == Decimal("350.50")
    entries = [e for e in billing.history("108843", TODAY, TODAY) if e.kind is OperationKind.TRANSFER]
    assert sorted((e.amount, e.service_id) for e in entries) == [(Decimal("-200.50"), None),
                                                                 (Decimal("200.50"), "108843-video")]


def test_a_refused_service_top_up_moves_nothing(billing):
    account = billing.account("108843").balance
    with pytest.raises(BillingRejected) as refused:
        billing.top_up_service("108843", "108843-video", account + Decimal("0.01"), key())
    assert "доступно 1" in str(refused.value)
    assert billing.account("108843").balance == account
    assert billing.service("108843-video").balance == Decimal("150.00")
