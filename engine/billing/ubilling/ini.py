"""``userstats.ini``: the options as the shipped file sets them, overridable, read the two ways the
PHP code reads them: ``$us_config['X']`` (a missing key is null) and XMLAgent's
``getUstasParam('X', default)`` (the code's default applies only to a missing key)."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from . import php

# The shipped userstats/config/userstats.ini (options the simulated code reads), as parse_ini_file
# returns them: strings, "1" for on. Keys it does not set fall back to the code's defaults.
SHIPPED_INI: dict[str, str] = {
    "auth": "ip", "authfailredir": "", "lang": "russian", "allowclang": "1", "currency": "UAH",
    "CITY_DISPLAY": "1", "ZERO_TOLERANCE": "1",
    "TC_ENABLED": "1", "TC_TARIFFSALLOWED": "tariff,Unlim-5", "TC_TARIFFENABLEDFROM": "tariff,Unlim-5",
    "TC_EXTENDED_MATRIX": "0",
    "SC_ENABLED": "1", "SC_MINDAY": "1", "SC_MAXDAY": "3", "SC_TERM": "3", "SC_PRICE": "5",
    "SC_CASHTYPEID": "1", "SC_MONTHCONTROL": "0", "SC_TARIFFSALLOWED": "",
    "PC_ENABLED": "1", "PC_BRUTE": "5", "PC_CASHTYPEID": "1",
    "OPENPAYZ_ENABLED": "0", "OPENPAYZ_URL": "../openpayz/backend/",
    "OPENPAYZ_PAYSYS": "ipay,uniteller,24money,copayco,liqpay,easypay,portmone", "OPENPAYZ_REALID": "0",
    "TICKETING_ENABLED": "1",
    "AF_ENABLED": "1", "AF_FREEZPRICE": "10", "AF_TARIFFSALLOWED": "Unlim-5", "AF_CASHTYPEID": "1",
    "UBA_ENABLED": "1",
    "ONLINELEFT_COUNT": "0", "ONLINELEFT_STYLE": "days", "ONLINELEFT_SPREAD": "0", "ONLINELEFT_CREDIT": "0",
    "ROUND_PROFILE_CASH": "0", "AN_ENABLED": "0", "PAYMENTS_ENABLED": "1", "VSERVICES_SHOW": "0",
}

# XMLAgent::loadOptions() and getUserData(): getUstasParam(name, <this default>)
XMLAGENT_DEFAULTS: dict[str, object] = {
    "PAYMENTS_ENABLED": 0, "PAYMENTS_ONLYPOSITIVE": 0, "PAYMENTS_DEPTH_LIMIT": 0, "AN_ENABLED": 0,
    "TICKETING_ENABLED": 0, "UBA_XML_ADDRESS_STRUCT": 0, "ONLINELEFT_COUNT": 0, "OPENPAYZ_ENABLED": 0,
    "OPENPAYZ_REALID": 0, "OPENPAYZ_URL": "../openpayz/backend/", "OPENPAYZ_PAYSYS": 0, "currency": "UAH",
    "TC_ENABLED": 0, "TC_EXTENDED_MATRIX": 0, "TC_TARIFFSALLOWED": "", "TC_TARIFFENABLEDFROM": "",
    "XMLAGENT_DEBUG_ON": False, "XMLAGENT_DEBUG_DEEP_ON": False, "XMLAGENT_EXTENDED_AUTH_ON": False,
    "XMLAGENT_SELF_UNFREEZE_ALLOWED": False, "UKV_ENABLED": False,
    "AF_ENABLED": False, "AF_FREEZPRICE": 0, "AF_FREEZPRICE_PERIOD": "day", "AF_TARIFFSALLOWED": False,
    "AF_TARIFF_ALLOW_ANY": False, "AF_CASHTYPEID": 1, "FREEZE_ALLOW_ON_NEGATIVE_BALANCE": False,
    "FREEZE_DAYS_CHARGE_ENABLED": False, "FREEZE_DAYS_INITIAL_AMOUNT": 365, "FREEZE_DAYS_WORK_TO_RESTORE": 120,
    "VSERVICES_CONSIDER_PERIODS": 0, "ONLINELEFT_CONSIDER_VSERVICES": 0,
}


def ini_string(value: object) -> str:
    """What parse_ini_file would give for a Python value: True -> "1", False -> "", numbers as text."""
    if value is True:
        return "1"
    if value is False:
        return ""
    if isinstance(value, float):
        return php.float_to_string(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class UserstatsIni:
    """The options in force. ``overrides`` maps a key to its value; None removes the key."""

    def __init__(self, overrides: Mapping[str, object] | None = None,
                 base: Mapping[str, str] = SHIPPED_INI) -> None:
        self._options: dict[str, str] = dict(base)
        for name, value in (overrides or {}).items():
            if value is None:
                self._options.pop(name, None)
            else:
                self._options[name] = ini_string(value)

    def raw(self, name: str) -> str | None:
        """``$us_config[name]``: the INI string, None (PHP null) when the key is missing."""
        return self._options.get(name)

    def on(self, name: str) -> bool:
        """``if ($us_config[name])``."""
        return php.truthy(self.raw(name))

    def param(self, name: str, default: object = None) -> object:
        """``getUstasParam(name, default)``: the INI string, or the default for a missing key (the
        XMLAgent default when none is given)."""
        if name in self._options:
            return self._options[name]
        return XMLAGENT_DEFAULTS.get(name) if default is None else default
