"""Card checks of the hosted page and the sandbox's test cards.

Messages are Russian with English below (the page shows both): a payer reads what to fix.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

SUCCESS_CARD = "4111111111111111"
DECLINE_CARD = "4000000000000002"
THREE_DS_CARD = "4000000000003220"
THREE_DS_CODE = "1234"

INSUFFICIENT_FUNDS = "Недостаточно средств на карте / Insufficient funds"
WRONG_3DS_CODE = "Неверный код подтверждения 3-D Secure / Wrong 3-D Secure code"
UNKNOWN_TOKEN = "Сохранённая карта не найдена / Unknown saved card"

_EXPIRY = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{2}|\d{4})\s*$")


class Outcome(str, Enum):
    SUCCESS = "success"
    DECLINE = "decline"
    THREE_DS = "three_ds"


@dataclass(frozen=True)
class Card:
    number: str          # digits only
    expiry_month: int
    expiry_year: int
    holder: str

    @property
    def mask(self) -> str:
        return card_mask(self.number)

    @property
    def outcome(self) -> Outcome:
        if self.number == DECLINE_CARD:
            return Outcome.DECLINE
        if self.number == THREE_DS_CARD:
            return Outcome.THREE_DS
        return Outcome.SUCCESS      # 4111 1111 1111 1111 and any other valid card


def read_card(number: str, expiry: str, cvc: str, holder: str,
              today: date) -> tuple[Card | None, dict[str, str]]:
    """The card from the form, or None and a message per field (every mistake at once)."""
    errors: dict[str, str] = {}
    digits = re.sub(r"[\s-]", "", number or "")
    if not digits:
        errors["card_number"] = "Введите номер карты / Enter the card number"
    elif not digits.isdigit() or not 12 <= len(digits) <= 19:
        errors["card_number"] = "Номер карты — от 12 до 19 цифр / A card number has 12 to 19 digits"
    elif not luhn_valid(digits):
        errors["card_number"] = ("Номер карты введён с ошибкой: проверьте цифры / "
                                 "The card number has a typo (it fails the Luhn check)")
    month = year = 0
    match = _EXPIRY.match(expiry or "")
    if not match or not 1 <= int(match.group(1)) <= 12:
        errors["expiry"] = ("Срок действия — в виде ММ/ГГ, например 12/29 / "
                            "Enter the expiry as MM/YY, e.g. 12/29")
    else:
        month, year = int(match.group(1)), int(match.group(2))
        year += 2000 if year < 100 else 0
        if (year, month) < (today.year, today.month):   # a card is valid to the end of its month
            errors["expiry"] = "Срок действия карты истёк / The card has expired"
    if not re.fullmatch(r"\d{3,4}", (cvc or "").strip()):
        errors["cvc"] = "CVC — 3 или 4 цифры с обратной стороны карты / CVC is the 3 or 4 digits on the back"
    holder = " ".join((holder or "").split())
    if not holder:
        errors["holder"] = "Укажите имя владельца, как на карте / Enter the cardholder's name as on the card"
    if errors:
        return None, errors
    return Card(digits, month, year, holder), {}


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def card_mask(digits: str) -> str:
    """First six and last four digits, the rest hidden, in groups of four: 4111 11•• •••• 1111."""
    shown = digits[:6] + "•" * (len(digits) - 10) + digits[-4:]
    return " ".join(shown[i:i + 4] for i in range(0, len(shown), 4))
