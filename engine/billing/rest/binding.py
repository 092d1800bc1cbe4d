"""The declarative REST binding: a billing reached over HTTP, described by a YAML file (see
``spec.py`` and docs/bindings.md) instead of Python code.

For each call: the request is built from the file (path, query, headers and body from the
operation's parameters), sent through ``engine.http`` (timeouts; retries for idempotent calls;
the circuit breaker), numbered or linked pages are gathered, error answers become the contract's
typed errors by the file's rules, and the answer is mapped by a JMESPath expression and checked
into the contract's typed records — an answer that does not fit is an unavailable billing.
"""
from __future__ import annotations

import logging
import typing
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Mapping
from urllib.parse import quote

from marshmallow import Schema, fields

from ...http import ApiKeyAuth, BasicAuth, BearerAuth, CircuitBreaker, HttpClient, HttpUnavailable, \
    OAuth2ClientCredentials
from ..contract import OPERATIONS, BillingBinding
from ..errors import BillingNotFound, BillingOutcomeUnknown, BillingRejected, BillingUnavailable, OperationNotSupported
from ..typed import WrongData, build
from .functions import OPTIONS, options_for
from .spec import load_spec

log = logging.getLogger(__name__)


class RestOptions(Schema):
    spec = fields.String(required=True, metadata={"description": "path of the binding's YAML file"})


@lru_cache(maxsize=None)
def result_type(operation: str) -> Any:
    """What an operation returns, from the contract's own annotations."""
    return typing.get_type_hints(getattr(BillingBinding, operation))["return"]


