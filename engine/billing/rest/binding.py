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
from types import MappingProxyType
from datetime import date, datetime
from typing import Any, Mapping
from urllib.parse import quote

from jmespath.exceptions import JMESPathError
from marshmallow import Schema, fields

from ...http import ApiKeyAuth, BasicAuth, BearerAuth, CircuitBreaker, HttpClient, HttpUnavailable, \
    OAuth2ClientCredentials
from ..contract import OPERATIONS, BillingBinding, Operation
from ..credential import Credential
from ..errors import (
    BillingNotFound, BillingOutcomeUnknown, BillingRejected, BillingSessionExpired, BillingUnavailable,
    OperationNotSupported,
)
from ..records import SignedIn
from ..typed import WrongData, build
from .functions import OPTIONS, options_for
from .spec import load_spec

log = logging.getLogger(__name__)


class RestOptions(Schema):
    spec = fields.String(required=True, metadata={"description": "path of the binding's YAML file"})


class RestBinding(BillingBinding):
    options_schema = RestOptions
    remote = True

    def __init__(self, spec: str, environ: dict[str, str] | None = None):
        super().__init__(spec=spec)
        self.spec = load_spec(spec, environ)
        self.spec_path = spec
        self._operations: Mapping[str, Operation] = MappingProxyType({**OPERATIONS, **self.spec["declared"]})
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

    @property
    def operations(self) -> Mapping[str, Operation]:
        """The contract's operations and the ones the file declares (``declare:``)."""
        return self._operations

    def close(self) -> None:
        self.http.close()

    def takes_locale(self, operation: str) -> bool:
        """Every operation of the file may use ``locale`` (``headers: {Accept-Language: locale}``)."""
        return operation in self.capabilities

    # --- subscribers who sign in to the billing (auth: {type: subscriber}) ----------------------------
    @property
    def signs_in(self) -> bool:
        return self.spec["auth"]["type"] == "subscriber"

    @property
    def per_subscriber(self) -> bool:
        return self.signs_in

    def takes_credential(self, operation: str) -> bool:
        return self.signs_in and operation in self.capabilities

    def sign_in(self, login: str, password: str) -> SignedIn:
        if not self.signs_in:
            raise OperationNotSupported(f"the binding file {self.spec_path} has no auth: {{type: subscriber}}")
        spec = self.spec["auth"]["sign_in"]
        context = {"login": login, "password": password}
        options = options_for(context, None, self.spec.get("timezone"))
        method = spec["method"]
        try:
            response = self.http.send(method, spec["path"], params=self._query(spec, context),
                                      headers=self._headers(spec, context), json=self._body(spec, context),
                                      idempotent=method == "GET")
        except HttpUnavailable as exc:
            raise BillingUnavailable(f"sign-in: {exc}") from None
        body = _json_or_none(response)
        if _matches(spec["refused"], {"status": response.status_code, "body": body}, options):
            raise BillingRejected("Wrong login or password.", "wrong_credentials")
        if response.status_code >= 400:
            raise BillingUnavailable(f"sign-in: the billing answered HTTP {response.status_code}")
        try:
            who = body
            for step in spec["result"]:
                who = step.search(who, options=options)
            kept = spec["keep"].search(body, options=options)
        except Exception as exc:            # a JMESPath type error on an answer of the wrong shape
            raise BillingUnavailable(f"sign-in: the billing's answer does not fit the binding: {exc}") from None
        if not isinstance(who, dict) or not who.get("subscriber_id") or not isinstance(kept, dict):
            raise BillingUnavailable("sign-in: the answer names no subscriber_id, or keep is not an object")
        credential = {str(k): "" if v is None else str(v) for k, v in kept.items()}
        if spec["relogin"]:
            credential.update({"login": login, "password": password})
        return SignedIn(subscriber_id=str(who["subscriber_id"]), credential=credential,
                        name=str(who.get("name") or ""))

    def renew(self, credential: Credential) -> Mapping[str, str]:
        """Sign in again with the kept login and password (``relogin: true``); without them the
        subscriber signs in again."""
        if self.signs_in and self.spec["auth"]["sign_in"]["relogin"] and "password" in credential:
            return self.sign_in(credential["login"], credential["password"]).credential
        raise BillingSessionExpired("the billing ended the subscriber's session")

    def settle(self, operation: str, params: dict[str, Any]) -> Any:
        """A lost change's fate by the file's status query (``settle:``): made, its result; not
        made, made now. Without one, the change is sent again with its key (the contract's way)."""
        spec = self.spec["operations"].get(operation)
        query = spec.get("settle") if spec else None
        if query is None:
            return self.call(operation, params)
        context = {k: _plain(v) for k, v in params.items()}
        answers: dict[str, Any] = {}
        options = options_for(context, answers, self.spec.get("timezone"))
        answer = self._request(operation, query, context, options, False)
        try:
            if not query["done"].search(answer, options=options):
                return self.call(operation, params)      # it never reached the billing: it may be made now
            mapped: Any = answer
            for step in query.get("result") or ():
                mapped = step.search(mapped, options=options)
            if not query.get("result"):
                mapped = {"ok": True}           # made, and the status query says nothing more
        except JMESPathError as exc:            # an answer of the wrong shape
            raise BillingUnavailable(f"{operation}: the status answer does not fit the binding: {exc}") from None
        return self._record(operation, mapped)

    # --- one operation ------------------------------------------------------------------------------
    def call(self, operation: str, params: dict[str, Any]) -> Any:
        spec = self.spec["operations"].get(operation)
        if spec is None:
            raise OperationNotSupported(f"the binding file {self.spec_path} has no operation {operation!r}")
        context = {k: _plain(v) for k, v in params.items()}
        # param('name') in a result or an error rule reads this call's parameters, answer('name') a request's
        answers: dict[str, Any] = {}
        options = options_for(context, answers, self.spec.get("timezone"))
        answer: Any
        mutation = self.operations[operation].mutation
        if spec.get("requests"):
            # in order; each sees the parameters and the answers before it, the result sees them all
            last = list(spec["requests"])[-1]
            for name, request in spec["requests"].items():
                changes = mutation and request.get("changes", name == last)
                answers[name] = self._request(operation, request, {**context, **answers}, options, changes)
            answer = answers
        else:
            answer = self._request(operation, spec, context, options, mutation)
        try:
            for name, expression in spec["derive"].items():       # over the answer (by name, with several)
                answers[name] = expression.search(answer, options=options)
            mapped = answer
            for step in spec["result"]:
                mapped = step.search(mapped, options=options)
        except Exception as exc:            # a JMESPath type error on an answer of the wrong shape
            raise BillingUnavailable(f"{operation}: the billing's answer does not fit the binding: {exc}") from None
        return self._record(operation, mapped)

    def _record(self, operation: str, mapped: Any) -> Any:
        """The mapped answer checked into the operation's record (one that does not fit is an
        unavailable billing, with the place)."""
        try:
            return build(self.result_type(operation), mapped, operation, self.spec.get("timezone"))
        except WrongData as exc:
            raise BillingUnavailable(f"the billing's answer does not fit the contract: {exc}") from None

    def _request(self, operation: str, spec: Mapping, context: dict[str, Any], options, changes: bool) -> Any:
        """One request of an operation (its pages gathered), answered as JSON. ``changes``: it
        makes the operation's change, so an answer lost after sending leaves the change unknown."""
        path = spec["path"].format_map({k: quote(str(v), safe="") for k, v in context.items()
                                        if not isinstance(v, (dict, list))})
        query = self._query(spec, context)
        headers = self._headers(spec, context)
        if "credential" in context:         # the subscriber's kept values, on every request
            auth = self.spec["auth"]
            query = {**self._query(auth, context), **query}
            headers = {**self._headers(auth, context), **headers}
        timeout = (spec["timeout"]["connect"], spec["timeout"]["read"]) if spec.get("timeout") else None
        call = dict(headers=headers, json=self._body(spec, context), timeout=timeout,
                    idempotent=spec.get("idempotent"), options=options, changes=changes)
        if spec.get("paginate"):
            return self._pages(operation, spec, path, query, call)
        return self._answer(operation, spec["method"], path, query, call)

    @staticmethod
    def _query(spec: Mapping, context: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in ((k, _search(e, context)) for k, e in spec["query"].items()) if v is not None}

    @staticmethod
    def _headers(spec: Mapping, context: dict[str, Any]) -> dict[str, str]:
        return {k: str(v) for k, v in ((k, _search(e, context)) for k, e in spec["headers"].items()) if v is not None}

    @staticmethod
    def _body(spec: Mapping, context: dict[str, Any]) -> Any:
        return _jsonable(_search(spec["body"], context)) if spec.get("body") is not None else None

    def _answer(self, operation: str, method: str, path: str, query: Mapping, call: dict) -> Any:
        call = dict(call)
        options = call.pop("options", OPTIONS)
        changes = call.pop("changes", False)
        try:
            response = self.http.send(method, path, params=query, **call)
        except HttpUnavailable as exc:
            if exc.sent and changes:
                # a change that may have been made: the engine asks again with the same key
                raise BillingOutcomeUnknown(f"{operation}: {exc}") from None
            raise BillingUnavailable(f"{operation}: {exc}") from None
        body = _json_or_none(response)
        if body is None and response.content and response.status_code < 400:
            raise BillingUnavailable(f"{operation}: the billing answered something that is not JSON "
                                     f"(HTTP {response.status_code})")
        answer = {"status": response.status_code, "body": body}
        if self.signs_in and _matches(self.spec["auth"]["expired"], answer, options):
            raise BillingSessionExpired(f"{operation}: the billing no longer takes the subscriber's session")
        error = self._error(operation, answer, options)
        if error is not None:
            raise error
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

    def _error(self, operation: str, answer: dict, options=OPTIONS) -> Exception | None:
        """The contract's error for an answer, by the first rule that matches it (an operation's
        own before the file's). Rules see every answer, successes too: some billings refuse with
        HTTP 200 (Ubilling: ``{"result": "Failure"}``). Without a match, an HTTP error is an
        unavailable billing and anything else is the answer."""
        status = answer["status"]
        for rule in [*self.spec["operations"][operation]["errors"], *self.spec["errors"]]:
            if not _matches(rule["when"], answer, options):
                continue
            reason, code = _text(rule.get("reason"), answer, options), _text(rule.get("code"), answer, options)
            if rule["error"] == "not_found":
                return BillingNotFound(f"{operation}: {reason or 'not found'}")
            if rule["error"] == "rejected":
                return BillingRejected(reason or "The billing refused the request.", code or "rejected")
            return BillingUnavailable(f"{operation}: {reason or f'HTTP {status}'}")
        if status >= 400:
            return BillingUnavailable(f"{operation}: the billing answered HTTP {status}")
        return None


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


def _matches(expression, answer: Any, options=OPTIONS) -> bool:
    try:
        return bool(expression.search(answer, options=options))
    except Exception:                           # noqa: BLE001 — a rule that does not apply to this shape
        return False


def _json_or_none(response) -> Any:
    """The answer's JSON, or None (no body, or not JSON: Ubilling's 401 is plain text)."""
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
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
    """Parameters as JMESPath sees them: dates as ISO text; amounts stay exact; a subscriber's
    credential as an object (``credential.session``)."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Credential):
        return dict(value)
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
