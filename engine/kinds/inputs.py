"""Kinds of form inputs (``type:`` of an input): what each takes from the browser, checked on the server.

An input kind owns its behaviour: the value the server takes from the submitted text (a number, a
date, one of the choices offered now ...) or the rule that text breaks; whether the browser's value
is taken at all (a ``hidden`` input keeps the server's own value, a ``honeypot`` is never a value);
whether a refused form shows what was typed (never a password); and which of the common rules it
takes (``min``/``max``, ``step``, choices). The compiler, the page builder and the form check ask
the kind; none of them names one. Input kinds are built in (the template draws each by its name).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, ClassVar, Mapping

# Bounded on purpose: a number is parsed only if it is of a sensible size, so a request cannot make
# the server compute with a million-digit number.
NUMBER = re.compile(r"[+-]?\d{1,13}(?:[.,]\d{1,6})?")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(?:\.[^@\s.]+)+")
PHONE = re.compile(r"\+?[\d\s().\-]{5,24}")
#: characters of one text value when the schema sets no max_length
DEFAULT_MAX_TEXT = 1_000
TRUE_WORDS = frozenset({"1", "on", "true", "yes"})


@dataclass(frozen=True)
class Refusal:
    """Why a submitted value is refused: ``code`` names the rule, the rest fill the message."""

    code: str          # missing | number | whole_number | too_small | too_large | step | date | too_early
    #                    | too_late | too_short | too_long | pattern | email | tel | choice | unchecked
    limit: Any = None


Checked = tuple[Any, "Refusal | None"]


def bound(value: Any, context: Mapping[str, Any]) -> Any:
    """A min or max as the schema gives it: a literal, or an expression over the screen's data."""
    evaluate = getattr(value, "evaluate", None)
    return evaluate(context) if evaluate is not None else value


def offered_choices(spec: Any, context: Mapping[str, Any], label: Callable[[Any], str]) -> list[tuple[str, str]]:
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


class InputKind:
    """One kind of input. ``spec`` below is the compiled input (``engine.schema.model.InputSpec``)."""

    name: ClassVar[str]
    #: what ``min``/``max`` limit on it: "number", "date", or None (the input takes none)
    bounds: ClassVar[str | None] = None
    takes_step: ClassVar[bool] = False
    #: it offers choices (``choices`` or ``choices_from``) and takes only those
    chooses: ClassVar[bool] = False
    #: the browser's value is taken; otherwise the server's own (``default``) or, for a trap, none
    from_browser: ClassVar[bool] = True
    #: a field people never see and robots fill in: a form with it filled is a robot's
    trap: ClassVar[bool] = False
    #: never shown again, kept or logged (a password)
    secret: ClassVar[bool] = False
    #: the longest text it takes when the schema sets no ``max_length``
    max_text: ClassVar[int] = DEFAULT_MAX_TEXT

    def check(self, spec: Any, raw: str | None, context: Mapping[str, Any]) -> Checked:
        """The value the server takes from ``raw`` (typed), or the rule it breaks. ``context`` is
        the screen's data the input's bounds and choices read."""
        text = (raw or "").strip()
        if not text:
            return None, (Refusal("missing") if spec.required else None)
        return self.accept(spec, text, context)

    def accept(self, spec: Any, text: str, context: Mapping[str, Any]) -> Checked:
        """A text that is not empty: its length and the schema's pattern."""
        longest = spec.max_length or self.max_text
        if len(text) > longest:
            return None, Refusal("too_long", longest)
        if spec.min_length and len(text) < spec.min_length:
            return None, Refusal("too_short", spec.min_length)
        problem = self.shape_problem(text)
        if problem is not None:
            return None, problem
        if spec.pattern is not None and not spec.pattern.fullmatch(text):
            return None, Refusal("pattern")
        return text, None

    def shape_problem(self, text: str) -> Refusal | None:
        """What is wrong with the text's form for this kind (an e-mail without @ ...)."""
        return None


class TextInput(InputKind):
    name = "text"


class TextareaInput(InputKind):
    name = "textarea"
    max_text = 10_000           # a letter to support


class PasswordInput(InputKind):
    name = "password"
    secret = True

    def check(self, spec: Any, raw: str | None, context: Mapping[str, Any]) -> Checked:
        text = raw or ""         # taken exactly as typed: spaces may be part of it
        if not text:
            return None, (Refusal("missing") if spec.required else None)
        return self.accept(spec, text, context)


class EmailInput(InputKind):
    name = "email"

    def shape_problem(self, text: str) -> Refusal | None:
        return None if EMAIL.fullmatch(text) else Refusal("email")


class TelInput(InputKind):
    name = "tel"

    def shape_problem(self, text: str) -> Refusal | None:
        digits = sum(c.isdigit() for c in text)
        return None if PHONE.fullmatch(text) and 5 <= digits <= 15 else Refusal("tel")


class NumberInput(InputKind):
    name = "number"
    bounds = "number"
    takes_step = True

    def accept(self, spec: Any, text: str, context: Mapping[str, Any]) -> Checked:
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


class DateInput(InputKind):
    name = "date"
    bounds = "date"

    def accept(self, spec: Any, text: str, context: Mapping[str, Any]) -> Checked:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            return None, Refusal("date")
        outside = _outside(day, _day(bound(spec.min, context)), _day(bound(spec.max, context)),
                           "too_early", "too_late")
        return (None, outside) if outside is not None else (day, None)


class SelectInput(InputKind):
    name = "select"
    chooses = True

    def accept(self, spec: Any, text: str, context: Mapping[str, Any]) -> Checked:
        offered = {value for value, _label in offered_choices(spec, context, lambda _text: "")}
        return text, (None if text in offered else Refusal("choice"))


class CheckboxInput(InputKind):
    name = "checkbox"

    def check(self, spec: Any, raw: str | None, context: Mapping[str, Any]) -> Checked:
        checked = (raw or "").strip().lower() in TRUE_WORDS
        return ("1" if checked else ""), (Refusal("unchecked") if spec.required and not checked else None)


class HiddenInput(InputKind):
    """Carries a value of the server's own (its ``default``): whatever comes back, that is used."""

    name = "hidden"
    from_browser = False

    def check(self, spec: Any, raw: str | None, context: Mapping[str, Any]) -> Checked:
        value = spec.default.evaluate(context) if spec.default is not None else None
        return ("" if value is None else value), None


class HoneypotInput(InputKind):
    """A field people never see and robots fill in; never a value of the form."""

    name = "honeypot"
    from_browser = False
    trap = True

    def check(self, spec: Any, raw: str | None, context: Mapping[str, Any]) -> Checked:
        return None, None


INPUT_KINDS: Mapping[str, InputKind] = {kind.name: kind for kind in (
    TextInput(), NumberInput(), DateInput(), SelectInput(), TextareaInput(), EmailInput(), TelInput(),
    CheckboxInput(), HiddenInput(), PasswordInput(), HoneypotInput(),
)}


def _outside(value: Any, low: Any, high: Any, below: str, above: str) -> Refusal | None:
    """The refusal of a number or date outside [low, high] (either bound may be absent)."""
    if low is not None and value < low:
        return Refusal(below, low)
    if high is not None and value > high:
        return Refusal(above, high)
    return None


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
