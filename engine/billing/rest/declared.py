"""Operations a declarative binding file offers beyond the contract (``declare:``): their
parameters and the record they return, written in the file and made into the same ``Operation``
and frozen record class a Python binding declares, so schemas use them and the engine checks them
like the contract's.

```yaml
declare:
  equipment:
    doc: Equipment the subscriber rents
    params: {account_id: account}              # str | int | decimal | date | account | service
    returns: {id: str, name: str, monthly_fee: decimal, since: optional date}
    many: true                                 # a list of such records
```
"""
from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Mapping, Sequence

from ..contract import IDEMPOTENCY_KEY, OPERATIONS, OWNED_ACCOUNT, OWNED_SERVICE, Operation, Param, declare
from ..records import ActionResult

FIELD_TYPES: dict[str, type] = {"str": str, "int": int, "decimal": Decimal, "date": date, "datetime": datetime,
                                "bool": bool}
PARAM_TYPES = ("str", "int", "decimal", "date", "account", "service")


def operations_from(declared: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, Operation], list[str]]:
    """The declared operations, and the problems (an operation the contract has already)."""
    found, problems = {}, []
    for name, spec in declared.items():
        if name in OPERATIONS:
            problems.append(f"declare.{name}: the contract has {name} already; bind it under operations")
            continue
        params = [_param(param, kind) for param, kind in spec["params"].items()]
        if spec["mutation"]:
            params.append(Param("request_id", filled_by_engine=IDEMPOTENCY_KEY))
        record: Any = _record(name, spec["returns"]) if spec.get("returns") else ActionResult
        returns = Sequence[record] if spec["many"] else record
        found[name] = declare(name, *params, returns=returns, mutation=spec["mutation"], doc=spec["doc"])
    return found, problems


def _param(name: str, kind: str) -> Param:
    if kind == "account":
        return Param(name, owned=OWNED_ACCOUNT)
    if kind == "service":
        return Param(name, owned=OWNED_SERVICE)
    return Param(name, kind)


def _record(operation: str, returns: Mapping[str, str]) -> type:
    """A frozen record class for the declared fields (the required ones first, as dataclasses want)."""
    optional_ = "optional "
    required = [(n, FIELD_TYPES[t]) for n, t in returns.items() if not t.startswith(optional_)]
    optional = [(n, FIELD_TYPES[t.removeprefix(optional_)] | None, dataclasses.field(default=None))
                for n, t in returns.items() if t.startswith(optional_)]
    name = "".join(part.capitalize() for part in operation.split("_")) + "Record"
    return dataclasses.make_dataclass(name, [*required, *optional], frozen=True)
