"""Seeded data of the demo billing: the subscriber and the dealer of the seed screens.

Dates are relative to the day of seeding, so a fresh demo always shows a recent history, a due
date a few days ahead and a planned tariff change on the 1st of next month.
"""
from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from ..records import OperationKind, OrderStatus, ServiceStatus
from .models import (
    MOSCOW, AccountRow, BonusMembershipRow, BonusProgrammeRow, BonusRewardRow, CatalogItemRow, DealerRow, DealerSubscriberRow, DemoBase, HistoryRow, OrderRow,
    PackageRow, PromisedPaymentRow, RequisitesRow, ServiceRow, ServiceWalletRow, SubscriberRow, TariffRow, UsageRow,
    first_of_next_month,
)

DEMO_USERS = (
    {"login": "demo1", "password": "demo1", "name": "Иван Иванов", "roles": ("subscriber",),
     "subscriber_id": "sub-1001", "dealer_id": None},
    {"login": "demo2", "password": "demo2", "name": "Ольга Смирнова", "roles": ("dealer",),
     "subscriber_id": None, "dealer_id": "dealer-2001"},
    # a neighbour of demo1: an other subscriber whose ids exist, for trying what one may not see
    {"login": "demo3", "password": "demo3", "name": "Пётр Сидоров", "roles": ("subscriber",),
     "subscriber_id": "sub-1002", "dealer_id": None},
)

HOME_ADDRESS = "г. Москва, ул. Ленина, д. 10, кв. 25"
DACHA_ADDRESS = "Московская обл., Истринский р-н, СНТ «Берёзка», уч. 42"
NEIGHBOUR_ADDRESS = "г. Москва, ул. Ленина, д. 10, кв. 26"
MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь",
          "ноябрь", "декабрь")

# id, service kind, name, monthly fee, description, speed
TARIFFS = (
    ("inet-100", "internet", "Интернет 100", "550.00", "Безлимитный интернет по оптике до 100 Мбит/с", 100),
    ("inet-300", "internet", "Интернет 300", "750.00", "До 300 Мбит/с: видео в 4K и онлайн-игры", 300),
    ("inet-500", "internet", "Интернет 500", "950.00", "До 500 Мбит/с для большой семьи и умного дома", 500),
    ("tv-basic", "tv", "ТВ Базовый", "299.00", "120 каналов, из них 30 в HD", None),
    ("tv-extended", "tv", "ТВ Расширенный", "549.00", "210 каналов, 70 в HD, кинозал, архив 7 дней", None),
    ("phone-local", "phone", "Местный", "250.00", "Безлимитные звонки по Москве, межгород — поминутно", None),
    ("phone-unlimited", "phone", "Безлимитный", "390.00", "Безлимитные звонки на городские номера РФ", None),
    ("video-1", "video", "Видеонаблюдение: 1 камера", "300.00", "Облачный архив записей за 7 дней", None),
    ("video-4", "video", "Видеонаблюдение: 4 камеры", "900.00", "Облачный архив записей за 14 дней", None),
    ("static-ip", "static_ip", "Статический IP-адрес", "150.00", "Постоянный внешний IPv4-адрес", None),
    ("antivirus", "antivirus", "Антивирус", "99.00", "Защита до 3 устройств", None),
)

# id, name, category, price, monthly, description
CATALOG = (
    ("wifi-router", "Wi-Fi роутер", "equipment", "3490.00", False,
     "Двухдиапазонный роутер Wi-Fi 6, настроенный для работы в нашей сети. Доставка и подключение "
     "бесплатно."),
    ("tv-box", "ТВ-приставка", "equipment", "4990.00", False,
     "Приставка 4K HDR с голосовым пультом: каналы, кинозал и архив передач на любом телевизоре."),
    ("static-ip", "Статический IP-адрес", "service", "150.00", True,
     "Постоянный внешний адрес для видеонаблюдения, удалённого доступа и игровых серверов."),
    ("antivirus", "Антивирус", "service", "99.00", True,
     "Защита компьютеров и смартфонов от вирусов и фишинга, до 3 устройств."),
    ("parental-control", "Родительский контроль", "service", "49.00", True,
     "Фильтр нежелательных сайтов и расписание доступа в интернет для детей."),
)

