"""The declarative REST binding's YAML file: what each operation calls and how the answer maps to
the contract's records. Checked with marshmallow when the binding starts; every problem is
reported with its place, like a cabinet schema's.

```yaml
base_url: ${BILLING_URL}                     # ${NAME}: from the environment (secrets stay out of the file)
timezone: Europe/Moscow                      # the zone of times the billing writes without one
auth: {type: api_key, header: X-Api-Key, value: "${BILLING_API_KEY}"}
timeout: {connect: 2, read: 5}               # seconds, per call
retries: {attempts: 2, backoff: 0.2}         # extra attempts, for idempotent calls only
circuit_breaker: {failures: 5, reset_seconds: 30}
errors:                                      # first match wins, over {status, body} (an operation's own first)
  - {when: "status == `404`", error: not_found}
  - {when: "status == `409`", error: rejected, reason: body.fault.message}
operations:
  account:
    method: GET
    path: /contracts/{account_id}            # {param}: the operation's parameter, URL-encoded
    result: "{id: contractNo, balance: kopecks(saldoKop), ...}"   # JMESPath over the answer
```
"""
from __future__ import annotations

import difflib
import os
import re
from pathlib import Path
from typing import Any, Iterable, Mapping

import jmespath
import yaml
from jmespath.exceptions import JMESPathError
from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from ..contract import OPERATIONS, Operation
from .declared import PARAM_TYPES, operations_from
from .functions import OPTIONS

ERROR_KINDS = ("not_found", "rejected", "unavailable")
AUTH_TYPES = ("none", "bearer", "basic", "api_key", "oauth2_client_credentials", "subscriber")
_ENV = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
_LOWER = validate.Regexp(r"^[a-z][a-z0-9_]*$", error="name it in lower_case_words")
# marshmallow files a mapping entry's problems under "key" and "value": the place is the entry itself
_DICT_ENTRY = re.compile(r"\b((?:operations|declare|params|returns|query|headers|requests|derive)\.[^.]+)"
                         r"\.(?:key|value)(?=\.|$)")


class SpecError(ValueError):
    """The binding file has problems; ``problems`` lists each with its place."""

    def __init__(self, path: str, problems: list[str]):
        super().__init__(f"{path}:\n  " + "\n  ".join(problems))
        self.problems = problems


