"""The ``creditor`` module's agent call (``?module=creditor&agentcredit=1``): a self-service credit
("promised payment"), answered as ``{status, message}`` with the first status whose condition holds."""
from __future__ import annotations

import calendar
from datetime import timedelta
from decimal import Decimal

from werkzeug.wrappers import Response

from . import php, userdata
from .call import Call
from .render import render_response
from .state import CreditLogEntry, db_number, midnight_timestamp

MESSAGES = {
    0: "success",
    1: "disabled",
    2: "wrong day",
    3: "already have a credit",
    4: "account frozen",
    5: "too much money",
    6: "not enough money",
    8: "not allowed on this tariff",
    9: "already used in this month",
    10: "not paid previous",
}


def credit_base(call: Call, login: str) -> php.PhpNumber:
    """What the credit covers: the tariff fee (times the month's days for a daily tariff unless
    ``SC_DAILY_FIX``), plus the virtual services with ``SC_VSCREDIT``."""
    state = call.state
    ini, tariff = state.ini, state.tariff_of(login)
    price: php.PhpNumber = php.number(tariff.fee) if tariff else 0
    if tariff is not None and tariff.period == "day" and not ini.on("SC_DAILY_FIX"):
        today = state.clock.today()
        price = php.multiply(price, calendar.monthrange(today.year, today.month)[1])
    if ini.on("SC_VSCREDIT"):
        price = php.add(price, userdata.vservices_price(state, login))
    return price


def _last_was_credit_fee(call: Call, login: str) -> bool:
    """``SC_HACKCONTROL``: the newest positive payment or credit fee is a credit fee."""
    rows = [row for row in call.state.payments
            if row.login == login and (php.compare(row.summ, 0) > 0 or row.note == "SCFEE")]
    return bool(rows) and max(rows, key=lambda row: row.id).note == "SCFEE"


def _used_this_month(call: Call, login: str) -> bool:
    month = call.state.clock.today().strftime("%Y-%m")
    return any(entry.login == login and entry.date.startswith(month) for entry in call.state.credit_log)


def decide(call: Call, login: str) -> int:
    state = call.state
    ini, user = state.ini, state.users[login]
    if not ini.on("SC_ENABLED"):
        return 1
    day = state.clock.today().strftime("%d")
    if not (php.compare(day, ini.raw("SC_MAXDAY")) <= 0 and php.compare(day, ini.raw("SC_MINDAY")) >= 0):
        return 2
    if not (php.compare(db_number(user.credit), 0) <= 0 and user.credit_expire == 0):
        return 3
    if php.truthy(str(user.passive)) or php.truthy(str(user.down)):
        return 4
    cash, price = db_number(user.cash), credit_base(call, login)
    if abs(php.number(cash)) > price and php.compare(cash, 0) < 0:
        return 6
    if php.compare(cash, 0) >= 0:
        return 5
    allowed = ini.raw("SC_TARIFFSALLOWED")
    if not php.is_empty(allowed) and user.tariff not in (allowed or "").split(","):
        return 8
    if ini.on("SC_HACKCONTROL") and _last_was_credit_fee(call, login):
        return 10
    if ini.on("SC_MONTHCONTROL") and _used_this_month(call, login):
        return 9
    return 0


def _give_credit(call: Call, login: str) -> None:
    """``zbs_CreditDoTheCredit()``: log it, set credit and its deadline, charge ``SC_PRICE``."""
    state = call.state
    ini, user = state.ini, state.users[login]
    sc_price = php.to_string(ini.raw("SC_PRICE"))
    term_days = int(php.number(ini.raw("SC_TERM")))
    state.credit_log.append(CreditLogEntry(state.next_id(state.credit_log), state.clock.now_text(), login))
    user.credit = Decimal(repr(php.add(credit_base(call, login), sc_price)))
    user.credit_expire = midnight_timestamp(state.clock.today() + timedelta(days=term_days))
    state.payment_log(login, "-" + sc_price, php.to_string(ini.raw("SC_CASHTYPEID")), "SCFEE")
    state.add_cash(login, "-" + sc_price)


def agent_credit(call: Call, login: str) -> Response:
    status = decide(call, login)
    if status == 0:
        _give_credit(call, login)
    return render_response([{"status": status}, {"message": MESSAGES[status]}], "data", "", call.output_format)