# name, contract, status, phone, balance, added days ago: the first five are the seed screen's,
# newest first; the rest make 11 subscribers with a total balance of 186 677.00.
DEALER_SUBSCRIBERS = (
    ("Петров Алексей", "2412521", "Активен", "+7 (916) 083-85-31", "12432.00", 2),
    ("Зеленков Андрей", "2412413", "Активен", "+7 (913) 534-34-21", "23567.00", 5),
    ("Мирский Владислав", "2341423", "Активен", "+7 (916) 654-23-65", "-7632.00", 9),
    ("Зайцев Владимир", "6875432", "Активен", "+7 (765) 378-43-12", "36321.00", 14),
    ("Пестрова Светлана", "4766543", "Активен", "+7 (521) 321-54-34", "84252.00", 20),
    ("Кузнецова Мария", "2398104", "Активен", "+7 (925) 417-62-08", "8420.00", 35),
    ("Соколов Дмитрий", "2376519", "Активен", "+7 (903) 281-90-47", "3150.00", 48),
    ("Волкова Екатерина", "5120387", "Приостановлен", "+7 (926) 730-15-92", "-2310.00", 63),
    ("Новиков Сергей", "4417702", "Активен", "+7 (985) 602-33-71", "12875.00", 80),
    ("Морозова Анна", "3302816", "Активен", "+7 (915) 148-27-56", "640.00", 110),
    ("Лебедев Игорь", "6054931", "Активен", "+7 (977) 519-84-03", "14962.00", 150),
)


def install(writer: Engine, today: date) -> None:
    """Create the tables and seed them once. Safe when several processes start at once."""
    try:
        DemoBase.metadata.create_all(writer)
    except (IntegrityError, OperationalError, ProgrammingError):
        # another process created the same tables in between: check again
        DemoBase.metadata.create_all(writer)
    with Session(writer) as session:
        if session.scalar(select(SubscriberRow.id).limit(1)) is None:
            groups = list(seed_groups(today))
        else:
            groups = list(_missing_groups(session, today))
        if not groups:
            return
        try:
            for group in groups:
                session.add_all(group)
                session.flush()  # parents before children: SQLite checks foreign keys
            session.commit()
        except IntegrityError:
            session.rollback()  # a concurrent seeder committed first


def _missing_groups(session: Session, today: date) -> Iterator[list[DemoBase]]:
    """The seed of what a database seeded by an older demo lacks: its tables were created empty."""
    if session.scalar(select(UsageRow.id).limit(1)) is None:
        yield list(usage_seed(today))
    if session.scalar(select(BonusProgrammeRow.id).limit(1)) is None:
        yield from bonus_groups(session.scalars(select(AccountRow)).all())
    if session.scalar(select(ServiceWalletRow.service_id).limit(1)) is None:
        services = set(session.scalars(select(ServiceRow.id)))
        yield [wallet for wallet in _service_wallets() if wallet.service_id in services]


def seed_groups(today: date) -> Iterator[list[DemoBase]]:
    yield [SubscriberRow(id="sub-1001", login="demo1", name="Иван Иванов"),
           SubscriberRow(id="sub-1002", login="demo3", name="Пётр Сидоров"),
           DealerRow(id="dealer-2001", name="Ольга Смирнова", orders_total=268, orders_processed=255,
                     orders_in_progress=13)]
    yield [TariffRow(id=t_id, kind=kind, name=name, fee=Decimal(fee), description=text, speed_mbps=speed,
                     position=n) for n, (t_id, kind, name, fee, text, speed) in enumerate(TARIFFS)]
    yield [CatalogItemRow(id=i_id, name=name, category=category, price=Decimal(price), monthly=monthly,
                          description=text, image=f"/media/catalog/{i_id}.svg", position=n)
           for n, (i_id, name, category, price, monthly, text) in enumerate(CATALOG)]
    accounts = list(_accounts(today))
    yield list[DemoBase](accounts)
    yield from bonus_groups(accounts)
    yield list(_services(today)) + list(_requisites())
    yield list(_service_wallets())
    yield list(_history(today)) + list(_orders(today)) + [
        PromisedPaymentRow(account_id="108843", amount=Decimal("650.00"),
                           activated_on=today - timedelta(days=10), repay_by=today - timedelta(days=7))]
    yield list(usage_seed(today))
    yield [DealerSubscriberRow(id=f"ds-{contract}", dealer_id="dealer-2001", name=name, contract=contract,
                               status=status, phone=phone, balance=Decimal(balance),
                               added_on=today - timedelta(days=days_ago))
           for name, contract, status, phone, balance, days_ago in DEALER_SUBSCRIBERS]