class Expression(fields.Field):
    """A JMESPath expression, compiled once (with the binding's functions)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or not value.strip():
            raise ValidationError("must be a JMESPath expression")
        try:
            return jmespath.compile(value)
        except JMESPathError as exc:
            raise ValidationError(f"invalid JMESPath expression {value!r}: {exc}") from None


class Steps(fields.Field):
    """One JMESPath expression, or a list applied one after another (so a mapping written once for
    list items, as a YAML anchor, serves a single item too: [\"[@]\", *items, \"[0]\"])."""

    def _deserialize(self, value, attr, data, **kwargs):
        steps = value if isinstance(value, list) else [value]
        if not steps:
            raise ValidationError("give a JMESPath expression or a list of them")
        return [Expression().deserialize(step) for step in steps]


class Strict(Schema):
    class Meta:
        unknown = RAISE


class TimeoutSchema(Strict):
    connect = fields.Float(load_default=3.0, validate=validate.Range(min=0.05, max=60))
    read = fields.Float(load_default=10.0, validate=validate.Range(min=0.05, max=300))


class RetriesSchema(Strict):
    attempts = fields.Integer(load_default=0, validate=validate.Range(min=0, max=5))
    backoff = fields.Float(load_default=0.2, validate=validate.Range(min=0, max=10))


class BreakerSchema(Strict):
    failures = fields.Integer(load_default=5, validate=validate.Range(min=1, max=1000))
    reset_seconds = fields.Float(load_default=30.0, validate=validate.Range(min=0.1, max=3600))


class SignInSchema(Strict):
    """The request that checks a subscriber's login and password (``login``, ``password`` in its
    expressions) and what the answer says: who signed in, and what to keep for their calls."""

    method = fields.String(load_default="POST", validate=validate.OneOf(("GET", "POST", "PUT", "PATCH")))
    path = fields.String(required=True, validate=validate.Regexp(r"^/", error="must start with /"))
    query = fields.Dict(keys=fields.String(), values=Expression(), load_default=dict)
    body = Expression()
    headers = fields.Dict(keys=fields.String(), values=Expression(), load_default=dict)
    #: over the answer (param('login') reads the login): {subscriber_id: ..., name: ...}
    result = Steps(required=True)
    #: over the answer: the values the subscriber's calls need ({session: sessionKey}), kept encrypted
    keep = Expression(required=True)
    #: over {status, body}: the billing refused the login or password
    refused = Expression(load_default=lambda: jmespath.compile("status == `401` || status == `403`"))
    #: keep the login and password too, so an expired session is signed in again without the subscriber
    relogin = fields.Boolean(load_default=False)


class AuthSchema(Strict):
    type = fields.String(required=True, validate=validate.OneOf(AUTH_TYPES))
    # subscriber: each subscriber signs in; their kept values fill every request's query and headers
    sign_in = fields.Nested(SignInSchema)
    query = fields.Dict(keys=fields.String(), values=Expression(), load_default=dict)
    headers = fields.Dict(keys=fields.String(), values=Expression(), load_default=dict)
    #: over {status, body}: the billing no longer takes the kept values (sign in again, or sign out)
    expired = Expression(load_default=lambda: jmespath.compile("status == `401`"))
    token = fields.String()
    username = fields.String()
    password = fields.String()
    header = fields.String()
    value = fields.String()
    token_url = fields.String()
    client_id = fields.String()
    client_secret = fields.String()
    scope = fields.String(load_default="")

    @validates_schema
    def _complete(self, data, **kwargs):
        needed = {"bearer": ("token",), "basic": ("username", "password"), "api_key": ("header", "value"),
                  "oauth2_client_credentials": ("token_url", "client_id", "client_secret"),
                  "subscriber": ("sign_in",)}.get(data["type"], ())
        missing = [name for name in needed if not data.get(name)]
        if missing:
            raise ValidationError(f"{data['type']} needs {', '.join(missing)}")
        if data["type"] != "subscriber" and (data.get("sign_in") or data.get("query") or data.get("headers")):
            raise ValidationError("sign_in, query and headers belong to type: subscriber (the billing's "
                                  "per-subscriber sign-in); a static credential goes in the file's headers")


class ErrorRuleSchema(Strict):
    when = Expression(required=True)
    error = fields.String(required=True, validate=validate.OneOf(ERROR_KINDS))
    reason = Expression()
    code = Expression()                            # rejected: a stable code for schema rules


class PaginateSchema(Strict):
    items = Expression(required=True)              # the list in one page's answer
    page_param = fields.String()                   # page numbers ...
    offset_param = fields.String()                 # ... or the number of items to skip ...
    size_param = fields.String()                   # (with either: how many a page holds)
    size = fields.Integer(load_default=50, validate=validate.Range(min=1, max=1000))
    total = Expression()                           # ... until this many items are read
    next = Expression()                            # ... or follow a next-page address
    max_pages = fields.Integer(load_default=100, validate=validate.Range(min=1, max=10000))

    @validates_schema
    def _one_style(self, data, **kwargs):
        styles = [name for name in ("page_param", "offset_param", "next") if name in data]
        if len(styles) != 1:
            raise ValidationError("give one of page_param (numbered pages), offset_param (items skipped) "
                                  "or next (an address of the next page)")
        if "offset_param" in data and "size_param" not in data:
            raise ValidationError("offset_param needs size_param: the parameter saying how many items a page holds")


class RequestSchema(Strict):
    """One HTTP request: an operation's, or one of several (``requests``)."""

    method = fields.String(load_default="GET", validate=validate.OneOf(("GET", "POST", "PUT", "PATCH", "DELETE")))
    path = fields.String(required=True, validate=validate.Regexp(r"^/", error="must start with /"))
    query = fields.Dict(keys=fields.String(), values=Expression(), load_default=dict)
    body = Expression()
    headers = fields.Dict(keys=fields.String(), values=Expression(), load_default=dict)
    idempotent = fields.Boolean()
    paginate = fields.Nested(PaginateSchema)
    timeout = fields.Nested(TimeoutSchema)
    #: in an operation that changes something: this request makes the change (so a lost answer
    #: leaves it unknown). Default: the operation's only request, or the last of several.
    changes = fields.Boolean()


_REQUEST_FIELDS = ("path", "query", "body", "headers", "idempotent", "paginate", "timeout", "changes")
_EMPTY = ("query", "headers")


class SettleSchema(RequestSchema):
    """How to tell whether a change whose answer was lost was made (a status query), for a billing
    that keeps no idempotency keys: ``done`` over the answer; ``result`` maps it to the operation's
    record (without one: ``{ok: true}``). Not made: the change is sent now."""

    done = Expression(required=True)
    result = Steps()


class OperationSchema(RequestSchema):
    """One request (``path`` and the rest here), or several in order (``requests``, by name: each
    sees the call's parameters and the answers of the ones before it; the result sees them all)."""

    path = fields.String(validate=validate.Regexp(r"^/", error="must start with /"))
    requests = fields.Dict(keys=fields.String(validate=validate.Regexp(
        r"^[a-z][a-z0-9_]*$", error="name a request in lower case letters, digits and _")),
        values=fields.Nested(RequestSchema))
    #: values worked out once from the answers, by name, before the result (``answer('name')``):
    #: what several projections of the result need, where JMESPath sees only the current item
    derive = fields.Dict(keys=fields.String(validate=validate.Regexp(
        r"^[a-z][a-z0-9_]*$", error="name a value in lower case letters, digits and _")),
        values=Expression(), load_default=dict)
    result = Steps(required=True)
    errors = fields.List(fields.Nested(ErrorRuleSchema), load_default=list)    # before the file's rules
    settle = fields.Nested(SettleSchema)

    @validates_schema
    def _one_or_several(self, data, **kwargs):
        if "requests" in data:
            # query and headers default to {}: given only when not empty
            mixed = [name for name in _REQUEST_FIELDS if data.get(name) or (name in data and name not in _EMPTY)]
            if mixed:
                raise ValidationError(f"give either requests or one request's {', '.join(mixed)}, not both")
            if not data["requests"]:
                raise ValidationError("requests: name at least one request")
        elif "path" not in data:
            raise ValidationError("give the request's path (or several requests under requests)")


class DeclarationSchema(Strict):
    """An operation the file offers beyond the contract (``declared.py``)."""

    doc = fields.String(load_default="")
    params = fields.Dict(keys=fields.String(validate=_LOWER), values=fields.String(validate=validate.OneOf(
        PARAM_TYPES)), load_default=dict)
    returns = fields.Dict(keys=fields.String(validate=_LOWER), values=fields.String(validate=validate.Regexp(
        r"^(optional )?(str|int|decimal|date|datetime|bool)$", error="a type: str, int, decimal, date, datetime or "
                                                                     "bool, after 'optional ' when it may be missing")))
    many = fields.Boolean(load_default=False)
    mutation = fields.Boolean(load_default=False)

    @validates_schema
    def _complete(self, data, **kwargs):
        if not data.get("returns") and not data["mutation"]:
            raise ValidationError("returns: name the fields of what it answers")
        if data.get("mutation") and data.get("many"):
            raise ValidationError("a change answers one record, not many")


def _operations_field() -> fields.Field:
    # the names are checked against the contract and the file's declare: after loading (_name_problems)
    return fields.Dict(keys=fields.String(validate=_LOWER), values=fields.Nested(OperationSchema), required=True)


def _declare_field() -> fields.Field:
    return fields.Dict(keys=fields.String(validate=_LOWER), values=fields.Nested(DeclarationSchema),
                       load_default=dict)


class OperationsSchema(Strict):
    """A binding file's operations alone (``spec_operations``)."""

    declare = _declare_field()
    operations = _operations_field()


class TimeZone(fields.Field):
    """An IANA time zone name (Europe/Moscow), as a tzinfo."""

    def _deserialize(self, value, attr, data, **kwargs):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        if isinstance(value, str) and value.strip():
            try:
                return ZoneInfo(value.strip())
            except (ZoneInfoNotFoundError, ValueError):
                pass
        raise ValidationError(f"{value!r} is not a time zone; write its IANA name, such as Europe/Moscow")


class SpecSchema(Strict):
    base_url = fields.Url(required=True, require_tld=False, schemes={"http", "https"})
    timezone = TimeZone()          # times the billing writes without a zone are in this one
    auth = fields.Nested(AuthSchema, load_default=lambda: {"type": "none"})
    # defaults go through their schemas too, so every setting has its value
    timeout = fields.Nested(TimeoutSchema, load_default=lambda: TimeoutSchema().load({}))
    retries = fields.Nested(RetriesSchema, load_default=lambda: RetriesSchema().load({}))
    circuit_breaker = fields.Nested(BreakerSchema, load_default=lambda: BreakerSchema().load({}))
    headers = fields.Dict(keys=fields.String(), values=fields.String(), load_default=dict)
    errors = fields.List(fields.Nested(ErrorRuleSchema), load_default=list)
    declare = _declare_field()
    operations = _operations_field()


def load_spec(path: str | os.PathLike, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Read, fill ${NAME} from the environment and check a binding file."""
    path = Path(path)
    environ = dict(os.environ if environ is None else environ)
    raw = _read(path)
    missing: set[str] = set()
    raw = _fill(raw, environ, missing)
    problems = [f"${{{name}}}: set the environment variable {name}" for name in sorted(missing)]
    try:
        spec = SpecSchema().load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        problems += [f"{where}: {message}" for where, message in _flatten(exc.messages)]
        spec = None
        # every problem at once: the names too, though the rest of the file did not load
        if isinstance(raw, dict) and isinstance(raw.get("operations"), dict):
            declared: dict = raw["declare"] if isinstance(raw.get("declare"), dict) else {}
            problems += _name_problems(raw["operations"], {*OPERATIONS, *declared})
    if problems:
        raise SpecError(str(path), problems)
    spec["declared"], problems = operations_from(spec["declare"])
    problems += _path_problems(spec["operations"], {**OPERATIONS, **spec["declared"]})
    if problems:
        raise SpecError(str(path), problems)
    return spec


def spec_operations(path: str | os.PathLike) -> tuple[frozenset[str], dict[str, Operation]]:
    """The operations a binding file binds, and the ones it declares beyond the contract, each
    checked as the binding checks them when it starts, but without its connection settings
    (address, credentials): ``cabinet validate`` runs where the billing's environment is not set.
    Raises ``SpecError`` with every problem."""
    path = Path(path)
    raw = _read(path)
    raw = raw if isinstance(raw, dict) else {}
    try:
        checked = OperationsSchema().load({"operations": raw.get("operations"), "declare": raw.get("declare") or {}})
    except ValidationError as exc:
        raise SpecError(str(path), [f"{where}: {message}" for where, message in _flatten(exc.messages)]) from None
    declared, problems = operations_from(checked["declare"])
    problems += _path_problems(checked["operations"], {**OPERATIONS, **declared})
    if problems:
        raise SpecError(str(path), problems)
    return frozenset(checked["operations"]), declared


def _read(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(str(path), [f"cannot read it: {exc}"]) from None


def _name_problems(operations: Iterable[Any], known: Iterable[str]) -> list[str]:
    """An operation neither the contract nor the file's ``declare:`` has."""
    known = sorted(known)
    problems = []
    for name in operations:
        if name not in known:
            hint = difflib.get_close_matches(str(name), known, n=1)
            problems.append(f"operations.{name}: {name!r} is not an operation of the contract"
                            + (f"; did you mean {hint[0]!r}?" if hint else "")
                            + " (see docs/bindings.md), nor declared under declare:")
    return problems


def _path_problems(operations: dict[str, Any], known: Mapping[str, Operation]) -> list[str]:
    """An operation neither the contract nor the file declares; a ``{name}`` in a request's path
    that is not one of its operation's parameters; a request named like a parameter (its answer
    would hide the parameter)."""
    problems = _name_problems(operations, known)
    for name, operation in operations.items():
        if name not in known:
            continue
        params = {p.name for p in known[name].params}
        if operation.get("settle") and not known[name].mutation:
            problems.append(f"operations.{name}.settle: {name} changes nothing; settle is for changes")
        requests = operation.get("requests") or {"": operation}
        for request_name, request in requests.items():
            place = f"operations.{name}.requests.{request_name}" if request_name else f"operations.{name}"
            if request_name in params or request_name in ("credential", "locale"):
                problems.append(f"{place}: {request_name} is a parameter of {name}: name the request otherwise")
            unknown = set(re.findall(r"\{([a-z_]+)\}", request["path"])) - params
            if unknown:
                problems.append(f"{place}.path: {', '.join(sorted(unknown))} is not a parameter of {name} "
                                f"(it has {', '.join(sorted(params)) or 'none'})")
    return problems


def _fill(value: Any, environ: dict[str, str], missing: set[str]) -> Any:
    if isinstance(value, str):
        def replace(match):
            name = match.group(1)
            if name not in environ:
                missing.add(name)
                return ""
            return environ[name]
        return _ENV.sub(replace, value)
    if isinstance(value, dict):
        return {k: _fill(v, environ, missing) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, environ, missing) for v in value]
    return value


def _flatten(messages: Any, where: str = "") -> list[tuple[str, str]]:
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            name = where if key == "_schema" else (f"{where}.{key}" if where else str(key))
            out += _flatten(value, name)
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        # marshmallow files a mapping's problems under "key" and "value": the place is the entry itself
        return [(_DICT_ENTRY.sub(r"\1", where) or "(file)", m) for m in messages]
    if isinstance(messages, list):
        return [pair for m in messages for pair in _flatten(m, where)]
    return [(where or "(file)", str(messages))]


__all__ = ["load_spec", "spec_operations", "SpecError", "OPTIONS"]
