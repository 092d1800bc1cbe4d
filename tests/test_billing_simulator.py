"""The billing simulator as a real separate process (``python -m engine.billing.simulator``): its
own API shape over the demo billing's state and rules, its error format, idempotency, fault
injection, and an OpenAPI document that describes every endpoint and every answer.

Every JSON answer a test receives is checked against the response schema ``openapi.yaml`` gives
for its path, method and status. ``test_every_contract_operation_round_trips`` decodes the answers
into contract records, as a binding would, and compares them with the demo billing's own records.
"""
from __future__ import annotations

import dataclasses
import re
import select
import socket
import time
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from engine.billing.contract import OPERATIONS
from engine.billing.demo import DemoBilling
from engine.billing.records import (
    Account, ActionResult, BlockTerms, BonusBalance, BonusProgramme, BonusReward, CatalogItem, DealerOrderStats, DealerSubscriber,
    HistoryEntry, OperationKind, Order, OrderStatus, PackageBalance, PaymentPage, PaymentReceipt, PlannedChange,
    PromisedPaymentTerms, RecommendedPayment, Requisites, Service, ServiceStatus, Suspension, Tariff, TariffOffer,
    TransferReceipt, Usage, UsageRecord,
)
from engine.billing.simulator import create_simulator_app
from tests.support.simulator import simulator_process

API_KEY = f"simulator-test-{uuid.uuid4().hex}"
TODAY = date(2025, 3, 14)
OPENAPI = yaml.safe_load((Path(__file__).resolve().parent.parent / "engine" / "billing" / "simulator"
                          / "openapi.yaml").read_text(encoding="utf-8"))
V2 = "/api/v2"

# Where each contract operation is served (what a binding would say)
ENDPOINTS = {
    "accounts": ("GET", "/api/v2/customers/{customerId}/contracts"),
    "account": ("GET", "/api/v2/contracts/{contractNo}"),
    "services": ("GET", "/api/v2/contracts/{contractNo}/products"),
    "service": ("GET", "/api/v2/products/{productId}"),
    "tariffs": ("GET", "/api/v2/products/{productId}/plans"),
    "change_tariff": ("POST", "/api/v2/products/{productId}/plan-changes"),
    "disconnect_service": ("POST", "/api/v2/products/{productId}/termination"),
    "block_terms": ("GET", "/api/v2/contracts/{contractNo}/pause"),
    "block_services": ("POST", "/api/v2/contracts/{contractNo}/pause"),
    "schedule_block": ("POST", "/api/v2/contracts/{contractNo}/pause-schedule"),
    "unblock_services": ("DELETE", "/api/v2/contracts/{contractNo}/pause"),
    "history": ("GET", "/api/v2/contracts/{contractNo}/ledger"),
    "usage": ("GET", "/api/v2/contracts/{contractNo}/usage"),     # with .../bundles for its packages
    "promised_payment_terms": ("GET", "/api/v2/contracts/{contractNo}/trust-credit"),
    "activate_promised_payment": ("POST", "/api/v2/contracts/{contractNo}/trust-credit"),
    "catalog": ("GET", "/api/v2/offers"),
    "order": ("POST", "/api/v2/contracts/{contractNo}/orders"),
    "orders": ("GET", "/api/v2/contracts/{contractNo}/orders"),
    "cancel_order": ("POST", "/api/v2/contracts/{contractNo}/orders/{orderId}/cancellation"),
    "register_payment": ("PUT", "/api/v2/contracts/{contractNo}/payments/{paymentRef}"),
    "requisites": ("GET", "/api/v2/contracts/{contractNo}/payer"),
    "update_requisites": ("PUT", "/api/v2/contracts/{contractNo}/payer"),
    "transfer": ("POST", "/api/v2/contracts/{contractNo}/transfers"),
    "top_up_service": ("POST", "/api/v2/contracts/{contractNo}/products/{productId}/wallet-top-ups"),
    "bonuses": ("GET", "/api/v2/contracts/{contractNo}/loyalty"),
    "bonus_programmes": ("GET", "/api/v2/contracts/{contractNo}/loyalty/programmes"),
    "join_bonus_programme": ("POST", "/api/v2/contracts/{contractNo}/loyalty/membership"),
    "spend_bonus_points": ("POST", "/api/v2/contracts/{contractNo}/loyalty/redemptions"),
    "payment_pages": ("GET", "/api/v2/contracts/{contractNo}/payment-pages"),
    "dealer_subscribers": ("GET", "/api/v2/partners/{partnerId}/clients"),
    "dealer_orders": ("GET", "/api/v2/partners/{partnerId}/order-stats"),
}


# --- a tiny checker of answers against openapi.yaml -------------------------------------------------
def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        node: Any = OPENAPI
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _property_names(schema: dict) -> set[str] | None:
    """Names an object may carry, or None when the schema leaves them open."""
    schema = _resolve(schema)
    parts = [_resolve(part) for part in schema.get("allOf", [])] + [schema]
    if not any("properties" in part for part in parts):
        return None
    return {name for part in parts for name in part.get("properties", {})}


_TYPES = {"string": str, "boolean": bool, "object": dict, "array": list, "null": type(None)}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def conformity(value: Any, schema: dict, where: str = "$", whole: bool = True) -> list[str]:
    """What in ``value`` disagrees with ``schema`` (the subset of JSON Schema openapi.yaml uses);
    ``whole`` is False for a part of an allOf, which does not name every property by itself."""
    schema = _resolve(schema)
    problems: list[str] = []
    for part in schema.get("allOf", []):
        problems += conformity(value, part, where, whole=False)
    if "anyOf" in schema and all(conformity(value, part, where) for part in schema["anyOf"]):
        problems.append(f"{where}: matches none of anyOf: {value!r}")
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, kind) for kind in kinds):
            return problems + [f"{where}: {value!r} is not {schema['type']}"]
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        try:
            if schema.get("format") == "date":
                date.fromisoformat(value)
            elif schema.get("format") == "date-time":
                assert datetime.fromisoformat(value).tzinfo is not None
        except (ValueError, AssertionError):
            problems.append(f"{where}: {value!r} is not a {schema['format']}")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        parts = [_resolve(part) for part in schema.get("allOf", [])] + [schema]
        for part in parts:
            problems += [f"{where}: no {name!r}" for name in part.get("required", []) if name not in value]
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                problems += conformity(value[name], sub, f"{where}.{name}")
        known = _property_names(schema) if whole else None
        if known is not None:
            problems += [f"{where}: undocumented {name!r}" for name in value if name not in known]
    if isinstance(value, list) and "items" in schema:
        for n, item in enumerate(value):
            problems += conformity(item, schema["items"], f"{where}[{n}]")
    return problems