def _month_starts(today: date, months_back: int) -> list[date]:
    """The 1st of each month from ``months_back`` months before today's month up to today's month."""
    start = today.replace(day=1)
    for _ in range(months_back):
        start = (start - timedelta(days=1)).replace(day=1)
    starts = [start]
    while starts[-1] < today.replace(day=1):
        starts.append(first_of_next_month(starts[-1]))
    return starts


def _accounts(today: date) -> Iterator[AccountRow]:
    program, expires = "Программа лояльности «Бонусы за оплату»", date(today.year, 12, 31)
    yield AccountRow(id="108842", subscriber_id="sub-1001", number="108842", holder="Иван Иванов",
                     balance=Decimal("-412.50"), address=HOME_ADDRESS, recommended_amount=Decimal("3146.10"),
                     recommended_due=today + timedelta(days=4), bonus_points=Decimal("1250"),
                     bonus_program=program, bonus_expires=expires)
    yield AccountRow(id="108843", subscriber_id="sub-1001", number="108843", holder="Иван Иванов",
                     balance=Decimal("1240.00"), address=DACHA_ADDRESS, recommended_amount=Decimal("650.00"),
                     recommended_due=today + timedelta(days=6), bonus_points=Decimal("320"),
                     bonus_program=program, bonus_expires=expires)
    yield AccountRow(id="108900", subscriber_id="sub-1002", number="108900", holder="Пётр Сидоров",
                     balance=Decimal("310.00"), address=NEIGHBOUR_ADDRESS, recommended_amount=Decimal("550.00"),
                     recommended_due=today + timedelta(days=4), bonus_points=Decimal("0"),
                     bonus_program=program, bonus_expires=expires)


def _services(today: date) -> Iterator[ServiceRow]:
    home = dict(account_id="108842", address=HOME_ADDRESS)
    yield ServiceRow(id="108842-internet", name="Домашний интернет", kind="internet",
                     status=ServiceStatus.ACTIVE.value, tariff_id="inet-100", planned_tariff_id="inet-300",
                     planned_from=first_of_next_month(today), position=1,
                     description="Подключение по оптоволокну (GPON), роутер в собственности абонента", **home)
    yield ServiceRow(id="108842-tv", name="Цифровое телевидение", kind="tv",
                     status=ServiceStatus.BLOCKED.value, tariff_id="tv-extended",
                     blocked_until=today + timedelta(days=25), position=2,
                     description="IPTV на телевизоре, смартфоне и компьютере, до 3 устройств", **home)
    yield ServiceRow(id="108842-phone", name="Домашний телефон", kind="phone",
                     status=ServiceStatus.SUSPENDED.value, tariff_id="phone-local", suspension_code="debt",
                     suspension_since=today - timedelta(days=12),
                     suspension_details="Задолженность 412,50 ₽", tariff_change_allowed=False, position=3,
                     description="Городской номер +7 (495) 123-45-67", **home)
    yield ServiceRow(id="108842-static-ip", name="Статический IP-адрес", kind="static_ip",
                     status=ServiceStatus.PENDING.value, tariff_id="static-ip", tariff_change_allowed=False,
                     position=4, description="Будет подключён после выполнения заявки", **home)
    yield ServiceRow(id="108842-antivirus", name="Антивирус", kind="antivirus",
                     status=ServiceStatus.CLOSED.value, tariff_id="antivirus", tariff_change_allowed=False,
                     position=5, description="Отключён по заявлению абонента", **home)
    dacha = dict(account_id="108843", address=DACHA_ADDRESS)
    yield ServiceRow(id="108843-internet", name="Интернет на даче", kind="internet",
                     status=ServiceStatus.ACTIVE.value, tariff_id="inet-300", position=1,
                     description="Беспроводное подключение LTE с внешней антенной", **dacha)
    yield ServiceRow(id="108843-video", name="Видеонаблюдение", kind="video",
                     status=ServiceStatus.SUSPENDED.value, tariff_id="video-1", suspension_code="documents",
                     suspension_since=today - timedelta(days=20),
                     suspension_details="Не предоставлен подписанный договор на услугу видеонаблюдения",
                     tariff_change_allowed=False, position=2,
                     description="Уличная камера у ворот, запись в облако", **dacha)


    yield ServiceRow(id="108900-internet", name="Домашний интернет", kind="internet",
                     status=ServiceStatus.ACTIVE.value, tariff_id="inet-100", position=1,
                     account_id="108900", address=NEIGHBOUR_ADDRESS,
                     description="Подключение по оптоволокну (GPON)")