class RestBinding(BillingBinding):
    options_schema = RestOptions
    remote = True

    def __init__(self, spec: str, environ: dict[str, str] | None = None):
        super().__init__(spec=spec)
        self.spec = load_spec(spec, environ)
        self.spec_path = spec
        timeout = self.spec["timeout"]
        retries = self.spec["retries"]
        breaker = self.spec["circuit_breaker"]
        self.breaker = CircuitBreaker(breaker["failures"], breaker["reset_seconds"])
        self.http = HttpClient(self.spec["base_url"], (timeout["connect"], timeout["read"]), retries["attempts"],
                               retries["backoff"], self.breaker, _auth(self.spec["auth"]), self.spec["headers"])

    def __repr__(self) -> str:
        return f"<RestBinding {self.spec_path}>"

    @property
    def capabilities(self) -> frozenset[str]:
        return frozenset(self.spec["operations"])

    def close(self) -> None:
        self.http.close()

    def takes_locale(self, operation: str) -> bool:
        """Every operation of the file may use ``locale`` (``headers: {Accept-Language: locale}``)."""
        return operation in self.capabilities

    # --- one operation ------------------------------------------------------------------------------
    def call(self, operation: str, params: dict[str, Any]) -> Any:
        spec = self.spec["operations"].get(operation)
        if spec is None:
            raise OperationNotSupported(f"the binding file {self.spec_path} has no operation {operation!r}")
        context = {k: _plain(v) for k, v in params.items()}
        path = spec["path"].format_map({k: quote(str(v), safe="") for k, v in context.items()})
        query = {k: v for k, v in ((k, _search(e, context)) for k, e in spec["query"].items()) if v is not None}
        headers = {k: str(v) for k, v in ((k, _search(e, context)) for k, e in spec["headers"].items())
                   if v is not None}
        body = _jsonable(_search(spec["body"], context)) if spec.get("body") is not None else None
        timeout = (spec["timeout"]["connect"], spec["timeout"]["read"]) if spec.get("timeout") else None
        call = dict(headers=headers, json=body, timeout=timeout, idempotent=spec.get("idempotent"))
        # param('name') in a result or an error rule reads this call's parameters
        options = options_for(context)
        call["options"] = options
        if spec.get("paginate"):
            answer = self._pages(operation, spec, path, query, call)
        else:
            answer = self._answer(operation, spec["method"], path, query, call)
        try:
            mapped = answer
            for step in spec["result"]:
                mapped = step.search(mapped, options=options)
        except Exception as exc:            # a JMESPath type error on an answer of the wrong shape
            raise BillingUnavailable(f"{operation}: the billing's answer does not fit the binding: {exc}") from None
        try:
            return build(result_type(operation), mapped, operation, self.spec.get("timezone"))
        except WrongData as exc:
            raise BillingUnavailable(f"the billing's answer does not fit the contract: {exc}") from None

    def _answer(self, operation: str, method: str, path: str, query: Mapping, call: dict) -> Any:
        call = dict(call)
        options = call.pop("options", OPTIONS)
        try:
            response = self.http.send(method, path, params=query, **call)
        except HttpUnavailable as exc:
            if exc.sent and OPERATIONS[operation].mutation:
                # a change that may have been made: the engine asks again with the same key
                raise BillingOutcomeUnknown(f"{operation}: {exc}") from None
            raise BillingUnavailable(f"{operation}: {exc}") from None
        body = None
        if response.content:
            try:
                body = response.json()
            except ValueError:
                if response.status_code < 400:
                    raise BillingUnavailable(f"{operation}: the billing answered something that is not JSON "
                                             f"(HTTP {response.status_code})") from None
        if response.status_code >= 400:
            raise self._error(operation, response.status_code, body, options)
        return body

    def _pages(self, operation: str, spec: Mapping, path: str, query: Mapping, call: dict) -> list:
        paginate = spec["paginate"]
        items: list = []
        if paginate.get("next") is not None:
            target, params = path, dict(query)
            for _ in range(paginate["max_pages"]):
                body = self._answer(operation, spec["method"], target, params, call)
                items += self._page_items(operation, paginate, body)
                following = _search(paginate["next"], body)
                if not following:
                    return items
                target, params = following, {}
            raise BillingUnavailable(f"{operation}: more than {paginate['max_pages']} pages")
        size = paginate["size"]
        for page in range(1, paginate["max_pages"] + 1):
            if paginate.get("offset_param"):     # items skipped: as many as were read so far
                params = {**query, paginate["offset_param"]: len(items)}
            else:
                params = {**query, paginate["page_param"]: page}
            if paginate.get("size_param"):
                params[paginate["size_param"]] = size
            body = self._answer(operation, spec["method"], path, params, call)
            batch = self._page_items(operation, paginate, body)
            items += batch
            total = _search(paginate["total"], body) if paginate.get("total") is not None else None
            if not batch or (isinstance(total, int) and len(items) >= total) or (total is None and len(batch) < size):
                return items
        raise BillingUnavailable(f"{operation}: more than {paginate['max_pages']} pages")

    @staticmethod
    def _page_items(operation: str, paginate: Mapping, body: Any) -> list:
        batch = _search(paginate["items"], body)
        if batch is None:
            return []
        if not isinstance(batch, list):
            raise BillingUnavailable(f"{operation}: a page's items are not a list")
        return batch

    def _error(self, operation: str, status: int, body: Any, options=OPTIONS) -> Exception:
        answer = {"status": status, "body": body}
        for rule in [*self.spec["operations"][operation]["errors"], *self.spec["errors"]]:
            try:
                matched = rule["when"].search(answer, options=options)
            except Exception:                   # noqa: BLE001 — a rule that does not apply to this shape
                matched = False
            if not matched:
                continue
            reason, code = _text(rule.get("reason"), answer, options), _text(rule.get("code"), answer, options)
            if rule["error"] == "not_found":
                return BillingNotFound(f"{operation}: {reason or 'not found'}")
            if rule["error"] == "rejected":
                return BillingRejected(reason or "The billing refused the request.", code or "rejected")
            return BillingUnavailable(f"{operation}: {reason or f'HTTP {status}'}")
        return BillingUnavailable(f"{operation}: the billing answered HTTP {status}")


def _auth(spec: Mapping[str, Any]):
    kind = spec["type"]
    if kind == "bearer":
        return BearerAuth(spec["token"])
    if kind == "basic":
        return BasicAuth(spec["username"], spec["password"])
    if kind == "api_key":
        return ApiKeyAuth(spec["header"], spec["value"])
    if kind == "oauth2_client_credentials":
        return OAuth2ClientCredentials(spec["token_url"], spec["client_id"], spec["client_secret"], spec["scope"])
    return None


def _text(expression, answer: Any, options=OPTIONS) -> str:
    """A rule's reason or code: text, or "" when the answer does not have it."""
    if expression is None:
        return ""
    try:
        return str(expression.search(answer, options=options) or "")
    except Exception:                           # noqa: BLE001 — an answer of another shape
        return ""


def _search(expression, data: Any) -> Any:
    return None if expression is None else expression.search(data, options=OPTIONS)


def _plain(value: Any) -> Any:
    """Parameters as JMESPath sees them: dates as ISO text; amounts stay exact."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _jsonable(value: Any) -> Any:
    from decimal import Decimal
    if isinstance(value, Decimal):
        return str(value)                   # exact, never a float
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