def _template_of(path: str) -> str:
    for template in OPENAPI["paths"]:
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path):
            return template
    raise AssertionError(f"{path} is not described in openapi.yaml")


def check_answer(method: str, path: str, response: requests.Response) -> None:
    """The answer has a documented status, and its JSON body the documented shape."""
    operation = OPENAPI["paths"][_template_of(path)][method.lower()]
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, f"{method} {path} answered an undocumented {response.status_code}"
    content = _resolve(documented).get("content", {})
    if "application/json" in content:
        problems = conformity(response.json(), content["application/json"]["schema"])
        assert not problems, f"{method} {path} {response.status_code}: " + "; ".join(problems)


class Api:
    """A client of the simulator that checks every answer against openapi.yaml."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def call(self, method: str, path: str, *, key: str | None = API_KEY, idempotency: str | None = None,
             json: Any = None, params: dict | None = None, check: bool = True) -> requests.Response:
        headers = {}
        if key is not None:
            headers["X-Api-Key"] = key
        if idempotency is not None:
            headers["Idempotency-Key"] = idempotency
        response = self.session.request(method, self.base + path, headers=headers, json=json, params=params,
                                        timeout=10)
        if check:
            check_answer(method, path, response)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        response = self.call("GET", path, **kwargs)
        assert response.status_code == 200, response.text
        return response.json()

    def all_items(self, path: str, **params: Any) -> list[dict]:
        """Every item of a paginated list, page after page at the default page size."""
        items, page = [], 1
        while True:
            answer = self.get(path, params={**params, "page": page})
            assert answer["page"] == page and answer["perPage"] == 4
            items += answer["items"]
            if page * answer["perPage"] >= answer["total"]:
                assert len(items) == answer["total"]
                return items
            page += 1

    def fault(self, **spec: Any) -> dict:
        response = self.call("POST", "/__faults", json=spec)
        assert response.status_code == 201, response.text
        return response.json()


# --- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("simulator")


@pytest.fixture(scope="module")
def base(folder):
    """Base URL of a billing simulator running as its own process, its date pinned to TODAY."""
    with simulator_process(folder, API_KEY, "--today", TODAY.isoformat()) as url:
        yield url


@pytest.fixture(scope="module")
def reference(folder, base):
    """The demo billing on the simulator's own database: what the answers must say."""
    billing = DemoBilling(f"sqlite:///{(folder / 'simulator.sqlite').resolve()}", today=TODAY, payment_site=base)
    yield billing
    billing.close()


@pytest.fixture
def api(base):
    client = Api(base)
    yield client
    cleared = requests.delete(base + "/__faults", headers={"X-Api-Key": API_KEY}, timeout=10)
    assert cleared.status_code == 200
    client.session.close()


def key() -> str:
    return f"test-{uuid.uuid4().hex}"


# --- the service ------------------------------------------------------------------------------------
def test_health_and_openapi_need_no_key(api):
    assert api.get("/healthz", key=None) == {"status": "ok"}
    response = api.call("GET", "/openapi.yaml", key=None)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("application/yaml")
    assert yaml.safe_load(response.text) == OPENAPI


@pytest.mark.parametrize("case", ["missing", "wrong", "longer", "empty"])
def test_api_and_faults_refuse_a_missing_or_wrong_key(api, case):
    given = {"missing": None, "wrong": "wrong-key", "longer": API_KEY + "x", "empty": ""}[case]
    for method, path in (("GET", f"{V2}/contracts/108842"), ("GET", f"{V2}/offers"), ("GET", "/__faults"),
                         ("POST", "/__faults"), ("DELETE", "/__faults")):
        response = api.call(method, path, key=given, json={"match": "x", "mode": "slow"})
        assert response.status_code == 401, (method, path)
        assert response.json()["fault"]["code"] == "UNAUTHORIZED"


def test_served_routes_are_exactly_the_documented_ones(tmp_path):
    app = create_simulator_app(f"sqlite:///{tmp_path / 'routes.sqlite'}", "k", today=TODAY)
    served = set()
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        served |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(method.upper(), path) for path, item in OPENAPI["paths"].items()
                  for method in item if method in {"get", "post", "put", "delete", "patch"}}
    assert served == documented
    assert OPENAPI["openapi"].startswith("3.1")
    for path, item in OPENAPI["paths"].items():       # every path parameter is declared
        for method, operation in item.items():
            parameters = [_resolve(p) for p in operation.get("parameters", [])]
            declared = {p["name"] for p in parameters if p["in"] == "path"}
            assert declared == set(re.findall(r"\{([^}]+)\}", path)), (method, path)


def test_every_contract_operation_has_a_documented_endpoint():
    assert set(ENDPOINTS) == set(OPERATIONS)
    for operation, (method, path) in ENDPOINTS.items():
        assert method.lower() in OPENAPI["paths"][path], operation
        documented = OPENAPI["paths"][path][method.lower()]
        if OPERATIONS[operation].mutation and operation != "register_payment":
            names = {_resolve(p)["name"] for p in documented["parameters"]}
            assert "Idempotency-Key" in names, operation


# --- shapes -----------------------------------------------------------------------------------------
def test_contract_carries_money_in_kopecks_and_nested_owner(api):
    contract = api.get(f"{V2}/contracts/108842")
    assert contract["contractNo"] == "108842" and contract["owner"] == {"name": "Иван Иванов"}
    assert contract["saldoKop"] == -41250 and contract["invoice"]["toPayKop"] == 314610
    assert contract["invoice"]["payBy"] == "2025-03-18" and contract["state"] == "OPEN"
    offers = api.all_items(f"{V2}/offers")
    assert {offer["offerId"]: offer["priceKop"] for offer in offers}["wifi-router"] == 349000


