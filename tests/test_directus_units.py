"""The Directus side's parts that need no Directus: the client's error handling against a fake
server, the document <-> items mapping, proposed changes, preview tokens, call statistics."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.assembly.callstats import CallStats
from engine.directus.client import DirectusAuthError, DirectusClient, DirectusError, DirectusUnavailable
from engine.directus.mapping import document_from_items, from_rows, payloads_from_document, to_rows
from engine.directus.source import apply_change
from engine.schema.migrate import migrate
from engine.schema.resolve import expand_includes
from engine.schema.sources import YamlSource
from engine.web.preview import make_token, token_valid
from tests.conftest import ROOT


class _Fake(BaseHTTPRequestHandler):
    answers: dict = {}

    def do_GET(self):          # noqa: N802 (http.server's naming)
        status, body, delay = self.answers.get(self.path.split("?")[0], (404, {"errors": []}, 0))
        time.sleep(delay)
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except BrokenPipeError:
            pass                   # the client gave up waiting (the timeout test)

    do_POST = do_GET           # noqa: N815 — the fake answers by path whatever the method

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_directus():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fake)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Fake.answers
    server.shutdown()
    _Fake.answers = {}


def test_the_client_reads_data_and_types_its_errors(fake_directus):
    url, answers = fake_directus
    answers.update({
        "/items/news": (200, {"data": [{"id": "a", "text": "the word errors is data, not a failure"}]}, 0),
        "/items/secret": (403, {"errors": [{"message": "You don't have permission", "extensions": {"code": "FORBIDDEN"}}]}, 0),
        "/items/broken": (500, {"errors": [{"message": "boom"}]}, 0),
        "/items/bad": (400, {"errors": [{"message": "Validation failed", "extensions": {"code": "INVALID_PAYLOAD"}}]}, 0),
        "/items/html": (200, b"<html>not json</html>", 0),
        "/items/slow": (200, {"data": []}, 2),
    })
    client = DirectusClient(url, "token-that-is-never-shown", timeout=(1, 0.5))
    assert list(client.items("news"))[0]["text"].startswith("the word errors")
    with pytest.raises(DirectusAuthError) as forbidden:
        client.get("/items/secret")
    assert forbidden.value.code == "FORBIDDEN" and forbidden.value.status == 403
    with pytest.raises(DirectusUnavailable):
        client.get("/items/broken")
    with pytest.raises(DirectusError) as bad:
        client.get("/items/bad")
    assert bad.value.code == "INVALID_PAYLOAD" and "Validation failed" in str(bad.value)
    with pytest.raises(DirectusError, match="not JSON"):
        client.get("/items/html")
    with pytest.raises(DirectusUnavailable, match="did not answer in 0.5 s"):
        client.get("/items/slow")
    with pytest.raises(DirectusUnavailable, match="cannot be reached"):
        DirectusClient("http://127.0.0.1:9").get("/server/ping")
    assert "token-that-is-never-shown" not in repr(client)


def test_translated_texts_become_rows_and_back():
    assert to_rows({"ru": "Баланс", "en": "Balance"}) == [{"locale": "ru", "text": "Баланс"},
                                                          {"locale": "en", "text": "Balance"}]
    assert from_rows(to_rows({"ru": "Баланс", "en": "Balance"})) == {"ru": "Баланс", "en": "Balance"}
    assert from_rows(to_rows("same for all")) == "same for all"
    assert from_rows(None) is None and from_rows([]) is None


def _items_from_plan(plan) -> dict[str, list[dict]]:
    """What Directus would store for an import plan (nested creates flattened, ids assigned)."""
    items = {f"cabinet_{k}": [] for k in ("screens", "sections", "fields", "section_actions", "actions",
                                          "navigation", "settings", "branding", "news", "faq", "pages",
                                          "translations")}
    items["cabinet_screens"] = [dict(s, parent=plan.screen_parents.get(s["id"])) for s in plan.screens]
    items["cabinet_actions"] = plan.actions
    counter = iter(range(1, 10_000))

    def add_section(section, screen=None, parent=None):
        section_id = next(counter)
        row = {k: v for k, v in section.items() if k not in ("fields", "sections", "actions")}
        row.update(id=section_id, screen=screen, parent=parent)
        items["cabinet_sections"].append(row)
        for f in section.get("fields", []):
            items["cabinet_fields"].append({**f, "id": next(counter), "section": section_id})
        for link in section.get("actions", []):
            items["cabinet_section_actions"].append({**link, "id": next(counter), "section_id": section_id})
        for child in section.get("sections", []):
            add_section(child, parent=section_id)
    for section in plan.sections:
        add_section(section, screen=section.get("screen"))
    items["cabinet_navigation"] = [{**n, "id": i} for i, n in enumerate(plan.navigation, 1)]
    items["cabinet_settings"] = [{"id": 1, **plan.settings}]
    items["cabinet_branding"] = [{"id": 1, **plan.branding}]
    items["cabinet_translations"] = [{**t, "id": i} for i, t in enumerate(plan.translations, 1)]
    for suffix, rows in plan.content.items():
        items[f"cabinet_{suffix}"] = rows
    return items


def test_a_yaml_cabinet_survives_the_trip_through_the_directus_model():
    for name in ("demo", "volna"):
        document = migrate(expand_includes(YamlSource(ROOT / "cabinet_schemas" / name)))
        plan = payloads_from_document(document.data, upload=lambda path: "file-" + path.rsplit("/", 1)[-1])
        assert plan.skipped == [], plan.skipped
        back = document_from_items(_items_from_plan(plan), media_url=lambda file_id: f"/media/{file_id[5:]}")
        original = json.loads(json.dumps(document.data, default=str))
        again = json.loads(json.dumps(back.data, default=str))
        for key in ("operator", "actions", "navigation", "translations"):
            assert _flat(again.get(key)) == _flat(original.get(key)), (name, key)
        assert [s["id"] for s in again["screens"]] == [s["id"] for s in original["screens"]]
        for ours, theirs in zip(again["screens"], original["screens"]):
            assert _flat(ours) == _flat(theirs), (name, ours["id"])


def _flat(value):
    """Kind options may be written under `options:` or beside the other keys: the same schema."""
    if isinstance(value, dict):
        merged = {k: v for k, v in value.items() if k != "options"}
        merged.update(value.get("options") or {})
        return {k: _flat(v) for k, v in merged.items() if v not in (None, [], {})}
    if isinstance(value, list):
        return [_flat(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.startswith("/media/"):
        return "/media/" + value.rsplit("/", 1)[-1]
    return value


def test_a_proposed_change_applies_to_the_items_and_their_children():
    items = {"cabinet_screens": [{"id": "home", "title": [{"locale": "*", "text": "Главная"}]}],
             "cabinet_sections": [{"id": 1, "screen": "home", "type": "content"}],
             "cabinet_fields": [{"id": 5, "section": 1, "value": "a"}]}
    changed = apply_change(items, "update", "cabinet_screens", ["home"], {
        "title": [{"locale": "*", "text": "Дом"}],
        "sections": {"create": [{"type": "notice", "fields": [{"value": "b"}]}], "update": [{"id": 1, "type": "list"}],
                     "delete": []}})
    assert changed["cabinet_screens"][0]["title"][0]["text"] == "Дом"
    assert [s["type"] for s in changed["cabinet_sections"]] == ["list", "notice"]
    assert changed["cabinet_sections"][1]["screen"] == "home"
    assert [f["value"] for f in changed["cabinet_fields"]] == ["a", "b"]
    assert items["cabinet_screens"][0]["title"][0]["text"] == "Главная"            # the original is untouched
    removed = apply_change(items, "delete", "cabinet_fields", [5], None)
    assert removed["cabinet_fields"] == []
    created = apply_change(items, "create", "cabinet_screens", [], {"id": "promo", "route": "/promo"})
    assert [s["id"] for s in created["cabinet_screens"]] == ["home", "promo"]


def test_preview_tokens_are_signed_and_expire():
    secret = "a-secret-shared-with-directus-x"
    token = make_token(secret, seconds=60, now=1000)
    assert token_valid(secret, token, now=1001)
    assert not token_valid(secret, token, now=1061)                       # expired
    assert not token_valid("another-secret-entirely-xxxxxxx", token, now=1001)
    assert not token_valid(secret, token.replace("v1.1060", "v1.9999"), now=1001)
    assert not token_valid(secret, make_token(secret, seconds=10 * 24 * 3600, now=1000), now=1001)   # too long
    assert not token_valid(secret, "", now=1001) and not token_valid("", token, now=1001)


def test_call_statistics_tell_ok_degraded_and_down():
    clock = [0.0]
    stats = CallStats(clock=lambda: clock[0])
    assert stats.report()["state"] == "unknown"
    for _ in range(19):
        stats.record("account", True, 0.010)
    stats.record("services", False, 5.0)
    report = stats.report()
    assert report["state"] == "ok" and report["error_rate"] == 0.05 and report["latency_ms"] == 10.0
    stats.record("services", False, 5.0)
    assert stats.report()["state"] == "degraded"
    clock[0] = 1000                                                       # the past is forgotten
    stats.record("services", False, 5.0)
    assert stats.report()["state"] == "down"


def test_the_committed_snapshot_is_the_model_with_the_registries_choices():
    """After adding a kind, an operation, a handler or an icon: `cabinet directus snapshot` (README)."""
    from engine.directus import snapshot
    from engine.directus.model import cabinet_model
    from engine.kinds import field_kind_registry, section_kind_registry
    from engine.web.handlers import handler_registry

    model = cabinet_model(field_kind_registry().names(), section_kind_registry().names(), handler_registry().names())
    committed = snapshot.read()
    assert sorted(c["collection"] for c in committed["collections"]) == sorted(c.name for c in model.collections)
    assert len(committed["collections"]) <= 15                     # the Core plan allows 25: room to spare
    fields = {(f["collection"], f["field"]): f for f in committed["fields"]}
    specs = [(c.name, spec) for c in model.collections for spec in c.fields] + model.aliases
    assert set(fields) == {(name, spec["field"]) for name, spec in specs} | \
        {(c.name, "id") for c in model.collections}
    for name, spec in specs:
        meta = fields[(name, spec["field"])]["meta"]
        assert meta["interface"] == spec["meta"].get("interface"), (name, spec["field"])
        assert (meta["options"] or None) == (spec["meta"].get("options") or None), \
            f"{name}.{spec['field']}: the snapshot is behind the model; run `cabinet directus snapshot`"
        assert meta["note"] or meta["hidden"], f"{name}.{spec['field']} has no note for operators"


def test_provision_refuses_a_directus_of_another_version(fake_directus, tmp_path):
    from engine.directus.provision import ProvisionError, provision
    url, answers = fake_directus
    answers.update({"/auth/login": (200, {"data": {"access_token": "t", "expires": 900000}}, 0),
                    "/server/info": (200, {"data": {"version": "10.13.1"}}, 0)})
    with pytest.raises(ProvisionError, match="version 10.13.1; the cabinet's model is made for Directus 12.4.0"):
        provision(url, "admin@example.org", "x", tmp_path / "engine.env", "http://127.0.0.1:8000", None,
                  progress=lambda line: None)
    assert not (tmp_path / "engine.env").exists()                         # nothing written