def _service_wallets() -> Iterator[ServiceWalletRow]:
    """Services with a balance of their own: the dacha's cloud video archive is paid from it."""
    yield ServiceWalletRow(service_id="108843-video", balance=Decimal("150.00"))


def _requisites() -> Iterator[RequisitesRow]:
    postal = (("108842", f"125009, {HOME_ADDRESS}"), ("108843", f"143500, {DACHA_ADDRESS}"))
    for account_id, address in postal:
        yield RequisitesRow(account_id=account_id, payer_name="Иванов Иван Петрович",
                            email="ivan.ivanov@example.ru", phone="+7 (916) 123-45-67",
                            postal_address=address)


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), MOSCOW)


def _history(today: date) -> Iterator[HistoryRow]:
    block_start, months = today - timedelta(days=5), _month_starts(today, 3)
    # service id, account, what is charged for, fee, charged on a month start while this holds
    charges = (
        ("108842-internet", "108842", "Домашний интернет, тариф «Интернет 100»", "550.00", lambda d: True),
        ("108842-tv", "108842", "Цифровое телевидение, тариф «ТВ Расширенный»", "549.00",
         lambda d: d < block_start),
        ("108842-phone", "108842", "Домашний телефон, тариф «Местный»", "250.00",
         lambda d: d < today - timedelta(days=12)),
        ("108842-antivirus", "108842", "Антивирус", "99.00", lambda d: d < today - timedelta(days=45)),
        ("108843-internet", "108843", "Интернет на даче, тариф «Интернет 300»", "750.00", lambda d: True),
        ("108843-video", "108843", "Видеонаблюдение, тариф «Видеонаблюдение: 1 камера»", "300.00",
         lambda d: d < today - timedelta(days=20)),
    )
    for start in months:
        for service_id, account_id, what, fee, charged in charges:
            if charged(start):
                yield HistoryRow(account_id=account_id, at=_at(start, 3, 0), kind=OperationKind.CHARGE.value,
                                 amount=-Decimal(fee), service_id=service_id,
                                 description=f"Абонентская плата за {MONTHS[start.month - 1]}: {what}")
    home_payments = itertools.cycle((
        ("1500.00", "Пополнение банковской картой"), ("700.00", "Оплата через СБП"),
        ("1200.00", "Оплата в терминале"), ("900.00", "Пополнение банковской картой")))
    for start in months:
        for day_of_month, (hour, minute) in ((3, (9, 41)), (17, (19, 12))):
            day = start.replace(day=day_of_month)
            if day < today:
                amount, how = next(home_payments)
                yield HistoryRow(account_id="108842", at=_at(day, hour, minute),
                                 kind=OperationKind.PAYMENT.value, amount=Decimal(amount), description=how)
        if start.replace(day=6) < today:
            yield HistoryRow(account_id="108843", at=_at(start.replace(day=6), 12, 30),
                             kind=OperationKind.PAYMENT.value, amount=Decimal("1100.00"),
                             description="Оплата через СБП")
    yield HistoryRow(account_id="108842", at=_at(block_start, 12, 10), kind=OperationKind.CHARGE.value,
                     amount=Decimal("-30.00"), description="Добровольная блокировка услуг на 30 дн.")
    yield HistoryRow(account_id="108843", at=_at(today - timedelta(days=10), 8, 55),
                     kind=OperationKind.PAYMENT.value, amount=Decimal("650.00"),
                     description="Обещанный платёж")


