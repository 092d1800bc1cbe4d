"""A cabinet fits its binding: what needs an operation the binding lacks is hidden (screens whose
data needs it, sections reading optional data it would give, actions running it, and the tabs,
buttons and links leading there), said in one line at start-up, unless marked required."""
from __future__ import annotations

import logging

import pytest

from engine.billing.contract import capabilities_of
from engine.billing.demo import DemoBilling
from engine.schema import SchemaInvalid, YamlSource, load_cabinet
from engine.kinds import field_kind_registry, section_kind_registry
from engine.web.handlers import handler_operations, handler_registry
from tests.conftest import ROOT, demo_copy, page_text, sign_in
from tests.support.bindings import SmallBilling

DEMO = ROOT / "cabinet_schemas" / "demo"
SMALL = "tests.support.bindings:SmallBilling"


def compiled(folder, binding=SmallBilling):
    return load_cabinet(YamlSource(folder), field_kind_registry(), section_kind_registry(),
                        capabilities_of(binding), "the billing binding 'small'",
                        handler_operations(handler_registry()))


def test_what_the_binding_cannot_serve_is_left_out_and_said_once():
    cabinet = compiled(DEMO)
    assert "catalog" not in cabinet.screens and "orders" not in cabinet.screens
    assert {"order", "cancel_order", "transfer", "catalog", "my_orders"}.isdisjoint(cabinet.actions)
    assert "home" in cabinet.screens and "history" in cabinet.screens
    details = cabinet.screens["account_details"]                  # its bonuses are optional data: only they go
    assert "bonuses" not in {s.id for s in details.sections} and details.sections
    assert not {"bonuses", "catalog", "orders", "order", "cancel_order", "transfer"} & cabinet.operations_used
    assert all(not {"catalog", "my_orders"} & set(s.actions) for screen in cabinet.screens.values()
               for s in screen.sections)
    note = cabinet.hidden_note
    assert note.startswith("hidden because the billing binding 'small' does not provide bonuses, cancel_order, "
                           "catalog, order, orders, transfer: screens ")
    assert "catalog" in note and "sections account_details.bonuses" in note and "actions " in note
    assert compiled(DEMO, binding=DemoBilling).hidden_note == ""     # the whole demo binding: nothing hidden


def test_what_is_marked_required_refuses_the_cabinet_instead(tmp_path):
    folder = demo_copy(tmp_path / "demo", {"screens/catalog.yaml": ("parent: home\n", "parent: home\nrequired: true\n")})
    with pytest.raises(SchemaInvalid) as refused:
        compiled(folder)
    [issue] = [i for i in refused.value.issues if "catalog" in str(i)]
    assert issue.location.file.endswith("catalog.yaml") and "marked required: true" in issue.message


def test_the_whole_demo_shows_what_the_small_binding_hides(make_app):
    """What the test below finds missing is there with the demo billing (so its absence means something)."""
    client = make_app().test_client()
    assert sign_in(client).status_code == 302
    assert "Каталог услуг и оборудования" in page_text(client.get("/"))
    assert "Бонус" in page_text(client.get("/account-details")) and client.get("/catalog").status_code == 200


def test_a_binding_lacking_operations_serves_the_demo_with_those_parts_hidden(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="engine.web.app"):
        app = make_app(binding=SMALL)
    assert any("the cabinet is served with parts hidden because" in r.getMessage() for r in caplog.records)
    client = app.test_client()
    assert sign_in(client).status_code == 302
    home = page_text(client.get("/"))
    assert "Баланс" in home and "Каталог услуг и оборудования" not in home        # its button went with it
    assert client.get("/catalog").status_code == 404
    details = client.get("/account-details")
    assert details.status_code == 200 and "Бонус" not in page_text(details)
    assert client.get("/history").status_code == 200
