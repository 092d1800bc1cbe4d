"""JMESPath functions a binding file may use besides JMESPath's own, for what billings do to money
and ids: ``kopecks(n)`` (minor units to an amount), ``to_kopecks(amount)`` (an amount to minor
units), ``decimal(x)`` (a number or numeric text to an exact amount), ``str(x)`` (any scalar as
text, for ids given as numbers), ``lookup(code, `{...}`)`` (the billing's codes to the contract's),
``param('name')`` (a parameter of the call, in a result or an error rule), ``answer('name')`` (the
answer of one of an operation's several requests, reachable inside a projection over another's),
``md5(text)`` (the hex digest some billings want instead of a password), ``today()`` (the date in
the file's time zone)."""
from __future__ import annotations

import hashlib
from datetime import datetime, tzinfo
from decimal import Decimal, InvalidOperation

import jmespath
from jmespath import functions

from ...jmes import ArithmeticFunctions

CENT = Decimal("0.01")


def _amount(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal, float)):
        raise jmespath.exceptions.JMESPathTypeError("decimal", value, type(value).__name__, ["number", "string"])
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise jmespath.exceptions.JMESPathTypeError("decimal", value, "string", ["number"]) from None


class BindingFunctions(ArithmeticFunctions):
    def __init__(self, params: dict | None = None, answers: dict | None = None, zone: tzinfo | None = None):
        super().__init__()
        self.params = params or {}
        self.answers = answers if answers is not None else {}
        self.zone = zone

    @functions.signature()
    def _func_today(self):
        """Today's ISO date where the billing is (the file's ``timezone``; the machine's without one)."""
        return datetime.now(self.zone).date().isoformat()

    @functions.signature({"types": ["string"]})
    def _func_answer(self, name):
        """The answer of the operation's request ``name`` (``answer('user').cash`` inside
        ``plan[*].{...}``, where JMESPath sees only the item), or null."""
        return self.answers.get(name)

    @functions.signature({"types": ["string"]})
    def _func_param(self, name):
        """A parameter of the operation's call (``param('account_id')``), or null."""
        return self.params.get(name)

    @functions.signature({"types": ["string"]})
    def _func_md5(self, text):
        """The MD5 hex digest of a text (Ubilling's ``uberpassword``): an encoding a billing asks
        for, never a protection."""
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    @functions.signature({"types": ["number", "string", "null"]})
    def _func_kopecks(self, value):
        return None if value is None else (_amount(value) / 100).quantize(CENT)

    @functions.signature({"types": ["number", "string", "null"]})
    def _func_to_kopecks(self, value):
        return None if value is None else int((_amount(value) * 100).to_integral_value())

    @functions.signature({"types": ["number", "string", "null"]})
    def _func_decimal(self, value):
        return None if value is None else _amount(value)

    @functions.signature({"types": ["number", "string", "boolean", "null"]})
    def _func_str(self, value):
        return None if value is None else str(value)

    @functions.signature({"types": ["string", "null"]}, {"types": ["object"]})
    def _func_lookup(self, key, mapping):
        """A code of the billing to the contract's: lookup(state, `{"OPEN": "active"}`); an
        unknown code stays as it is (and the record check then names it)."""
        return None if key is None else mapping.get(key, key)


OPTIONS = jmespath.Options(custom_functions=BindingFunctions())


def options_for(params: dict, answers: dict | None = None, zone: tzinfo | None = None) -> jmespath.Options:
    """The functions with ``param()`` reading this call's parameters, ``answer()`` its requests'
    answers (a dict the call fills as they come) and ``today()`` in the billing's ``zone``."""
    return jmespath.Options(custom_functions=BindingFunctions(params, answers, zone))
