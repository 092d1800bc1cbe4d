"""The demo billing: a few subscribers with three months of fees and payments, tariffs, services,
announcements, a ticket thread, cards, and the userstats.ini options of a cabinet that offers
payments links, self-freezing and self-credit. Every date is relative to ``today``.

Subscribers (login = password): ``demo1`` (350 UAH, Home-100, two services), ``demo2`` (-120.5,
Home-50), ``frozen1`` (frozen since 10 days), ``rich1`` (Home-300, a private house), ``down1``
(disabled, in debt), ``credit1`` (has taken a credit this month).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from .ini import UserstatsIni
from .state import (
    CONTRAHENT_COLUMNS, DATETIME_FORMAT, Address, Announcement, AnnouncementRead, BillingState, Card, Clock,
    CreditLogEntry, Fee, FreezeDays, Payment, Phones, Tag, TagType, Tariff, Ticket, User, VService, WebLog,
    db_number, midnight_timestamp,
)

GIB = 1073741824

DEMO_OPTIONS: dict[str, object] = {
    "auth": "login",
    "PAYMENTS_ENABLED": 1, "AN_ENABLED": 1, "TICKETING_ENABLED": 1,
    "OPENPAYZ_ENABLED": 1, "OPENPAYZ_REALID": 0, "OPENPAYZ_PAYSYS": "liqpay,easypay",
    "OPENPAYZ_URL": "https://pay.example.net/openpayz/backend/",
    "currency": "UAH",
    "TC_TARIFFSALLOWED": "Home-50,Home-100,Home-300", "TC_TARIFFENABLEDFROM": "Home-50,Home-100",
    "AF_ENABLED": 1, "AF_FREEZPRICE": 50, "AF_TARIFFSALLOWED": "Home-50,Home-100,Home-300", "AF_CASHTYPEID": 1,
    "XMLAGENT_SELF_UNFREEZE_ALLOWED": 1,
    "SC_ENABLED": 1, "SC_TERM": 5, "SC_PRICE": 10, "SC_MINDAY": 1, "SC_MAXDAY": 31, "SC_MONTHCONTROL": 1,
    "SC_CASHTYPEID": 1,
    "ONLINELEFT_COUNT": 1, "ONLINELEFT_SPREAD": 1,
    "AGENTS_ASSIGN": 0, "DEFAULT_ASSIGN_AGENT": 1,
    "PC_ENABLED": 1, "PC_BRUTE": 5, "PC_CASHTYPEID": 1,
}


@dataclass
class _Movement:
    """A change of a balance: a tariff fee (``fees``) or a payment/charge (``payments``)."""
    moment: datetime
    login: str
    amount: Decimal
    note: str = ""
    is_fee: bool = False
    admin: str = "external"


def _month_start(today: date, months_back: int) -> date:
    month_index = today.year * 12 + today.month - 1 - months_back
    return date(month_index // 12, month_index % 12 + 1, 1)


def _at(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second))


def _monthly(today: date, login: str, fee: str, services: Mapping[int, str] | None = None,
             payments: Mapping[int, str] | None = None) -> list[_Movement]:
    """For each of the last three months (2, 1, 0 back): the tariff fee and service charges on the
    1st just after midnight, and the payment given for that month two days later (not after today)."""
    services, payments = services or {}, payments or {}
    movements: list[_Movement] = []
    for back in (2, 1, 0):
        start = _month_start(today, back)
        movements.append(_Movement(_at(start, 0, 0, 10), login, -Decimal(fee), is_fee=True, admin="stargazer"))
        for offset, (service_id, price) in enumerate(services.items()):
            movements.append(_Movement(_at(start, 0, 0, 20 + 10 * offset), login, -Decimal(price),
                                       f"Service:{service_id}"))
        if back in payments:
            movements.append(_Movement(_at(min(start + timedelta(days=2), today), 10, 15), login,
                                       Decimal(payments[back]), admin="admin"))
    return movements


def _book(state: BillingState, movements: list[_Movement]) -> None:
    """Writes the movements as fees and payments, each with the balance before it, so that every
    user ends at the cash already set on it; ids follow time."""
    balances = {login: user.cash - sum((m.amount for m in movements if m.login == login), Decimal(0))
                for login, user in state.users.items()}
    for movement in sorted(movements, key=lambda m: (m.moment, m.login)):
        before = balances[movement.login]
        after = before + movement.amount
        balances[movement.login] = after
        moment = movement.moment.strftime(DATETIME_FORMAT)
        if movement.is_fee:
            state.fees.append(Fee(len(state.fees) + 1, movement.login, moment, movement.admin, db_number(before),
                                  db_number(after), db_number(movement.amount)))
        else:
            state.payments.append(Payment(len(state.payments) + 1, movement.login, moment, movement.admin,
                                          db_number(before), db_number(movement.amount), "1", movement.note))


def _subscribers(state: BillingState, today: date) -> None:
    def add(user: User, realname: str, phones: tuple[str, str], email: str, contract: str,
            address: Address) -> None:
        state.users[user.login] = user
        state.realnames[user.login] = realname
        state.phones[user.login] = Phones(*phones)
        state.emails[user.login] = email
        state.contracts[user.login] = contract
        state.contract_dates[user.login] = date(today.year - 3, 3, 15).isoformat()
        state.addresses[user.login] = address

    def traffic(gigabytes: float) -> tuple[int, ...]:
        return (int(gigabytes * GIB),) + (0,) * 9

    add(User("demo1", "demo1", "172.16.0.10", Decimal("350"), tariff="Home-100",
             download=(13250000000,) + (0,) * 9, upload=(1610612736,) + (0,) * 9),
        "Иван Иванов", ("0441234567", "0501234567"), "demo1@example.com", "10001",
        Address("Киев", "Крещатик", "1", "5"))
    add(User("demo2", "demo2", "172.16.0.11", Decimal("-120.5"), tariff="Home-50",
             download=traffic(3.25), upload=traffic(0.5)),
        "Пётр Петров", ("0442345678", "0672345678"), "demo2@example.com", "10002",
        Address("Киев", "Лесная", "12", "34"))
    add(User("frozen1", "frozen1", "172.16.0.12", Decimal("80"), tariff="Home-50", passive=1),
        "Мария Сидоренко", ("", "0933456789"), "frozen1@example.com", "10003",
        Address("Киев", "Садовая", "3", "7"))
    add(User("rich1", "rich1", "172.16.0.13", Decimal("2500"), tariff="Home-300",
             download=traffic(250.5), upload=traffic(40)),
        "Олег Богатый", ("0444567890", "0504567890"), "rich1@example.com", "10004",
        Address("Бровары", "Независимости", "7", "0"))
    add(User("down1", "down1", "172.16.0.14", Decimal("-300"), tariff="Home-50", down=1),
        "Анна Должник", ("", "0665678901"), "down1@example.com", "10005",
        Address("Киев", "Лесная", "14", "2"))
    add(User("credit1", "credit1", "172.16.0.15", Decimal("-200"), Decimal("460"),
             midnight_timestamp(today + timedelta(days=3)), tariff="Home-100"),
        "Сергей Кредитов", ("", "0976789012"), "credit1@example.com", "10006",
        Address("Киев", "Садовая", "5", "11"))

    _book(state, [
        *_monthly(today, "demo1", "450", {1: "150", 2: "50"}, {2: "700", 1: "700", 0: "600"}),
        *_monthly(today, "demo2", "250", payments={2: "250", 1: "250"}),
        *_monthly(today, "frozen1", "250", payments={2: "600"}),
        *_monthly(today, "rich1", "700", {2: "50"}, {2: "3000"}),
        *_monthly(today, "down1", "250"),
        *_monthly(today, "credit1", "450", payments={2: "450", 1: "450"}),
        _Movement(_at(today, 0, 5), "credit1", Decimal("-10"), "SCFEE"),
    ])
    state.credit_log.append(CreditLogEntry(1, _at(today, 0, 5).strftime(DATETIME_FORMAT), "credit1"))
    frozen_since = _at(today - timedelta(days=10), 12).strftime(DATETIME_FORMAT)
    state.weblogs.append(WebLog(1, frozen_since, "admin", "127.0.0.1", "PASSIVE CHANGE (frozen1) ON `1`"))
    state.freeze_days["frozen1"] = FreezeDays("frozen1", "0", "10", "0", "3")


def _catalogue(state: BillingState) -> None:
    for tariff in (Tariff("Home-50", "250", "month", "30"), Tariff("Home-100", "450", "month", "30"),
                   Tariff("Home-300", "700", "month", "50"), Tariff("Daily-15", "15", "day", "5"),
                   Tariff("Legacy-10", "100", "month", "0")):
        state.tariffs[tariff.name] = tariff
    state.lousy_tariffs.add("Legacy-10")
    for tag_type in (TagType(1, "TV Basic"), TagType(2, "Static IP"), TagType(3, "TV Old")):
        state.tag_types[tag_type.id] = tag_type
    state.vservices += [VService(1, 1, "150", "30"), VService(2, 2, "50", "30"),
                        VService(3, 3, "99", "30", archived=True)]
    state.tags += [Tag(1, "demo1", 1), Tag(2, "demo1", 2), Tag(3, "rich1", 2)]


def _communication(state: BillingState, today: date) -> None:
    def moment(days_back: int, hour: int, minute: int = 0) -> str:
        return _at(today - timedelta(days=days_back), hour, minute).strftime(DATETIME_FORMAT)

    state.announcements += [
        Announcement(1, "Новые тарифы", "С 1 числа доступен тариф Home-300. Подробнее: https://isp.example.net/"),
        Announcement(2, "Maintenance", "<b>Network works</b> on Monday 02:00-04:00<br><img src=\"x.png\">", "html"),
        Announcement(3, "Плановые <i>работы</i>", "Сеть будет недоступна с 02:00 до 04:00 & <br>позже"),
        Announcement(4, "Draft", "Not published yet", public="0"),
    ]
    state.announcement_reads.append(AnnouncementRead(1, moment(20, 9), 1, "demo1"))
    state.tickets += [
        Ticket(1, moment(5, 10), "demo1", None, None, "1", "Не работает интернет с утра"),
        Ticket(2, moment(5, 12, 30), "admin", "demo1", 1, "1", "Перезагрузите роутер, пожалуйста"),
        Ticket(3, moment(3, 9), "demo2", None, None, "0", "Хочу сменить тариф"),
    ]


def _money_services(state: BillingState) -> None:
    state.contrahents["1"] = dict(zip(CONTRAHENT_COLUMNS, (
        "1", "UA213223130000026007233566001", "АТ «Демо Банк»", "300001", "12345678", "123456789012",
        "Л-0001", "Киев, ул. Примерная, 1", "Киев, ул. Примерная, 1", "+380441234567", "ООО «Демо Телеком»",
        "Демо Телеком", "Петренко И.И.", "", "Устава", "office@isp.example.net", "https://isp.example.net/")))
    state.opayz_ini.update({"liqpay": "LiqPay (Visa/MasterCard)", "easypay": "EasyPay terminals"})
    state.cards += [Card(1, "1111222233334444", "100"), Card(2, "5555666677778888", "200"),
                    Card(3, "9999000011112222", "50", active="0")]
    state.ub_serial = "UB0123456789abcdef0123456789abcdef"


def demo_state(*, today: date | None = None, config: Mapping[str, object] | None = None) -> BillingState:
    """The demo billing. ``config`` overrides the demo's userstats.ini options (None removes one)."""
    clock = Clock(today)
    state = BillingState(ini=UserstatsIni({**DEMO_OPTIONS, **(config or {})}), clock=clock)
    _catalogue(state)
    _subscribers(state, clock.today())
    _communication(state, clock.today())
    _money_services(state)
    return state