def test_lists_are_paginated(api):
    entries = api.all_items(f"{V2}/contracts/108842/ledger", **{"from": "2024-01-01", "to": "2025-12-31"})
    assert len(entries) > 3 * 4 and len({entry["entryId"] for entry in entries}) == len(entries)
    whole = api.get(f"{V2}/contracts/108842/ledger", params={"from": "2024-01-01", "to": "2025-12-31",
                                                             "perPage": 50})
    assert whole["items"] == entries and whole["total"] == len(entries)
    instants = [datetime.fromisoformat(entry["postedAt"]) for entry in entries]
    assert instants == sorted(instants, reverse=True)

    first = api.get(f"{V2}/partners/dealer-2001/clients")
    assert (first["page"], first["perPage"], first["total"], len(first["items"])) == (1, 4, 11, 4)
    last = api.get(f"{V2}/partners/dealer-2001/clients", params={"page": 3})
    assert len(last["items"]) == 3
    assert api.get(f"{V2}/partners/dealer-2001/clients", params={"page": 4})["items"] == []
    assert len(api.all_items(f"{V2}/contracts/108842/products")) == 5        # two pages
    for bad in ({"perPage": 0}, {"perPage": 51}, {"page": 0}, {"page": "two"}):
        response = api.call("GET", f"{V2}/offers", params=bad)
        assert response.status_code == 400 and response.json()["fault"]["code"] == "BAD_REQUEST"


def test_resources_are_nested(api):
    assert api.get(f"{V2}/customers/by-login/demo1") == {"customerId": "sub-1001", "login": "demo1"}
    contracts = api.all_items(f"{V2}/customers/sub-1001/contracts")
    assert [c["contractNo"] for c in contracts] == ["108842", "108843"]
    products = {p["productId"]: p for p in api.all_items(f"{V2}/contracts/108842/products")}
    assert products["108842-phone"]["state"] == "LOCKED"
    assert products["108842-phone"]["lock"]["reasonCode"] == "debt"
    assert products["108842-tv"]["state"] == "PAUSED" and products["108842-tv"]["pausedUntil"]
    internet = products["108842-internet"]
    assert internet["plan"]["planId"] == "inet-100" and internet["plan"]["feeKop"] == 55000
    assert internet["terminationOn"] is None and products["108842-tv"]["terminationOn"] == "2025-04-01"
    assert internet["walletKop"] is None and api.get(f"{V2}/products/108843-video")["walletKop"] == 15000
    assert internet["scheduled"][0]["action"] == "PLAN_CHANGE"
    assert internet["scheduled"][0]["plan"]["planId"] == "inet-300"
    plans = api.all_items(f"{V2}/products/108842-internet/plans")
    assert [(p["plan"]["planId"], p["isCurrent"]) for p in plans] == [
        ("inet-100", True), ("inet-300", False), ("inet-500", False)]
    orders = api.all_items(f"{V2}/contracts/108842/orders")
    assert {o["orderId"] for o in orders} == {"ORD-5F3A21C0", "ORD-8B02E417"}
    assert all(o["contractNo"] == "108842" and o["offer"]["offerId"] for o in orders)


# --- errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("path, params, code", [
    (f"{V2}/contracts/999999", {}, "CONTRACT_NOT_FOUND"),
    (f"{V2}/contracts/999999/ledger", {"from": "2025-01-01", "to": "2025-01-31"}, "CONTRACT_NOT_FOUND"),
    (f"{V2}/contracts/999999/usage", {"from": "2025-01-01", "to": "2025-01-31"}, "CONTRACT_NOT_FOUND"),
    (f"{V2}/contracts/999999/bundles", {}, "CONTRACT_NOT_FOUND"),
    (f"{V2}/products/no-such-product", {}, "PRODUCT_NOT_FOUND"),
    (f"{V2}/customers/sub-0000/contracts", {}, "CUSTOMER_NOT_FOUND"),
    (f"{V2}/customers/by-login/nobody", {}, "CUSTOMER_NOT_FOUND"),
    (f"{V2}/partners/dealer-0000/order-stats", {}, "PARTNER_NOT_FOUND"),
])
def test_not_found_in_own_format(api, path, params, code):
    response = api.call("GET", path, params=params)
    assert response.status_code == 404
    assert response.json()["fault"]["code"] == code and response.json()["fault"]["message"]


def test_unknown_endpoint_and_method(api):
    response = api.session.get(api.base + f"{V2}/nothing", headers={"X-Api-Key": API_KEY}, timeout=10)
    assert response.status_code == 404 and response.json()["fault"]["code"] == "NOT_FOUND"
    response = api.session.patch(api.base + f"{V2}/offers", headers={"X-Api-Key": API_KEY}, timeout=10)
    assert response.status_code == 405 and response.json()["fault"]["code"] == "METHOD_NOT_ALLOWED"