def _orders(today: date) -> Iterator[OrderRow]:
    yield OrderRow(id="ORD-5F3A21C0", account_id="108842", item_id="wifi-router",
                   status=OrderStatus.DONE.value, created_at=_at(today - timedelta(days=60), 14, 20))
    yield OrderRow(id="ORD-8B02E417", account_id="108842", item_id="static-ip",
                   status=OrderStatus.IN_PROGRESS.value, created_at=_at(today - timedelta(days=2), 11, 5))
    yield OrderRow(id="ORD-3C9D7A56", account_id="108843", item_id="tv-box",
                   status=OrderStatus.CANCELLED.value, created_at=_at(today - timedelta(days=30), 18, 40))


# --- usage detail ------------------------------------------------------------------------------------
LONG_DISTANCE_MINUTES = 100                        # the home phone's monthly package
LONG_DISTANCE_RATE, MOBILE_RATE = Decimal("3.50"), Decimal("1.90")    # per minute beyond it, to mobiles
LTE_PACKAGE_GB = 100                                # the dacha's monthly LTE traffic
NO_CHARGE = Decimal("0.00")
# where the home phone calls, in turn: description, a long-distance call (from the package), its rate
CALLS = (
    ("Звонок на +7 (495) 987-65-43, Москва", False, NO_CHARGE),
    ("Звонок на +7 (812) 555-12-34, Санкт-Петербург", True, LONG_DISTANCE_RATE),
    ("Звонок на +7 (916) 555-44-33, мобильный", False, MOBILE_RATE),
    ("Звонок на +7 (495) 123-00-11, Москва", False, NO_CHARGE),
)


def usage_seed(today: date) -> Iterator[DemoBase]:
    """Usage from the 1st of the month three months back up to yesterday (the days counted so far),
    and the packages of this month as that usage left them."""
    days = _days(_month_starts(today, 3)[0], today)
    yield from _home_traffic(days)
    dacha = list(_dacha_traffic(days))
    yield from dacha
    # the home phone is suspended for debt since 12 days ago (see _services): no calls since
    calls, minutes_left = _home_calls([day for day in days if day < today - timedelta(days=12)])
    yield from calls
    month, until = today.replace(day=1), first_of_next_month(today) - timedelta(days=1)
    yield PackageRow(id="108842-phone-long-distance", account_id="108842", service_id="108842-phone",
                     name=f"Междугородние звонки: {LONG_DISTANCE_MINUTES} минут в месяц", unit="min",
                     total=Decimal(LONG_DISTANCE_MINUTES),
                     remaining=Decimal(minutes_left.get(month, LONG_DISTANCE_MINUTES)), valid_until=until)
    used_gb = sum((row.quantity for row in dacha if row.at.date() >= month), Decimal(0))
    yield PackageRow(id="108843-internet-lte", account_id="108843", service_id="108843-internet",
                     name=f"LTE-трафик: {LTE_PACKAGE_GB} ГБ в месяц", unit="GB", total=Decimal(LTE_PACKAGE_GB),
                     remaining=max(Decimal(LTE_PACKAGE_GB) - used_gb, Decimal(0)), valid_until=until)


def _days(first: date, today: date) -> list[date]:
    """Every day from ``first`` to yesterday: today's usage is not counted yet."""
    return [first + timedelta(days=n) for n in range((today - first).days)]


def _varied(day: date, base: int, spread: int) -> Decimal:
    """A quantity that differs from day to day and is the same on every seeding: from ``base`` to
    ``base + spread``, with two decimals (a quadratic in the day's number: no visible pattern)."""
    n = day.toordinal()
    return Decimal(base) + Decimal((n * n * 31 + n * 17) % (spread * 100)) / 100


def _home_traffic(days: list[date]) -> Iterator[UsageRow]:
    for day in days:
        yield UsageRow(id=f"108842-internet-{day:%Y%m%d}", account_id="108842", service_id="108842-internet",
                       at=_at(day, 23, 59), kind="traffic", description="Интернет-трафик за сутки",
                       quantity=_varied(day, 3, 9), unit="GB", amount=NO_CHARGE)


def _dacha_traffic(days: list[date]) -> Iterator[UsageRow]:
    for day in days:
        if day.weekday() >= 5:                     # the dacha is used at weekends
            yield UsageRow(id=f"108843-internet-{day:%Y%m%d}", account_id="108843", service_id="108843-internet",
                           at=_at(day, 23, 59), kind="traffic", description="LTE-трафик за сутки (из пакета)",
                           quantity=_varied(day, 2, 5), unit="GB", amount=NO_CHARGE)


