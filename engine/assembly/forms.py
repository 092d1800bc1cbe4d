"""What a form accepts, worked out on the server from the compiled schema and the screen's data:
the choices it offers, the bounds of its numbers and dates, and the check of one submitted value
(each input kind's own, engine/kinds/inputs.py), in the engine's words when refused.

The page builder draws inputs from the same functions, so what the browser is told and what the
server accepts cannot drift apart. No Flask here.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Mapping

from ..kinds.inputs import Refusal, bound, offered_choices
from ..schema.model import InputSpec

__all__ = ["SubmittedForm", "Refusal", "bound", "check_value", "offered_choices", "refusal_message"]


@dataclass(frozen=True)
class SubmittedForm:
    """A refused form, to show again: what was typed and a message at each refused input."""

    section_id: str
    values: Mapping[str, str]
    errors: Mapping[str, str]
    message: str = ""            # about the form as a whole (shown above its inputs)


def check_value(spec: InputSpec, raw: str | None, context: Mapping[str, Any]) -> tuple[Any, Refusal | None]:
    """The value of one input as the server takes it (typed: int, Decimal, date, or str; a
    checkbox "1" or ""), or the rule it breaks; its kind decides (engine/kinds/inputs.py).
    ``context`` is the screen's data the input's bounds and choices read."""
    return spec.kind.check(spec, raw, context)


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
