"""What a form accepts, worked out on the server from the compiled schema and the screen's data:
the choices it offers, the bounds of its numbers and dates, and the check of one submitted value.

The page builder draws inputs from the same functions, so what the browser is told and what the
server accepts cannot drift apart. No Flask here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Mapping

from ..schema.expressions import Expr
from ..schema.model import InputSpec

# Bounded on purpose: a number is parsed only if it is of a sensible size, so a request cannot make
# the server compute with a million-digit number.
NUMBER = re.compile(r"[+-]?\d{1,13}(?:[.,]\d{1,6})?")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
PHONE = re.compile(r"\+?[\d\s().\-]{5,24}")
#: characters of one text value when the schema sets no max_length (a textarea may hold a letter)
DEFAULT_MAX_LENGTH = {"textarea": 10_000}
DEFAULT_MAX_TEXT = 1_000
#: input types whose submitted value the engine never takes from the browser
NOT_SUBMITTED = frozenset({"honeypot"})
TRUE_WORDS = frozenset({"1", "on", "true", "yes"})


@dataclass(frozen=True)
class SubmittedForm:
    """A refused form, to show again: what was typed and a message at each refused input."""

    section_id: str
    values: Mapping[str, str]
    errors: Mapping[str, str]
    message: str = ""            # about the form as a whole (shown above its inputs)


@dataclass(frozen=True)
class Refusal:
    """Why a submitted value is refused: ``code`` names the rule, the rest fill the message."""

    code: str          # missing | number | whole_number | too_small | too_large | step | date | too_early
    #                    | too_late | too_short | too_long | pattern | email | tel | choice | unchecked
    limit: Any = None


def bound(value: Any, context: Mapping[str, Any]) -> Any:
    """A min or max as the schema gives it: a literal, or an expression over the screen's data."""
    return value.evaluate(context) if isinstance(value, Expr) else value


def offered_choices(spec: InputSpec, context: Mapping[str, Any],
                    label: Callable[[Any], str]) -> list[tuple[str, str]]:
    """(value, label) of every choice a select offers now: the schema's own, then those taken from
    data (``choices_from``) less the excluded one. ``label`` renders a schema text."""
    choices = [(c.value, label(c.label)) for c in spec.choices]
    if spec.choices_from is not None:
        excluded = spec.exclude.evaluate(context) if spec.exclude is not None else None
        elements = spec.choices_from.evaluate(context)
        for element in elements if isinstance(elements, list) else []:
            value = spec.choice_value.evaluate(element) if spec.choice_value else element
            shown = spec.choice_label.evaluate(element) if spec.choice_label else value
            if value is None or (excluded is not None and str(value) == str(excluded)):
                continue
            choices.append((str(value), "" if shown is None else str(shown)))
    return choices


def check_value(spec: InputSpec, raw: str | None, context: Mapping[str, Any]) -> tuple[Any, Refusal | None]:
    """The value of one input as the server accepts it (typed: int, Decimal, date, bool or str),
    or the rule it breaks. ``context`` is the screen's data the input's bounds and choices read."""
    # a password is taken exactly as typed; other values without the spaces around them
    text = (raw or "") if spec.type == "password" else (raw or "").strip()
    if spec.type == "checkbox":
        checked = text.lower() in TRUE_WORDS
        return checked, (Refusal("unchecked") if spec.required and not checked else None)
    if not text:
        return None, (Refusal("missing") if spec.required else None)
    if spec.type == "number":
        return _number(spec, text, context)
    if spec.type == "date":
        return _date(spec, text, context)
    if spec.type == "select":
        offered = {value for value, _label in offered_choices(spec, context, lambda _text: "")}
        return text, (None if text in offered else Refusal("choice"))
    return _text(spec, text)