def test_refusals_carry_the_subscriber_facing_reason(api):
    response = api.call("POST", f"{V2}/contracts/108842/pause", idempotency=key(), json={"days": 30})
    assert response.status_code == 409
    assert response.json()["fault"] == {"code": "ALREADY_BLOCKED",
                                        "message": "Услуги уже заблокированы. Сначала разблокируйте их"}
    response = api.call("POST", f"{V2}/contracts/108843/pause", idempotency=key(), json={"days": 3})
    assert response.status_code == 422
    assert response.json()["fault"] == {"code": "BLOCK_DAYS_OUT_OF_RANGE",
                                        "message": "Услуги можно заблокировать на срок от 7 до 90 дней"}
    response = api.call("POST", f"{V2}/contracts/108843/pause-schedule", idempotency=key(),
                        json={"startsOn": "2025-03-14", "endsOn": "2025-03-30"})       # today: too early
    assert response.status_code == 422 and response.json()["fault"]["code"] == "BLOCK_START_TOO_EARLY"
    assert response.json()["fault"]["message"].startswith("Запланировать блокировку можно с 15.03.2025")
    response = api.call("POST", f"{V2}/contracts/108843/pause-schedule", idempotency=key(),
                        json={"startsOn": "2025-03-20", "endsOn": "2025-03-19"})
    assert response.status_code == 422 and response.json()["fault"]["code"] == "INVALID_PERIOD"
    response = api.call("POST", f"{V2}/contracts/108842/pause-schedule", idempotency=key(),
                        json={"startsOn": "2025-03-20", "endsOn": "2025-03-30"})
    assert response.status_code == 409 and response.json()["fault"]["code"] == "ALREADY_BLOCKED"
    response = api.call("POST", f"{V2}/contracts/108842/transfers", idempotency=key(),
                        json={"targetContractNo": "108843", "amountKop": 100})
    assert response.status_code == 409 and response.json()["fault"]["code"] == "INSUFFICIENT_FUNDS"
    assert response.json()["fault"]["message"].startswith("Недостаточно средств на лицевом счёте 108842")
    response = api.call("POST", f"{V2}/contracts/108843/loyalty/redemptions", idempotency=key(),
                        json={"perkId": "payments-discount-100"})
    assert response.status_code == 409 and response.json()["fault"]["code"] == "INSUFFICIENT_POINTS"
    assert response.json()["fault"]["message"].startswith("Недостаточно баллов")
    response = api.call("POST", f"{V2}/contracts/108843/products/108843-internet/wallet-top-ups", idempotency=key(),
                        json={"amountKop": 100})
    assert response.status_code == 409 and response.json()["fault"]["code"] == "NO_SERVICE_BALANCE"
    response = api.call("POST", f"{V2}/contracts/108843/products/108843-video/wallet-top-ups", idempotency=key(),
                        json={"amountKop": 124001})
    assert response.status_code == 409 and response.json()["fault"]["code"] == "INSUFFICIENT_FUNDS"
    response = api.call("POST", f"{V2}/contracts/108842/products/108843-video/wallet-top-ups", idempotency=key(),
                        json={"amountKop": 100})
    assert response.status_code == 404 and response.json()["fault"]["code"] == "PRODUCT_NOT_FOUND"
    response = api.call("POST", f"{V2}/contracts/108843/loyalty/membership", idempotency=key(),
                        json={"programmeId": "payments"})
    assert response.status_code == 409 and response.json()["fault"]["code"] == "ALREADY_JOINED"
    response = api.call("POST", f"{V2}/contracts/108843/loyalty/membership", idempotency=key(),
                        json={"programmeId": "no-such-programme"})
    assert response.status_code == 404 and response.json()["fault"]["code"] == "PROGRAMME_NOT_FOUND"
    response = api.call("PUT", f"{V2}/contracts/108843/payments/{key()}", json={"amountKop": 0})
    assert response.status_code == 422
    assert response.json()["fault"] == {"code": "INVALID_AMOUNT", "message": "Сумма должна быть больше нуля"}
    response = api.call("POST", f"{V2}/products/108842-phone/plan-changes", idempotency=key(),
                        json={"planId": "phone-unlimited"})
    assert response.status_code == 409 and response.json()["fault"]["code"] == "TARIFF_CHANGE_NOT_ALLOWED"
    response = api.call("POST", f"{V2}/products/108843-internet/termination", idempotency=key())
    assert response.status_code == 409 and response.json()["fault"]["code"] == "MAIN_SERVICE"
    assert response.json()["fault"]["message"].startswith("«Интернет на даче» — основная услуга лицевого счёта")
    response = api.call("POST", f"{V2}/products/108842-antivirus/termination", idempotency=key())
    assert response.status_code == 409 and response.json()["fault"] == {
        "code": "SERVICE_CLOSED", "message": "Услуга «Антивирус» уже отключена"}
    # the ownership of an order is checked within its contract
    response = api.call("POST", f"{V2}/contracts/108842/orders/ORD-3C9D7A56/cancellation", idempotency=key())
    assert response.status_code == 404 and response.json()["fault"]["code"] == "ORDER_NOT_FOUND"


