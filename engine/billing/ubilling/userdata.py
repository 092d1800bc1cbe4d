"""XMLAgent's default answer, ``getUserData()``: the subscriber's profile as one-field records in
a fixed order, with the helpers it calls (address, traffic sizes, days online left, services cost)."""
from __future__ import annotations

import calendar
from datetime import datetime

from . import php
from .call import Call, Die
from .render import Record, plain_response
from .state import BillingState, db_number

API_VERSION = "2"
GIB, MIB, KIB = 1073741824, 1048576, 1024


def convert_size(size: int) -> str:
    """``zbs_convert_size()``: "12.34 Gb", "1.5 Mb", "0 b"."""
    for unit, name in ((GIB, "Gb"), (MIB, "Mb"), (KIB, "Kb")):
        if size >= unit:
            return php.float_to_string(php.php_round(size / unit * 100) / 100) + " " + name
    return f"{size} b"


def address_of(state: BillingState, login: str) -> str | None:
    """``zbs_AddressGetFulladdresslist()[$login]``: "[city ]street build[/apt]"."""
    address = state.addresses.get(login)
    if address is None:
        return None
    ini = state.ini
    zero_apt = php.is_numeric(address.apt) and php.number(address.apt) == 0
    apartment = "" if ini.on("ZERO_TOLERANCE") and zero_apt else "/" + address.apt
    place = f"{address.street} {address.build}{apartment}"
    return f"{address.city} {place}" if ini.on("CITY_DISPLAY") else place


def address_struct(state: BillingState, login: str) -> dict[str, str]:
    """``zbs_AddressGetFulladdresslistStruct()`` for one login."""
    address = state.addresses.get(login)
    if address is None:
        return {}
    fields = {"cityname": address.city} if state.ini.on("CITY_DISPLAY") else {}
    return fields | {"streetname": address.street, "buildnum": address.build, "apt": address.apt}


def payment_id(state: BillingState, login: str) -> str:
    """``zbs_PaymentIDGet()``: the OpenPayz virtual id, "" when none."""
    return state.openpayz_ids.get(login, "")


def vservices_price(state: BillingState, login: str) -> php.PhpNumber:
    """``zbs_vservicesGetUserPrice()``: every service bound to each of the user's tags."""
    total: php.PhpNumber = 0
    for tag in state.tags:
        if tag.login == login:
            for service in state.vservices:
                if service.tagid == tag.tagid:
                    total = php.add(total, service.price)
    return total


def vservices_price_period(state: BillingState, login: str, default_period: str) -> php.PhpNumber:
    """``zbs_vservicesGetUserPricePeriod()``: services' prices per month (or day) by their periods."""
    total: php.PhpNumber = 0
    month_days = calendar.monthrange(state.clock.now().year, state.clock.now().month)[1]
    for _tag_id, service in state.user_vservices(login):
        daily: object = 0
        if not php.is_empty(service.charge_period_days):
            daily = (php.divide(service.price, service.charge_period_days)
                     if php.compare(service.charge_period_days, 1) > 0 else service.price)
        if default_period == "month":
            total = php.add(total, service.price if php.is_empty(daily) else php.multiply(daily, month_days))
        else:
            total = php.add(total, service.price if php.is_empty(daily) else daily)
    return total


def _days_in_month_at(timestamp: int) -> int:
    moment = datetime.fromtimestamp(timestamp)
    return calendar.monthrange(moment.year, moment.month)[1]


