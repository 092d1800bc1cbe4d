"""JMESPath as the engine uses it: money (``Decimal``) counts as a number, so sum(), max() and
comparisons work on amounts; find() picks an item by a value from outside the list (a JMESPath
filter only sees the item itself). Shared by the schema's expressions and the declarative bindings."""
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

    @jp_functions.signature({"types": ["array", "null"]}, {"types": ["string"]},
                            {"types": ["string", "number", "null"]})
    def _func_find(self, items, field, value):
        """find(subscribers, 'id', params.subscriber_id): the first item whose ``field`` equals ``value``
        (compared as text, as route parameters are), else null."""
        if items is None or value is None:
            return None
        wanted = str(value)
        return next((item for item in items if isinstance(item, dict) and str(item.get(field)) == wanted), None)


def options(functions: jp_functions.Functions) -> jmespath.Options:
    return jmespath.Options(custom_functions=functions)