def test_malformed_requests(api):
    response = api.call("POST", f"{V2}/contracts/108843/orders", json={"offerId": "tv-box"})
    assert response.status_code == 400 and response.json()["fault"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"
    for body in ({}, {"days": "30"}, {"days": True}, {"days": 30, "extra": 1}):
        response = api.call("POST", f"{V2}/contracts/108843/pause", idempotency=key(), json=body)
        assert response.status_code == 400 and response.json()["fault"]["code"] == "BAD_REQUEST", body
    for body in ({"startsOn": "2025-03-20"}, {"startsOn": "20.03.2025", "endsOn": "2025-03-30"}):
        response = api.call("POST", f"{V2}/contracts/108843/pause-schedule", idempotency=key(), json=body)
        assert response.status_code == 400 and response.json()["fault"]["code"] == "BAD_REQUEST", body
    response = api.call("PUT", f"{V2}/contracts/108843/payments/{key()}", json={"amountKop": "500"})
    assert response.status_code == 400 and "amountKop" in response.json()["fault"]["fields"]
    response = api.call("GET", f"{V2}/contracts/108842/ledger", params={"from": "2025-01-01"})
    assert response.status_code == 400 and "to" in response.json()["fault"]["fields"]
    response = api.call("GET", f"{V2}/contracts/108842/ledger",
                        params={"from": "2025-02-01", "to": "2025-01-01"})
    assert response.status_code == 422 and response.json()["fault"]["code"] == "INVALID_PERIOD"
    response = api.call("GET", f"{V2}/contracts/108842/usage", params={"from": "2025-02-01", "to": "2025-01-01"})
    assert response.status_code == 422 and response.json()["fault"]["code"] == "INVALID_PERIOD"
    response = api.call("GET", f"{V2}/contracts/108842/usage", params={"to": "2025-01-01"})
    assert response.status_code == 400 and "from" in response.json()["fault"]["fields"]
    response = api.call("POST", f"{V2}/products/108842-tv/termination")
    assert response.status_code == 400 and response.json()["fault"]["code"] == "IDEMPOTENCY_KEY_REQUIRED"


# --- idempotency ------------------------------------------------------------------------------------
def test_a_repeated_idempotency_key_repeats_no_effect(api):
    orders_before = api.get(f"{V2}/contracts/108843/orders")["total"]
    order_key = key()
    first = api.call("POST", f"{V2}/contracts/108843/orders", idempotency=order_key,
                     json={"offerId": "parental-control"})
    again = api.call("POST", f"{V2}/contracts/108843/orders", idempotency=order_key,
                     json={"offerId": "parental-control"})
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.json()["state"] == "REGISTERED"
    assert api.get(f"{V2}/contracts/108843/orders")["total"] == orders_before + 1
    # a new key is a new request: the business rule refuses a second order of the same service
    other = api.call("POST", f"{V2}/contracts/108843/orders", idempotency=key(),
                     json={"offerId": "parental-control"})
    assert other.status_code == 409 and other.json()["fault"]["code"] == "ALREADY_ORDERED"

    order_id, cancel_key = first.json()["orderId"], key()
    path = f"{V2}/contracts/108843/orders/{order_id}/cancellation"
    cancelled = api.call("POST", path, idempotency=cancel_key)
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "CANCELLED"
    assert api.call("POST", path, idempotency=cancel_key).json() == cancelled.json()
    refused = api.call("POST", path, idempotency=key())
    assert refused.status_code == 409 and refused.json()["fault"]["code"] == "ORDER_NOT_CANCELLABLE"


def test_a_product_is_terminated_once_per_key(api):
    assert api.get(f"{V2}/products/108842-phone")["terminationOn"] == "2025-04-01"    # what it would be
    termination = key()
    first = api.call("POST", f"{V2}/products/108842-phone/termination", idempotency=termination)
    again = api.call("POST", f"{V2}/products/108842-phone/termination", idempotency=termination)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert first.json()["accepted"] and first.json()["effectiveOn"] == "2025-04-01"
    product = api.get(f"{V2}/products/108842-phone")
    assert product["state"] == "LOCKED"                                  # it works as before until then
    assert [(s["action"], s["startsOn"]) for s in product["scheduled"]] == [("TERMINATE", "2025-04-01")]
    assert product["terminationOn"] is None                             # asked for already
    other = api.call("POST", f"{V2}/products/108842-phone/termination", idempotency=key())
    assert other.status_code == 409 and other.json()["fault"]["code"] == "ALREADY_DISCONNECTING"


def test_usage_in_its_own_shape(api):
    events = api.all_items(f"{V2}/contracts/108842/usage", **{"from": "2025-03-01", "to": "2025-03-13"})
    assert {e["type"] for e in events} == {"INTERNET", "VOICE"} and {e["volumeUnit"] for e in events} == {
        "GIGABYTE", "MINUTE"}
    starts = [datetime.fromisoformat(e["startedAt"]) for e in events]
    assert starts == sorted(starts, reverse=True) and starts[0].date() == date(2025, 3, 13)
    assert starts[-1].date() == date(2025, 3, 1)                          # both ends of the period
    assert all(isinstance(e["chargeKop"], int) and Decimal(e["volume"]) > 0 for e in events)
    [bundle] = api.all_items(f"{V2}/contracts/108843/bundles")
    assert (bundle["productId"], bundle["volumeUnit"], bundle["includedVolume"]) == ("108843-internet", "GIGABYTE",
                                                                                      "100")
    assert Decimal(bundle["remainingVolume"]) < 100 and bundle["validThrough"] == "2025-03-31"
    assert api.all_items(f"{V2}/contracts/108900/bundles") == []


def test_a_payment_is_booked_once_per_reference(api):
    saldo = api.get(f"{V2}/contracts/108843")["saldoKop"]
    ref = key()
    first = api.call("PUT", f"{V2}/contracts/108843/payments/{ref}", json={"amountKop": 12345})
    again = api.call("PUT", f"{V2}/contracts/108843/payments/{ref}", json={"amountKop": 12345})
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert first.json()["paymentRef"] == ref and first.json()["amountKop"] == 12345
    assert api.get(f"{V2}/contracts/108843")["saldoKop"] == saldo + 12345


# --- every operation, decoded as a binding would ----------------------------------------------------
ACCOUNT_STATES = {"OPEN": "active", "LOCKED": "suspended", "TERMINATED": "closed"}
PRODUCT_STATES = {"IN_SERVICE": "active", "PAUSED": "blocked", "LOCKED": "suspended", "WAITING": "pending",
                  "TERMINATED": "closed"}
ACTIONS = {"PLAN_CHANGE": "tariff_change", "PAUSE": "block", "RESUME": "unblock", "TERMINATE": "close"}
PERIODS = {"DAILY": "day", "WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}
LEDGER_TYPES = {"CHG": "charge", "PAY": "payment", "RFD": "refund", "TRF": "transfer", "BNS": "bonus"}
GROUPS = {"SERVICE": "service", "DEVICE": "equipment"}
ORDER_STATES = {"REGISTERED": "new", "IN_WORK": "in_progress", "COMPLETED": "done", "CANCELLED": "cancelled"}
DETAILS = {"pausedUntil": "blocked_until", "productIds": "services"}
USAGE_TYPES = {"VOICE": "call", "SMS": "sms", "MOBILE_DATA": "data", "INTERNET": "traffic"}
UNITS = {"MINUTE": "min", "MESSAGE": "sms", "MEGABYTE": "MB", "GIGABYTE": "GB"}


def rub(kopecks: int) -> Decimal:
    return Decimal(kopecks) / 100


def day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def as_account(c: dict) -> Account:
    invoice = c["invoice"]
    return Account(c["contractNo"], c["displayNo"], c["owner"]["name"], c["currencyCode"], rub(c["saldoKop"]),
                   ACCOUNT_STATES[c["state"]],
                   invoice and RecommendedPayment(rub(invoice["toPayKop"]), day(invoice["payBy"])),
                   c["serviceAddress"])


def as_tariff(p: dict) -> Tariff:
    return Tariff(p["planId"], p["planName"], rub(p["feeKop"]), PERIODS[p["chargePeriod"]], p["summary"],
                  p["speedMbps"])


def as_service(p: dict) -> Service:
    lock = p["lock"]
    return Service(
        p["productId"], p["contractNo"], p["title"], p["productType"],
        ServiceStatus(PRODUCT_STATES[p["state"]]), as_tariff(p["plan"]), p["siteAddress"], p["note"],
        lock and Suspension(lock["reasonCode"], day(lock["since"]), lock["comment"]), day(p["pausedUntil"]),
        tuple(PlannedChange(ACTIONS[s["action"]], day(s["startsOn"]), s["plan"] and as_tariff(s["plan"]),
                            s["note"])
              for s in p["scheduled"]),
        p["planChangeAllowed"], day(p["terminationOn"]),
        None if p["walletKop"] is None else rub(p["walletKop"]))


def as_block_terms(pause: dict) -> BlockTerms:
    window, schedule = pause["scheduleWindow"], pause["schedule"] or {}
    return BlockTerms(pause["minDays"], pause["maxDays"], rub(pause["feePerDayKop"]), pause["paused"],
                      day(pause["pausedUntil"]), pause["rules"], day(window["firstStart"]), day(window["lastStart"]),
                      day(schedule.get("startsOn")), day(schedule.get("endsOn")))


def as_result(o: dict) -> ActionResult:
    return ActionResult(o["accepted"], o["notice"], o["ticket"], day(o["effectiveOn"]),
                        {DETAILS[name]: value for name, value in o["details"].items()})


def as_usage(events: list[dict], bundles: list[dict]) -> Usage:
    return Usage(
        tuple(UsageRecord(e["eventId"], datetime.fromisoformat(e["startedAt"]), e["productId"], USAGE_TYPES[e["type"]],
                          e["memo"], Decimal(e["volume"]), UNITS[e["volumeUnit"]], rub(e["chargeKop"]))
              for e in events),
        tuple(PackageBalance(b["productId"], b["bundleName"], UNITS[b["volumeUnit"]], Decimal(b["includedVolume"]),
                             Decimal(b["remainingVolume"]), day(b["validThrough"]))
              for b in bundles))


def as_item(o: dict) -> CatalogItem:
    return CatalogItem(o["offerId"], o["label"], GROUPS[o["group"]], rub(o["priceKop"]), o["blurb"],
                       o["imageUrl"], o["recurring"])


def as_order(o: dict) -> Order:
    return Order(o["orderId"], o["contractNo"], as_item(o["offer"]), OrderStatus(ORDER_STATES[o["state"]]),
                 datetime.fromisoformat(o["placedAt"]))


def as_requisites(p: dict) -> Requisites:
    return Requisites(p["contractNo"], p["fullName"], p["contacts"]["email"], p["contacts"]["phone"],
                      p["mailingAddress"], p["taxId"])


def as_programme(o: dict) -> BonusProgramme:
    return BonusProgramme(o["programmeId"], o["title"], o["terms"], o["member"], Decimal(o["points"]),
                          tuple(BonusReward(r["perkId"], r["title"], Decimal(r["pricePoints"]), r["summary"])
                                for r in o["perks"]))


def test_every_contract_operation_round_trips(api, reference, base):
    done: set[str] = set()

    def same(operation: str, decoded: Any, expected: Any) -> None:
        assert decoded == expected, operation
        done.add(operation)

    ok = {"POST": (200, 201), "PUT": (200,), "DELETE": (200,)}

    def change(method: str, path: str, request_id: str, body: Any = None) -> dict:
        response = api.call(method, path, idempotency=request_id, json=body)
        assert response.status_code in ok[method], response.text
        return response.json()

    customer = api.get(f"{V2}/customers/by-login/demo1")["customerId"]
    assert customer == reference.resolve_subscriber("demo1")
    same("accounts", [as_account(c) for c in api.all_items(f"{V2}/customers/{customer}/contracts")],
         list(reference.accounts(customer)))
    for contract in ("108842", "108843", "108900"):
        same("account", as_account(api.get(f"{V2}/contracts/{contract}")), reference.account(contract))
        products = [as_service(p) for p in api.all_items(f"{V2}/contracts/{contract}/products")]
        same("services", products, list(reference.services(contract)))
        for service in products:
            same("service", as_service(api.get(f"{V2}/products/{service.id}")), reference.service(service.id))
            same("tariffs", [TariffOffer(as_tariff(o["plan"]), o["isCurrent"], rub(o["switchFeeKop"]),
                                         day(o["effectiveOn"]))
                             for o in api.all_items(f"{V2}/products/{service.id}/plans")],
                 list(reference.tariffs(service.id)))
        same("block_terms", as_block_terms(api.get(f"{V2}/contracts/{contract}/pause")),
             reference.block_terms(contract))
        entries = api.all_items(f"{V2}/contracts/{contract}/ledger",
                                **{"from": "2024-12-01", "to": TODAY.isoformat()})
        same("history", [HistoryEntry(e["entryId"], datetime.fromisoformat(e["postedAt"]),
                                      OperationKind(LEDGER_TYPES[e["type"]]), rub(e["amountKop"]), e["memo"],
                                      e["productId"]) for e in entries],
             list(reference.history(contract, date(2024, 12, 1), TODAY)))
        same("usage", as_usage(api.all_items(f"{V2}/contracts/{contract}/usage",
                                             **{"from": "2024-12-01", "to": TODAY.isoformat()}),
                               api.all_items(f"{V2}/contracts/{contract}/bundles")),
             reference.usage(contract, date(2024, 12, 1), TODAY))
        credit = api.get(f"{V2}/contracts/{contract}/trust-credit")
        same("promised_payment_terms",
             PromisedPaymentTerms(rub(credit["creditKop"]), credit["repayWithinDays"], credit["cooldownDays"],
                                  credit["available"], day(credit["repayBy"]), credit["refusal"],
                                  day(credit["availableFrom"]), credit["running"]),
             reference.promised_payment_terms(contract))
        same("orders", [as_order(o) for o in api.all_items(f"{V2}/contracts/{contract}/orders")],
             list(reference.orders(contract)))
        same("requisites", as_requisites(api.get(f"{V2}/contracts/{contract}/payer")),
             reference.requisites(contract))
        pages = api.get(f"{V2}/contracts/{contract}/payment-pages")["items"]
        same("payment_pages", [PaymentPage(p["title"], p["href"], p["note"]) for p in pages],
             list(reference.payment_pages(contract)))
        assert pages and pages[0]["href"] == f"{base}/pay/{contract}"
        bonus = api.get(f"{V2}/contracts/{contract}/loyalty")
        same("bonuses", BonusBalance(bonus["contractNo"], Decimal(bonus["points"]), bonus["programme"],
                                     day(bonus["expiresOn"])), reference.bonuses(contract))
        same("bonus_programmes",
             [as_programme(o) for o in api.all_items(f"{V2}/contracts/{contract}/loyalty/programmes")],
             list(reference.bonus_programmes(contract)))
    same("catalog", [as_item(o) for o in api.all_items(f"{V2}/offers")], list(reference.catalog()))
    same("dealer_subscribers",
         [DealerSubscriber(c["clientId"], c["fullName"], c["contractRef"], c["statusText"], c["phone"],
                           rub(c["saldoKop"]), day(c["since"]))
          for c in api.all_items(f"{V2}/partners/dealer-2001/clients")],
         list(reference.dealer_subscribers("dealer-2001")))
    stats = api.get(f"{V2}/partners/dealer-2001/order-stats")
    same("dealer_orders",
         DealerOrderStats(stats["ordersTotal"], stats["ordersCompleted"], stats["ordersOpen"]),
         reference.dealer_orders("dealer-2001"))

    # mutations: the demo billing, asked again with the same key, answers with the stored first result
    k = key()
    same("change_tariff", as_result(change("POST", f"{V2}/products/108843-internet/plan-changes", k,
                                           {"planId": "inet-500"})),
         reference.change_tariff("108843-internet", "inet-500", k))
    k = key()
    same("disconnect_service", as_result(change("POST", f"{V2}/products/108843-video/termination", k)),
         reference.disconnect_service("108843-video", k))
    k = key()
    paused = as_result(change("POST", f"{V2}/contracts/108900/pause", k, {"days": 7}))
    assert paused.extra == {"blocked_until": "2025-03-21", "services": ["108900-internet"]}
    same("block_services", paused, reference.block_services("108900", 7, k))
    k = key()
    same("unblock_services", as_result(change("DELETE", f"{V2}/contracts/108900/pause", k)),
         reference.unblock_services("108900", k))
    k = key()
    period = {"startsOn": "2025-03-24", "endsOn": "2025-04-06"}
    scheduled = as_result(change("POST", f"{V2}/contracts/108900/pause-schedule", k, period))
    assert scheduled.effective_date == date(2025, 3, 24)
    same("schedule_block", scheduled, reference.schedule_block("108900", date(2025, 3, 24), date(2025, 4, 6), k))
    pause = api.get(f"{V2}/contracts/108900/pause")
    assert pause["schedule"] == period and not pause["paused"]
    (product,) = api.all_items(f"{V2}/contracts/108900/products")
    assert product["state"] == "IN_SERVICE" and [(s["action"], s["startsOn"]) for s in product["scheduled"]] == [
        ("PAUSE", "2025-03-24")]
    change("DELETE", f"{V2}/contracts/108900/pause", key())          # cancels it before it starts
    assert api.get(f"{V2}/contracts/108900/pause")["schedule"] is None
    k = key()
    same("activate_promised_payment", as_result(change("POST", f"{V2}/contracts/108900/trust-credit", k)),
         reference.activate_promised_payment("108900", k))
    k = key()
    placed = as_order(change("POST", f"{V2}/contracts/108900/orders", k, {"offerId": "antivirus"}))
    same("order", placed, reference.order("108900", "antivirus", k))
    k = key()
    cancelled = change("POST", f"{V2}/contracts/108900/orders/{placed.id}/cancellation", k)
    same("cancel_order", as_order(cancelled), reference.cancel_order("108900", placed.id, k))
    k = key()
    receipt = change("PUT", f"{V2}/contracts/108900/payments/{k}", None, {"amountKop": 49990})
    same("register_payment",
         PaymentReceipt(receipt["paymentRef"], receipt["contractNo"], rub(receipt["amountKop"]),
                        datetime.fromisoformat(receipt["bookedAt"]), receipt["receiptNo"]),
         reference.register_payment("108900", Decimal("499.90"), k))
    k = key()
    payer = {"fullName": "Сидоров Пётр", "mailingAddress": "125009, Москва",
             "contacts": {"email": "petr@example.ru", "phone": "+7 (916) 000-00-00"}}
    updated = as_requisites(change("PUT", f"{V2}/contracts/108900/payer", k, payer))
    stored = reference.update_requisites("108900", "Сидоров Пётр", k, email="petr@example.ru",
                                         phone="+7 (916) 000-00-00", postal_address="125009, Москва")
    # the demo billing returns inn=None for a payer it has just created; the simulator sends "" (the
    # record's default), as the demo billing does for that payer from then on
    assert stored.inn is None and reference.requisites("108900").inn == ""
    same("update_requisites", updated, dataclasses.replace(stored, inn=""))
    k = key()
    joined = as_result(change("POST", f"{V2}/contracts/108900/loyalty/membership", k, {"programmeId": "tenure"}))
    same("join_bonus_programme", joined, reference.join_bonus_programme("108900", "tenure", k))
    members = [o["programmeId"] for o in api.all_items(f"{V2}/contracts/108900/loyalty/programmes") if o["member"]]
    assert members == ["tenure"]
    k = key()
    redeemed = as_result(change("POST", f"{V2}/contracts/108842/loyalty/redemptions", k,
                                {"perkId": "payments-tv-month"}))
    same("spend_bonus_points", redeemed, reference.spend_bonus_points("108842", "payments-tv-month", k))
    assert api.get(f"{V2}/contracts/108842/loyalty")["points"] == "250"
    k = key()
    moved = change("POST", f"{V2}/contracts/108843/transfers", k,
                   {"targetContractNo": "108842", "amountKop": 1050})
    same("transfer", TransferReceipt(moved["transferId"], moved["sourceContractNo"],
                                     moved["targetContractNo"],
                                     rub(moved["amountKop"]), datetime.fromisoformat(moved["executedAt"])),
         reference.transfer("108843", "108842", Decimal("10.50"), k))
    k = key()
    topped_up = as_result(change("POST", f"{V2}/contracts/108843/products/108843-video/wallet-top-ups", k,
                                 {"amountKop": 2500}))
    same("top_up_service", topped_up, reference.top_up_service("108843", "108843-video", Decimal("25.00"), k))
    assert api.get(f"{V2}/products/108843-video")["walletKop"] == 17500
    assert done == set(OPERATIONS)


# --- fault injection --------------------------------------------------------------------------------
def _get(base: str, path: str, timeout: float = 10) -> requests.Response:
    return requests.get(base + path, headers={"X-Api-Key": API_KEY}, timeout=timeout)


def test_fault_slow(api):
    api.fault(match=r"^GET /api/v2/offers$", mode="slow", seconds=1.0, times=1)
    started = time.monotonic()
    response = _get(api.base, f"{V2}/offers")
    # a lower bound only: the fault's own wait, which no noise can shorten
    assert time.monotonic() - started >= 1.0 and response.status_code == 200 and response.json()["total"] == 5
    assert api.get("/__faults") == {"items": []}                 # used up: the next request is not delayed
    assert _get(api.base, f"{V2}/offers").status_code == 200


def test_fault_status500_skips_the_request_and_counts_times(api):
    before = api.get(f"{V2}/contracts/108842/orders")["total"]
    api.fault(match="/orders$", mode="status500", times=2)
    for _ in range(2):
        response = api.call("POST", f"{V2}/contracts/108842/orders", idempotency=key(),
                            json={"offerId": "tv-box"}, check=False)
        assert response.status_code == 500 and response.json()["fault"]["code"] == "INJECTED_FAULT"
    assert api.get("/__faults") == {"items": []}                 # used up
    assert api.get(f"{V2}/contracts/108842/orders")["total"] == before


def test_fault_until_cleared(api):
    fault = api.fault(match="contracts/108842$", mode="status500", times=None)
    for _ in range(3):
        assert _get(api.base, f"{V2}/contracts/108842").status_code == 500
    assert _get(api.base, f"{V2}/contracts/108843").status_code == 200
    assert api.get("/__faults")["items"] == [{**fault, "hits": 3}]
    assert api.call("DELETE", "/__faults").json() == {"cleared": 1}
    assert _get(api.base, f"{V2}/contracts/108842").status_code == 200


def test_fault_malformed_json(api):
    api.fault(match="^GET /api/v2/contracts/108842$", mode="malformed_json", times=1)
    response = _get(api.base, f"{V2}/contracts/108842")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/json"
    with pytest.raises(ValueError):
        response.json()
    normal = _get(api.base, f"{V2}/contracts/108842").content
    assert response.content and len(response.content) < len(normal) and normal.startswith(response.content)


def test_fault_wrong_types(api):
    api.fault(match="^GET /api/v2/contracts/108842$", mode="wrong_types", times=1)
    swapped = _get(api.base, f"{V2}/contracts/108842").json()
    normal = _get(api.base, f"{V2}/contracts/108842").json()
    assert swapped["saldoKop"] == str(normal["saldoKop"]) and swapped["contractNo"] == 108842
    assert swapped["invoice"]["toPayKop"] == str(normal["invoice"]["toPayKop"])
    assert swapped["owner"] == normal["owner"] and swapped["state"] == "OPEN"


def _faults_left(api) -> list[dict]:
    return api.get("/__faults")["items"]


def _until(ready, what: str, seconds: float = 30) -> None:
    """Wait for an event the test cannot be told of directly (generous: machines are shared)."""
    deadline = time.monotonic() + seconds
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {seconds} s")
        time.sleep(0.02)


def _hung_request(api, path: str) -> socket.socket:
    """A raw GET the test can watch without a thread: the simulator holds it, or answers, or drops it."""
    host, port = api.base.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=10)
    connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-Api-Key: {API_KEY}\r\n"
                       f"Connection: close\r\n\r\n".encode())
    return connection