def online_left_days(state: BillingState, login: str, balance: object, tariff_name: str) -> int:
    """``zbs_GetOnlineLeftCount(.., true)``: days the balance pays for."""
    ini, tariff = state.ini, state.tariffs.get(tariff_name)
    fee: php.PhpNumber = php.number(tariff.fee) if tariff else 0
    period = tariff.period if tariff else "month"
    days, now = 0, state.clock.time()
    left = php.number(balance)
    if left < 0 or fee <= 0:
        return days
    if not php.is_empty(ini.raw("ONLINELEFT_CONSIDER_VSERVICES")):
        periods_on = not php.is_empty(ini.raw("VSERVICES_CONSIDER_PERIODS"))
        extra = vservices_price_period(state, login, period) if periods_on else vservices_price(state, login)
        fee = php.add(fee, extra)
    if fee <= 0:
        # PHP loops until max_execution_time ends the script with a fatal error
        raise Die(plain_response("", 500))
    spread = ini.raw("ONLINELEFT_SPREAD")
    spread_on = spread is not None and (php.number(spread) != 0 if php.is_numeric(spread) else True)
    while left >= 0:
        if period == "month" and spread_on:
            days += 1
            left = php.subtract(left, php.divide(fee, _days_in_month_at(now + days * 86400)))
        elif period == "month":
            moment = datetime.fromtimestamp(now + days * 86400)
            days = days + _days_in_month_at(now + days * 86400) - moment.day + 1
            left = php.subtract(left, fee)
        else:
            days += 1
            left = php.subtract(left, fee)
    return days


def scheduled_tariff(state: BillingState, login: str) -> str:
    """``zbs_TariffLookupDWI()``: the tariff a pending scheduled change will set, "" when none."""
    tasks = sorted((task for task in state.scheduled if task.login == login and task.action == "tariffchange"),
                   key=lambda task: (task.date, task.id))
    return tasks[0].param if tasks else ""


def get_user_data(call: Call, login: str) -> list[Record]:
    state = call.state
    ini, user, clock = state.ini, state.users[login], state.clock
    if php.truthy(ini.param("OPENPAYZ_ENABLED")):
        paymentid: object = (payment_id(state, login) if php.truthy(ini.param("OPENPAYZ_REALID"))
                             else php.ip2int(user.ip))
    else:
        paymentid = 0
    creditexpire = (datetime.fromtimestamp(user.credit_expire).strftime("%d-%m-%Y") if user.credit_expire != 0
                    else "No")
    tariff_next = user.tariff_change if php.truthy(user.tariff_change) else (scheduled_tariff(state, login) or "No")
    download, upload = sum(user.download), sum(user.upload)
    state_text = ("frozen" if php.truthy(str(user.passive)) else "active") + (
        " + disabled" if php.truthy(str(user.down)) else "")
    cash = db_number(user.cash)
    expire: object = "No"
    if php.truthy(ini.param("ONLINELEFT_COUNT")):
        expire = online_left_days(state, login, cash, user.tariff) if php.compare(cash, 0) >= 0 else "debt"
    tariff = state.tariffs.get(user.tariff)
    period = tariff.period if tariff else "month"
    periods_on = php.truthy(ini.param("VSERVICES_CONSIDER_PERIODS"))
    services_cost = vservices_price_period(state, login, period) if periods_on else vservices_price(state, login)
    paid_till = "none"
    if isinstance(expire, int):
        paid_till = datetime.fromtimestamp(clock.time() + expire * 86400).strftime("%d.%m.%Y")
    phones = state.phones.get(login)

    records: list[Record] = [{"address": address_of(state, login)}]
    if php.truthy(ini.param("UBA_XML_ADDRESS_STRUCT")):
        records += [{name: value} for name, value in address_struct(state, login).items()]
    records += [
        {"realname": state.realnames.get(login)},
        {"login": login},
        {"cash": php.php_round(cash, 2)},
        {"ip": user.ip},
        {"phone": phones.phone if phones else None},
        {"mobile": phones.mobile if phones else None},
        {"email": state.emails.get(login)},
        {"credit": db_number(user.credit)},
        {"creditexpire": creditexpire},
        {"payid": php.to_string(paymentid)},
        {"contract": state.contracts.get(login)},
        {"contractdate": state.contract_dates.get(login)},
        {"tariff": user.tariff},
        {"tariffalias": user.tariff},            # __(): the language files hold no tariff names
        {"tariffnm": tariff_next},
        {"traffdownload": convert_size(download)},
        {"traffupload": convert_size(upload)},
        {"trafftotal": convert_size(download + upload)},
        {"accountstate": state_text},
        {"accountexpire": expire},
        {"payedtilldate": paid_till},
        {"payedtillvsrvincluded": ini.param("ONLINELEFT_CONSIDER_VSERVICES")},
        {"vservicescost": services_cost},
        {"currency": ini.param("currency")},
        {"version": API_VERSION},
    ]
    return records

