"""JMESPath as the engine uses it: money (``Decimal``) counts as a number, so sum(), max() and
comparisons work on amounts. Shared by the schema's expressions and the declarative bindings."""
from __future__ import annotations

import jmespath
from jmespath import functions as jp_functions


class MoneyFunctions(jp_functions.Functions):
    """JMESPath's functions, with money (Decimal) counted as a number: sum(), max() ... work on it."""

    def _get_allowed_pytypes(self, types):
        allowed, subtypes = super()._get_allowed_pytypes(types)
        if "float" in allowed:
            allowed = [*allowed, "Decimal"]
        subtypes = [[*s, "Decimal"] if "float" in s else s for s in subtypes]
        return allowed, subtypes


def options(functions: jp_functions.Functions) -> jmespath.Options:
    return jmespath.Options(custom_functions=functions)
