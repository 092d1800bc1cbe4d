"""The ``paycards`` module's agent call (``?module=paycards&agentpaycards=1&paycard=<serial>``): a
prepaid card credited to the account, answered as ``{result, message}``."""
from __future__ import annotations

from werkzeug.wrappers import Response

from . import php
from .call import Call
from .render import render_response
from .state import Card, CardBruteAttempt

USED = "Card is successfully used"
INVALID = "Invalid card"
NO_NUMBER = "No card number provided"
TOO_MANY = "Too many attempts"
DISABLED = "Paycards module is disabled"


def _find_card(call: Call, serial: str, series: str | None) -> Card | None:
    """``zbs_PaycardCheck()``: an active, unused, unclaimed card; a miss is logged as an attempt."""
    serial = php.vf(serial)
    if not serial:
        return None
    for card in call.state.cards:
        if (card.serial == serial and card.active == "1" and card.used == "0" and card.usedlogin == ""
                and (series is None or card.part == php.vf(series))):
            return card
    return None


def _log_attempt(call: Call, login: str, serial: str, user_ip: str) -> None:
    state = call.state
    state.card_brute.append(CardBruteAttempt(state.next_id(state.card_brute), php.vf(serial),
                                             state.clock.now_text(), login, user_ip))


def use_card(call: Call, login: str, user_ip: str) -> tuple[bool, str]:
    state = call.state
    ini = state.ini
    if not ini.on("PC_ENABLED"):
        return False, DISABLED
    attempts = sum(1 for attempt in state.card_brute if attempt.ip == php.vf(user_ip))
    if php.compare(attempts, ini.raw("PC_BRUTE")) >= 0:
        return False, TOO_MANY
    number = call.query.get("paycard") if call.query.check("paycard") else call.post.get("paycard", "")
    if php.is_empty(number):
        return False, NO_NUMBER
    serial, series = number or "", None
    if ini.on("PC_SERIES_AND_SN"):
        length = int(php.number(ini.raw("PC_SERIES_LENGTH")))
        series, serial = serial[:length], serial[length:]
    card = _find_card(call, serial, series)
    if card is None:
        if php.vf(serial):
            _log_attempt(call, login, serial, user_ip)
        return False, INVALID
    card.usedlogin, card.usedip, card.usedate = login, user_ip, state.clock.now_text()
    if ini.on("PC_QUEUED"):
        return True, USED                     # zbs_PaycardQueue(): claimed, credited later by the billing
    card.used = "1"
    state.payment_log(login, card.cash, php.to_string(ini.raw("PC_CASHTYPEID")), "CARD:" + card.serial)
    state.add_cash(login, card.cash)
    return True, USED


def agent_paycard(call: Call, login: str, user_ip: str) -> Response:
    done, message = use_card(call, login, user_ip)
    fmt = call.output_format
    result: object = done if fmt == "json" else ("true" if done else "false")
    return render_response([{"result": result}, {"message": message}], "data", "", fmt)