def _number(spec: InputSpec, text: str, context: Mapping[str, Any]) -> tuple[Any, Refusal | None]:
    compact = text.replace("\u00a0", "").replace(" ", "")
    if not NUMBER.fullmatch(compact):
        return None, Refusal("number" if _fractional(spec.step) else "whole_number")
    value = Decimal(compact.replace(",", "."))
    step = _decimal(spec.step)
    if step is None and value != value.to_integral_value():
        # an input without step takes whole numbers, as the browser's number input does
        return None, Refusal("whole_number")
    low, high = _decimal(bound(spec.min, context)), _decimal(bound(spec.max, context))
    outside = _outside(value, low, high, "too_small", "too_large")
    if outside is not None:
        return None, outside
    if step is not None and step > 0 and (value - (low or 0)) % step != 0:
        return None, Refusal("step", step)
    return (int(value) if step is None or not _fractional(step) else value), None


def _date(spec: InputSpec, text: str, context: Mapping[str, Any]) -> tuple[Any, Refusal | None]:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None, Refusal("date")
    outside = _outside(day, _day(bound(spec.min, context)), _day(bound(spec.max, context)), "too_early", "too_late")
    return (None, outside) if outside is not None else (day, None)


def _outside(value: Any, low: Any, high: Any, below: str, above: str) -> Refusal | None:
    """The refusal of a number or date outside [low, high] (either bound may be absent)."""
    if low is not None and value < low:
        return Refusal(below, low)
    if high is not None and value > high:
        return Refusal(above, high)
    return None


def _text(spec: InputSpec, text: str) -> tuple[Any, Refusal | None]:
    longest = spec.max_length or DEFAULT_MAX_LENGTH.get(spec.type, DEFAULT_MAX_TEXT)
    if len(text) > longest:
        return None, Refusal("too_long", longest)
    if spec.min_length and len(text) < spec.min_length:
        return None, Refusal("too_short", spec.min_length)
    if spec.type == "email" and not EMAIL.fullmatch(text):
        return None, Refusal("email")
    if spec.type == "tel" and not (PHONE.fullmatch(text) and 5 <= sum(c.isdigit() for c in text) <= 15):
        return None, Refusal("tel")
    if spec.pattern is not None and not spec.pattern.fullmatch(text):
        return None, Refusal("pattern")
    return text, None


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _fractional(step: Any) -> bool:
    value = _decimal(step)
    return value is not None and value != value.to_integral_value()


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value is not None else None
    except ValueError:
        return None


def refusal_message(refusal: Refusal, field: str, gettext, fmt) -> str:
    """The engine's words for a refused value (an input's own ``message`` replaces them). ``fmt``
    is the request's ``Formatter``."""
    _ = gettext
    limit = refusal.limit
    shown = {"field": field}
    if isinstance(limit, (Decimal, int)):
        shown["limit"] = fmt.number(limit)
    elif isinstance(limit, date):
        shown["limit"] = fmt.date(limit)
    elif limit is not None:
        shown["limit"] = str(limit)
    messages = {
        "missing": _("Fill in «%(field)s»."),
        "unchecked": _("Tick «%(field)s» to go on."),
        "number": _("«%(field)s»: enter a number such as 1500.50."),
        "whole_number": _("«%(field)s»: enter a whole number."),
        "too_small": _("«%(field)s»: enter at least %(limit)s."),
        "too_large": _("«%(field)s»: enter at most %(limit)s."),
        "step": _("«%(field)s»: enter a multiple of %(limit)s."),
        "date": _("«%(field)s»: enter a date."),
        "too_early": _("«%(field)s»: choose %(limit)s or later."),
        "too_late": _("«%(field)s»: choose %(limit)s or earlier."),
        "too_short": _("«%(field)s»: enter at least %(limit)s characters."),
        "too_long": _("«%(field)s»: enter at most %(limit)s characters."),
        "pattern": _("«%(field)s»: the value does not have the expected form."),
        "email": _("«%(field)s»: enter an e-mail address such as name@example.org."),
        "tel": _("«%(field)s»: enter a phone number such as +7 900 123-45-67."),
        "choice": _("«%(field)s»: choose one of the offered options."),
    }
    return messages[refusal.code] % shown