def test_fault_hang_holds_one_request_only(api):
    # held far longer than the test runs: while the test looks, the hung request cannot have ended
    api.fault(match="^GET /api/v2/contracts/108842$", mode="hang", seconds=120, times=1)
    with _hung_request(api, f"{V2}/contracts/108842") as held:
        _until(lambda: _faults_left(api) == [], "the hung request reaching the simulator")
        assert _get(api.base, f"{V2}/contracts/108843").status_code == 200     # served meanwhile
        readable, _, _ = select.select([held], [], [], 0)
        assert not readable                                                  # still held: no answer, no drop
    api.fault(match="^GET /api/v2/contracts/108842$", mode="hang", seconds=1.5, times=1)
    started = time.monotonic()
    with pytest.raises(requests.ConnectionError) as dropped:                 # then dropped without an answer
        _get(api.base, f"{V2}/contracts/108842")
    assert not isinstance(dropped.value, requests.Timeout)
    assert time.monotonic() - started >= 1.5                 # a lower bound: held that long first
    api.fault(match="^GET /api/v2/contracts/108842$", mode="hang", seconds=3, times=1)
    with pytest.raises(requests.ReadTimeout):                            # a client's own timeout fires first
        _get(api.base, f"{V2}/contracts/108842", timeout=0.5)


