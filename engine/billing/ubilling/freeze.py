"""XMLAgent's freezing: ``freezedata`` (status and terms), ``dofreeze`` (freezes and charges
``AF_FREEZPRICE`` without checking any term) and ``dounfreeze`` (only with
``XMLAGENT_SELF_UNFREEZE_ALLOWED``)."""
from __future__ import annotations

from datetime import datetime, timedelta

from . import php
from .call import Call
from .render import Record
from .state import DATETIME_FORMAT, db_number


def _freeze_started(call: Call, login: str) -> str:
    """The date of the last ``PASSIVE CHANGE (<login>) ON `1``` event, "" when none."""
    event = f"PASSIVE CHANGE ({login}) ON `1`"
    matches = [log for log in call.state.weblogs if log.event == event]
    return max(matches, key=lambda log: log.id).date if matches else ""


def freeze_data(call: Call, login: str) -> list[Record]:
    state = call.state
    ini, user = state.ini, state.users[login]
    tariff = state.tariffs.get(user.tariff)
    date_from = _freeze_started(call, login)
    date_to = ""
    total: object = None
    used: object = None
    available: object = None
    restore: object = None
    worked: object = None
    left_to_work: object = None
    days_row = state.freeze_days.get(login)
    if php.truthy(ini.param("FREEZE_DAYS_CHARGE_ENABLED")) and days_row is not None:
        total = (ini.param("FREEZE_DAYS_INITIAL_AMOUNT") if php.is_empty(days_row.freeze_days_amount)
                 else days_row.freeze_days_amount)
        used = days_row.freeze_days_used
        available = php.subtract(total, used)
        restore = (ini.param("FREEZE_DAYS_WORK_TO_RESTORE") if php.is_empty(days_row.work_days_restore)
                   else days_row.work_days_restore)
        worked = days_row.days_worked
        left_to_work = php.subtract(restore, worked)
        if not php.is_empty(date_from) and not php.is_empty(used):
            until = datetime.strptime(date_from, DATETIME_FORMAT) + timedelta(days=int(php.number(used)))
            # date('Y-m-d H:m:s'): the code prints the month where the minutes belong
            date_to = f"{until:%Y-%m-%d %H}:{until.month:02d}:{until:%S}"
    price = ini.param("AF_FREEZPRICE")
    return [{
        "result": "Success",
        "message": "",
        "freezeSelfAvailable": php.filter_bool(ini.param("AF_ENABLED")),
        "activationCost": None if php.is_empty(price) else price,
        "tariffsAllowedList": ini.param("AF_TARIFFSALLOWED"),
        "tariffAllowedAny": php.filter_bool(ini.param("AF_TARIFF_ALLOW_ANY")),
        "negativeBalanceFreezeAllowed": php.filter_bool(ini.param("FREEZE_ALLOW_ON_NEGATIVE_BALANCE")),
        "userBalance": db_number(user.cash),
        "userTariff": user.tariff,
        "userTariffFreezePrice": tariff.passive_cost if tariff else None,
        "freezeStatus": "frozen" if str(user.passive) == "1" else "unfrozen",
        "dateFrom": date_from,
        "dateTo": date_to,
        "freezeDaysChargeActive": php.filter_bool(ini.param("FREEZE_DAYS_CHARGE_ENABLED")),
        "freezeDaysTotal": total,
        "freezeDaysRestore": restore,
        "freezeDaysUsed": used,
        "freezeDaysAvailable": available,
        "freezeDaysWorked": worked,
        "freezeDaysLeftToWork": left_to_work,
    }]


def do_freeze(call: Call, login: str) -> list[Record]:
    state = call.state
    user = state.users[login]
    if str(user.passive) == "1":
        return [{"result": "Failure", "message": f"User '{login}' is already frozen"}]
    user.passive = 1                                      # billing_freeze(): sgconf -i 1
    charge = "-" + php.to_string(state.ini.param("AF_FREEZPRICE"))
    state.payment_log(login, charge, php.to_string(state.ini.param("AF_CASHTYPEID")), "AFFEE_XMLAGENT")
    state.add_cash(login, charge)
    state.log_register(f"CHANGE Passive ({login}) ON 1", call.remote_addr)
    state.log_register("XMLAGENT: REST API is the source of previous action", call.remote_addr)
    return [{"result": "Success", "message": f"User '{login}' has been frozen"}]


def do_unfreeze(call: Call, login: str) -> list[Record]:
    state = call.state
    if not php.truthy(state.ini.param("XMLAGENT_SELF_UNFREEZE_ALLOWED")):
        return [{"result": "Failure", "message": "Feature is not allowed"}]
    user = state.users[login]
    if str(user.passive) != "1":
        return [{"result": "Failure", "message": f"User '{login}' is already UNfrozen"}]
    user.passive = 0                                      # executor('-u<login> -i 0')
    state.log_register(f"CHANGE Passive ({login}) ON 0", call.remote_addr)
    state.log_register("XMLAGENT: REST API is the source of previous action", call.remote_addr)
    return [{"result": "Success", "message": f"User '{login}' has been UNfrozen"}]
