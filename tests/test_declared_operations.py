"""Operations a binding offers beyond the contract (a Python binding's ``declared``, a binding
file's ``declare:``): typed records, used in schemas like the contract's, checked the same way."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine.billing.contract import OPERATIONS, BillingBinding, Param, declare
from engine.billing.errors import BillingUnavailable
from engine.billing.rest import RestBinding, SpecError, load_spec
from engine.schema import SchemaInvalid

from .conftest import demo_copy, page_text, sign_in
from .test_http import _Server, server  # noqa: F401 — the scripted HTTP server fixture

EQUIPMENT_SCREEN = '''
id: equipment
route: /equipment
title: {ru: Оборудование, en: Equipment}
roles: [subscriber]
parent: home
data:
  devices: {op: equipment}
sections:
  - type: table
    id: devices
    items: devices
    fields:
      - {type: text, key: name, label: {ru: Устройство, en: Device}, value: name}
      - {type: money, key: fee, label: {ru: В месяц, en: Per month}, value: monthly_fee}
      - {type: date, key: since, label: {ru: С, en: Since}, value: since}
'''


def equipment_cabinet(folder):
    cabinet = demo_copy(folder, {"cabinet.yaml": ("  - $include: screens/home.yaml\n",
                                                  "  - $include: screens/home.yaml\n  - $include: screens/equipment.yaml\n")})
    (cabinet / "screens" / "equipment.yaml").write_text(EQUIPMENT_SCREEN, encoding="utf-8")
    return cabinet


def test_a_python_bindings_own_operation_serves_a_screen_and_its_account_is_checked(make_app, tmp_path):
    app = make_app(binding="tests.support.bindings:EquipmentBilling", schemas=equipment_cabinet(tmp_path / "cab"))
    binding = app.extensions["cabinet"].binding
    assert "equipment" in binding.capabilities and binding.operations["equipment"].returns is not None
    client = app.test_client()
    sign_in(client)
    page = page_text(client.get("/equipment?account=108843"))
    assert "Wi-Fi роутер" in page and "150,00" in page and "1 мая 2024" in page and "ТВ-приставка" in page
    assert client.get("/equipment?account=108900").status_code == 404      # the neighbour's account


def test_a_schema_naming_an_operation_nobody_declares_is_refused_with_its_place(make_app, tmp_path):
    with pytest.raises(SchemaInvalid) as refused:
        make_app(schemas=equipment_cabinet(tmp_path / "cab"))            # the demo billing has no equipment
    assert "unknown billing operation 'equipment'" in str(refused.value)


def test_declarations_are_checked():
    with pytest.raises(ValueError, match="the contract already"):
        declare("accounts", returns=list)

    class Forgetful(BillingBinding):
        declared = {"equipment": declare("equipment", Param("account_id"), returns=list)}

    with pytest.raises(TypeError, match="declares equipment without a method"):
        Forgetful().capabilities


SPEC = (
    "base_url: ${URL}\n"
    "declare:\n"
    "  equipment:\n"
    "    doc: Equipment the account rents\n"
    "    params: {account_id: account}\n"
    "    returns: {id: str, name: str, monthly_fee: decimal, since: optional date}\n"
    "    many: true\n"
    "  reboot_router:\n"
    "    params: {account_id: account}\n"
    "    mutation: true\n"
    "operations:\n"
    "  equipment:\n"
    "    path: /devices/{account_id}\n"
    "    result: \"[*].{id: sn, name: model, monthly_fee: decimal(rent), since: leased}\"\n"
    "  reboot_router:\n"
    "    method: POST\n"
    "    path: /devices/{account_id}/reboot\n"
    "    headers: {Idempotency-Key: request_id}\n"
    "    result: \"{ok: done}\"\n")


def test_a_binding_file_declares_operations_with_typed_records(server, tmp_path):  # noqa: F811
    spec = tmp_path / "binding.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    binding = RestBinding(str(spec), {"URL": server})
    assert {"equipment", "reboot_router"} <= binding.capabilities
    reboot = binding.operations["reboot_router"]
    assert reboot.mutation and reboot.param("account_id").owned == "account" and reboot.param("request_id")
    assert "equipment" not in OPERATIONS                       # the contract itself is unchanged
    _Server.script = [(200, [{"sn": "R1", "model": "Keenetic", "rent": "150.5", "leased": "2024-05-01"},
                             {"sn": "S2", "model": "STB", "rent": 99}]),
                      (200, [{"sn": "R1", "model": "Keenetic", "rent": "150", "leased": "soon"}]),
                      (200, {"done": True})]
    devices = binding.call("equipment", {"account_id": "108842"})
    assert [(d.id, d.monthly_fee, d.since) for d in devices] == [("R1", Decimal("150.5"), date(2024, 5, 1)),
                                                                  ("S2", Decimal("99"), None)]
    with pytest.raises(BillingUnavailable, match=r"equipment\[0\]\.since"):
        binding.call("equipment", {"account_id": "108842"})
    assert binding.call("reboot_router", {"account_id": "108842", "request_id": "k1"}).ok
    assert _Server.seen[-1][2]["Idempotency-Key"] == "k1"
    binding.close()


def test_a_binding_file_naming_an_undeclared_operation_or_redeclaring_the_contract_is_refused(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text("base_url: http://127.0.0.1:1\ndeclare:\n  accounts:\n    returns: {id: str}\n"
                    "  gadgets:\n    returns: {id: money}\noperations:\n  equipmnt:\n    path: /x\n    result: '@'\n",
                    encoding="utf-8")
    with pytest.raises(SpecError) as refused:
        load_spec(spec, {})
    problems = "\n".join(refused.value.problems)
    assert "declare.gadgets.returns.id: a type: str, int" in problems
    spec.write_text("base_url: http://127.0.0.1:1\ndeclare:\n  accounts:\n    returns: {id: str}\n"
                    "operations:\n  equipmnt:\n    path: /x\n    result: '@'\n", encoding="utf-8")
    with pytest.raises(SpecError) as refused:
        load_spec(spec, {})
    problems = "\n".join(refused.value.problems)
    assert "declare.accounts: the contract has accounts already" in problems
    assert "operations.equipmnt: 'equipmnt' is not an operation of the contract" in problems