def _home_calls(days: list[date]) -> tuple[list[UsageRow], dict[date, int]]:
    """A call every third day; long-distance minutes come from the month's package, then are charged.
    Also the package's minutes left at the end of each month (by its first day)."""
    calls: list[UsageRow] = []
    package_left: dict[date, int] = {}
    for day in days:
        n = day.toordinal()
        if n % 3:
            continue
        description, long_distance, rate = CALLS[n // 3 % len(CALLS)]
        minutes = 1 + n * 7 % 13
        charged = minutes
        if long_distance:
            month = day.replace(day=1)
            left = package_left.setdefault(month, LONG_DISTANCE_MINUTES)
            charged = max(minutes - left, 0)
            package_left[month] = max(left - minutes, 0)
        calls.append(UsageRow(id=f"108842-phone-{day:%Y%m%d}", account_id="108842", service_id="108842-phone",
                              at=_at(day, 9 + n % 11, n % 60), kind="call", description=description,
                              quantity=Decimal(minutes), unit="min", amount=rate * charged))
    return calls, package_left


# --- bonus programmes --------------------------------------------------------------------------------
# id, name, description, rewards: id, name, cost in points, description, money it puts on the account
BONUS_PROGRAMMES = (
    ("payments", "Бонусы за оплату",
     "5 баллов за каждые 100 ₽, внесённые на лицевой счёт. Баллы действуют до конца года.", (
         ("payments-discount-100", "Скидка 100 ₽ на абонентскую плату", "500",
          "100 ₽ поступят на лицевой счёт в счёт абонентской платы", "100.00"),
         ("payments-tv-month", "Месяц ТВ бесплатно", "1000",
          "Абонентская плата за цифровое телевидение не начисляется один месяц", "0"),
         ("payments-router", "Wi-Fi роутер в подарок", "3000",
          "Двухдиапазонный роутер Wi-Fi 6: заберите его в офисе или закажите доставку", "0"),
     )),
    ("tenure", "Баллы за стаж",
     "100 баллов за каждый месяц с нами без долга на счёте. Чем дольше вы с нами, тем больше баллов.", (
         ("tenure-speed-week", "Скорость 500 Мбит/с на неделю", "300",
          "Скорость домашнего интернета — до 500 Мбит/с на 7 дней", "0"),
         ("tenure-master-visit", "Выезд мастера бесплатно", "600",
          "Настройка оборудования или прокладка кабеля по квартире", "0"),
     )),
    ("family", "Семейный",
     "Баллы за оплату всех лицевых счетов семьи копятся вместе: 7 баллов за каждые 100 ₽.", (
         ("family-discount-300", "Скидка 300 ₽ на абонентскую плату", "1200",
          "300 ₽ поступят на лицевой счёт в счёт абонентской платы", "300.00"),
         ("family-kids-tv", "Пакет «Детский» на месяц", "400",
          "Двенадцать детских каналов на 30 дней", "0"),
     )),
)
# the programme every account of the seed is in, with the points of its account row
SEED_PROGRAMME = "payments"


def bonus_groups(accounts: Iterable[AccountRow]) -> Iterator[list[DemoBase]]:
    """The programmes, then their rewards and each account's membership of the seed's programme
    (parents first: SQLite checks foreign keys)."""
    yield [BonusProgrammeRow(id=p_id, name=name, description=text, position=n)
           for n, (p_id, name, text, _) in enumerate(BONUS_PROGRAMMES)]
    rewards: list[DemoBase] = [
        BonusRewardRow(id=r_id, programme_id=p_id, name=name, cost_points=Decimal(cost), description=text,
                       credit=Decimal(credit), position=n)
        for p_id, _, _, programme_rewards in BONUS_PROGRAMMES
        for n, (r_id, name, cost, text, credit) in enumerate(programme_rewards)]
    memberships: list[DemoBase] = [
        BonusMembershipRow(account_id=account.id, programme_id=SEED_PROGRAMME, points=account.bonus_points,
                           current=True) for account in accounts]
    yield rewards + memberships