def test_fault_close_connection(api):
    api.fault(match="^GET /api/v2/offers$", mode="close_connection", times=1)
    with pytest.raises(requests.ConnectionError) as dropped:
        _get(api.base, f"{V2}/offers")
    # dropped, not held: a held connection would end in the client's ReadTimeout instead
    assert not isinstance(dropped.value, requests.Timeout)
    assert api.get("/__faults") == {"items": []}                 # used up by that one request
    assert _get(api.base, f"{V2}/offers").status_code == 200


def test_fault_executed_then_dropped_is_safe_to_retry(api):
    """With execute the payment is booked and only the answer is lost; the retry books nothing more."""
    saldo = api.get(f"{V2}/contracts/108842")["saldoKop"]
    ref = key()
    api.fault(match="/payments/", mode="close_connection", times=1, execute=True)
    with pytest.raises(requests.ConnectionError):
        requests.put(f"{api.base}{V2}/contracts/108842/payments/{ref}", json={"amountKop": 700},
                     headers={"X-Api-Key": API_KEY}, timeout=10)
    assert api.get(f"{V2}/contracts/108842")["saldoKop"] == saldo + 700
    retry = api.call("PUT", f"{V2}/contracts/108842/payments/{ref}", json={"amountKop": 700})
    assert retry.status_code == 200 and retry.json()["paymentRef"] == ref
    assert api.get(f"{V2}/contracts/108842")["saldoKop"] == saldo + 700


@pytest.mark.parametrize("spec", [
    {"match": "(", "mode": "slow"},
    {"match": "x", "mode": "explode"},
    {"match": "x", "mode": "slow", "times": 0},
    {"match": "x", "mode": "hang", "seconds": 301},
    {"mode": "slow"},
])
def test_invalid_faults_are_refused(api, spec):
    response = api.call("POST", "/__faults", json=spec)
    assert response.status_code == 400 and response.json()["fault"]["code"] == "BAD_REQUEST"
