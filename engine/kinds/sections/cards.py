"""Cards of one account's figures: the balance card and label/value rows."""
from __future__ import annotations

from ..base import SectionKind

_ACCOUNT = {
    "number": "108842",
    "holder": "Иванов Иван Иванович",
    "address": "г. Москва, ул. Лесная, д. 5, кв. 12",
    "balance": "-146.10",
    "status": "active",
    "recommended_payment": {"amount": "3146.10", "due_date": "2021-04-24"},
}
_STATUS = {
    "labels": {"active": {"ru": "Активен", "en": "Active"}, "suspended": {"ru": "Приостановлен", "en": "Suspended"}},
    "tones": {"active": "success", "suspended": "warning"},
}


class BalanceCardKind(SectionKind):
    """The home screen's card: the first field is the big figure, the rest are smaller lines,
    then the actions as buttons."""

    name = "balance_card"
    preview_section = {
        "title": {"ru": "Лицевой счёт 108842", "en": "Account 108842"},
        "fields": [
            {"type": "money", "key": "balance", "label": {"ru": "Баланс", "en": "Balance"},
             "value": "account.balance"},
            {"type": "money", "key": "recommended_payment",
             "label": {"ru": "Рекомендуемый платёж", "en": "Recommended payment"},
             "value": "account.recommended_payment.amount"},
            {"type": "date", "key": "due_date", "label": {"ru": "Оплатить до", "en": "Pay by"},
             "value": "account.recommended_payment.due_date"},
        ],
        "actions": ["top_up"],
    }
    preview_data = {"account": _ACCOUNT}


class KeyValueKind(SectionKind):
    """Label/value rows, then the actions."""

    name = "key_value"
    preview_section = {
        "title": {"ru": "Договор", "en": "Contract"},
        "fields": [
            {"type": "text", "key": "number", "label": {"ru": "Лицевой счёт", "en": "Account"},
             "value": "account.number"},
            {"type": "text", "key": "holder", "label": {"ru": "Владелец", "en": "Holder"},
             "value": "account.holder"},
            {"type": "text", "key": "address", "label": {"ru": "Адрес", "en": "Address"},
             "value": "account.address"},
            {"type": "status", "key": "status", "label": {"ru": "Состояние", "en": "Status"},
             "value": "account.status", **_STATUS},
        ],
        "actions": ["top_up"],
    }
    preview_data = {"account": _ACCOUNT}
