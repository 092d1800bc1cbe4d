"""The billing's tables, in memory: plain dataclasses behind one ``threading.Lock``.

Columns keep the types the PHP code receives from ``mysqli_fetch_assoc``: text. Only the
Stargazer user's money (``Cash``, ``Credit``) is held as ``Decimal`` because the billing computes
with it; ``db_number`` prints it the way MySQL prints a DOUBLE ("350", "-120.5"). Times are the
billing's local time without a zone, ``Y-m-d H:i:s``.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from .ini import UserstatsIni

DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TRAFFIC_CLASSES = 10


def db_number(value: Decimal) -> str:
    """A DOUBLE column as MySQL returns it: no trailing zeros, no exponent ("350", "-120.5")."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


class Clock:
    """The billing's local time; ``today`` pins the date (the time of day stays the real one)."""

    def __init__(self, today: date | None = None) -> None:
        self.pinned = today

    def now(self) -> datetime:
        real = datetime.now().replace(microsecond=0)
        return real if self.pinned is None else datetime.combine(self.pinned, real.time())

    def today(self) -> date:
        return self.now().date()

    def now_text(self) -> str:
        """``curdatetime()``."""
        return self.now().strftime(DATETIME_FORMAT)

    def time(self) -> int:
        """``time()``."""
        return int(self.now().timestamp())


def midnight_timestamp(day: date) -> int:
    """The unix time Stargazer stores for a date it is given (local midnight)."""
    return int(datetime.combine(day, time()).timestamp())


# --- Stargazer and the subscriber's profile -------------------------------------------------------------
@dataclass
class User:
    """A ``users`` row (Stargazer)."""
    login: str
    password: str                      # plain; authentication compares MD5(password)
    ip: str
    cash: Decimal = Decimal(0)
    credit: Decimal = Decimal(0)
    credit_expire: int = 0             # unix time; 0: no credit deadline
    tariff: str = ""
    tariff_change: str = ""            # next month's tariff
    passive: int = 0                   # frozen
    down: int = 0                      # disabled
    download: tuple[int, ...] = (0,) * TRAFFIC_CLASSES      # D0..D9, bytes
    upload: tuple[int, ...] = (0,) * TRAFFIC_CLASSES        # U0..U9, bytes


@dataclass
class Phones:
    phone: str
    mobile: str


@dataclass
class Address:
    """The joined address of a user (``address`` -> ``apt`` -> ``build`` -> ``street`` -> ``city``)."""
    city: str
    street: str
    build: str
    apt: str


@dataclass
class Tariff:
    name: str
    fee: str
    period: str = "month"              # "month" or "day"
    passive_cost: str = "0"


@dataclass
class TagType:
    id: int
    tagname: str


@dataclass
class Tag:
    """A tag on a user; a tag that a virtual service is bound to makes the user use that service."""
    id: int
    login: str
    tagid: int


@dataclass
class VService:
    id: int
    tagid: int
    price: str                         # negative: a bonus
    charge_period_days: str = "0"
    archived: bool = False


# --- money ----------------------------------------------------------------------------------------------
@dataclass
class Payment:
    """A ``payments`` row: ``balance`` is the balance before the payment; charges are negative."""
    id: int
    login: str
    date: str
    admin: str
    balance: str
    summ: str
    cashtypeid: str
    note: str


@dataclass
class Fee:
    """A ``fees`` row: a tariff fee charged by the billing, with the balance before and after."""
    id: int
    login: str
    date: str
    admin: str
    balance_from: str
    balance_to: str
    summ: str
    note: str = ""
    cashtype: str = "0"


@dataclass
class CreditLogEntry:
    """A ``zbssclog`` row: one self-credit taken."""
    id: int
    date: str
    login: str


@dataclass
class Card:
    """A ``cardbank`` row: a prepaid card."""
    id: int
    serial: str
    cash: str
    part: str = ""                     # series
    active: str = "1"
    used: str = "0"
    usedlogin: str = ""
    usedip: str = ""
    usedate: str = ""


@dataclass
class CardBruteAttempt:
    id: int
    serial: str
    date: str
    login: str
    ip: str


# --- communication --------------------------------------------------------------------------------------
@dataclass
class Announcement:
    id: int
    title: str
    text: str
    type: str = "text"                 # "text" or "html"
    public: str = "1"


@dataclass
class AnnouncementRead:
    """A ``zbsannhist`` row: the user has read the announcement."""
    id: int
    date: str
    annid: int
    login: str


@dataclass
class Ticket:
    """A ``ticketing`` row; a reply carries the id of the ticket it answers."""
    id: int
    date: str
    from_login: str | None
    to_login: str | None
    replyid: int | None
    status: str
    text: str


@dataclass
class SignupRequest:
    id: int
    fields: dict[str, str]


SIGNUP_COLUMNS = ("date", "state", "ip", "street", "build", "apt", "realname", "phone", "service", "notes",
                  "email")


@dataclass
class WebLog:
    """A ``weblogs`` row: the event log."""
    id: int
    date: str
    admin: str
    ip: str
    event: str


# --- freezing, schedules, cable TV ---------------------------------------------------------------------
@dataclass
class FreezeDays:
    """A ``frozen_charge_days`` row."""
    login: str
    freeze_days_amount: str = "0"
    freeze_days_used: str = "0"
    work_days_restore: str = "0"
    days_worked: str = "0"


@dataclass
class ScheduledTask:
    """A ``dealwithit`` row: a change the billing will make on ``date``."""
    id: int
    date: str
    login: str
    action: str
    param: str


@dataclass
class UkvTariff:
    id: int
    tariffname: str
    price: str


@dataclass
class UkvUser:
    id: int
    inetlogin: str
    city: str
    street: str
    build: str
    apt: str
    realname: str
    contract: str
    phone: str
    mobile: str
    tariffid: int
    tariffnmid: int
    tariffnmdate: str
    cash: str


CONTRAHENT_COLUMNS = ("id", "bankacc", "bankname", "bankcode", "edrpo", "ipn", "licensenum", "juraddr",
                      "phisaddr", "phone", "contrname", "agnameabbr", "agsignatory", "agsignatory2", "agbasis",
                      "agmail", "siteurl")


@dataclass
class BillingState:
    """Every table, the options and the clock. Hold ``lock`` while reading or changing anything."""
    ini: UserstatsIni
    clock: Clock
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    users: dict[str, User] = field(default_factory=dict)
    realnames: dict[str, str] = field(default_factory=dict)
    phones: dict[str, Phones] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)
    contracts: dict[str, str] = field(default_factory=dict)
    contract_dates: dict[str, str] = field(default_factory=dict)
    addresses: dict[str, Address] = field(default_factory=dict)
    tariffs: dict[str, Tariff] = field(default_factory=dict)
    lousy_tariffs: set[str] = field(default_factory=set)
    tag_types: dict[int, TagType] = field(default_factory=dict)
    tags: list[Tag] = field(default_factory=list)
    vservices: list[VService] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    fees: list[Fee] = field(default_factory=list)
    credit_log: list[CreditLogEntry] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    card_brute: list[CardBruteAttempt] = field(default_factory=list)
    announcements: list[Announcement] = field(default_factory=list)
    announcement_reads: list[AnnouncementRead] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)
    signup_requests: list[SignupRequest] = field(default_factory=list)
    weblogs: list[WebLog] = field(default_factory=list)
    freeze_days: dict[str, FreezeDays] = field(default_factory=dict)
    scheduled: list[ScheduledTask] = field(default_factory=list)
    ukv_tariffs: dict[int, UkvTariff] = field(default_factory=dict)
    ukv_users: dict[int, UkvUser] = field(default_factory=dict)
    contrahents: dict[str, dict[str, str]] = field(default_factory=dict)   # id -> row
    agent_assign: list[tuple[str, str]] = field(default_factory=list)      # (ahenid, streetname)
    agent_assign_strict: dict[str, str] = field(default_factory=dict)      # login -> agent id
    openpayz_ids: dict[str, str] = field(default_factory=dict)             # op_customers: login -> virtualid
    opayz_ini: dict[str, str] = field(default_factory=dict)                # config/opayz.ini: paysys -> text
    tariff_matrix_ini: dict[str, str] | None = None                        # config/tariffmatrix.ini
    ub_serial: str = ""                                                    # ubstats 'ubid'
    userstats_denied: set[str] = field(default_factory=set)               # ZBS_DENIED
    helpdesk_denied: set[str] = field(default_factory=set)                # ZBS_HELP_DENIED
    ipauth_denied: set[str] = field(default_factory=set)

    # --- lookups as the PHP code makes them --------------------------------------------------------
    def login_by_ip(self, ip: str) -> str | None:
        """``SELECT login FROM users WHERE IP=...``: the first user with that address."""
        if not ip:
            return None
        return next((user.login for user in self.users.values() if user.ip == ip), None)

    def tariff_of(self, login: str) -> Tariff | None:
        user = self.users.get(login)
        return self.tariffs.get(user.tariff) if user else None

    def user_vservices(self, login: str) -> list[tuple[int, VService]]:
        """zbs_vservicesGetUsersAll: (tag row id, service) for each of the user's tags bound to a
        service (the last service bound to a tag wins, as the tagid-keyed PHP array does)."""
        by_tag = {service.tagid: service for service in self.vservices}
        return [(tag.id, by_tag[tag.tagid]) for tag in self.tags
                if tag.login == login and tag.tagid in by_tag]

    def tag_name(self, tagid: int) -> str | None:
        tag_type = self.tag_types.get(tagid)
        return tag_type.tagname if tag_type else None

    # --- writes --------------------------------------------------------------------------------------
    @staticmethod
    def next_id(rows: list) -> int:
        return max((row.id for row in rows), default=0) + 1

    def log_register(self, event: str, ip: str) -> None:
        """``log_register()``: an event in ``weblogs`` by the "external" admin."""
        self.weblogs.append(WebLog(self.next_id(self.weblogs), self.clock.now_text(), "external", ip, event))

    def payment_log(self, login: str, summ: str, cashtypeid: str, note: str) -> None:
        """``zbs_PaymentLog()``: a payment row with the balance before it (the cash is not changed)."""
        user = self.users[login]
        self.payments.append(Payment(self.next_id(self.payments), login, self.clock.now_text(), "external",
                                     db_number(user.cash), summ, cashtypeid, note))

    def add_cash(self, login: str, amount: str) -> None:
        """``billing_addcash()`` (sgconf ``-c``): an amount sgconf cannot read changes nothing."""
        try:
            delta = Decimal(amount)
        except InvalidOperation:
            return
        if delta.is_finite():
            self.users[login].cash += delta
