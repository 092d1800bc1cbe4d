"""Provisioning a Directus 12.4.0 whose database is PostgreSQL, as docker-compose runs it. The
committed snapshot was taken on SQLite and PostgreSQL reads the same columns back in its own words
(`character varying`, `uuid`, `real`, named foreign keys): running provision again must still
change nothing, a real change of the model must still be applied, and the extension check must see
the bundle Directus has loaded. One Directus for the module (it takes seconds to start)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.directus import local, snapshot
from engine.directus.client import DirectusClient
from engine.directus.provision import EXTENSION_SOURCE, Provisioned, provision, with_preview_urls
from tests.conftest import DEMO_SCHEMAS, new_postgres_database
from tests.support.sandbox import free_port

ENGINE_URL = "http://127.0.0.1:9"        # no engine: nothing here saves an item its hooks would check


@dataclass
class Running:
    directus: local.LocalDirectus
    installation: local.Installation
    env_file: Path
    first_run: list[str]

    def provision(self, lines: list[str], extensions: bool = True) -> Provisioned:
        return provision(self.directus.url, self.directus.admin_email, self.directus.admin_password,
                         self.env_file, ENGINE_URL, DEMO_SCHEMAS,
                         self.directus.folder / "extensions" if extensions else None, progress=lines.append)

    def admin(self) -> DirectusClient:
        client = DirectusClient(self.directus.url)
        client.login(self.directus.admin_email, self.directus.admin_password)
        return client


@pytest.fixture(scope="module")
def on_postgres(tmp_path_factory):
    """Directus on its own PostgreSQL database, provisioned once with the demo cabinet; the
    extension is copied in but not loaded (Directus has not been restarted)."""
    if not (EXTENSION_SOURCE / "dist").is_dir():
        pytest.fail(f"the Directus extension is not built ({EXTENSION_SOURCE / 'dist'} is missing): "
                    f"run scripts/build-extension.sh (make test does)")
    try:
        installation = local.install()
    except local.LocalDirectusError as exc:
        pytest.fail(f"Directus 12.4.0 could not be installed for the tests: {exc}")
    folder = tmp_path_factory.mktemp("directus-postgres")
    with new_postgres_database("cabinet_directus_pg") as url:
        # Directus 12 reads DB_CONNECTION_STRING for pg (or DB_HOST, DB_PORT, DB_DATABASE, DB_USER)
        instance = local.prepare(folder / "directus", free_port(), {
            "DB_CLIENT": "pg", "DB_CONNECTION_STRING": url.replace("postgresql+psycopg2://", "postgresql://", 1),
            "PROJECT_OWNER_ENABLED": "false"})
        try:
            local.start(instance, installation)
        except local.LocalDirectusError as exc:
            local.stop(instance)
            pytest.fail(f"Directus on PostgreSQL did not start: {exc}")
        try:
            running = Running(instance, installation, folder / "engine.env", [])
            running.provision(running.first_run)
            yield running
        finally:
            local.stop(instance)


def _meaning(model: dict) -> tuple[dict, dict, dict]:
    """What a snapshot says whatever the database: collections' meta; each field's Directus type,
    meta, nullability, default, keys, indexes and (for a string) length; each relation's target,
    meta and actions. An auto-increment key's schema is left out, as Directus' own diff does."""
    collections = {c["collection"]: c["meta"] for c in model["collections"]}
    fields = {}
    for f in model["fields"]:
        schema = f.get("schema") or {}
        if schema.get("is_primary_key") and schema.get("has_auto_increment"):
            schema = {"is_primary_key": True, "has_auto_increment": True}
        fields[(f["collection"], f["field"])] = (
            f["type"], f["meta"], *(schema.get(k) for k in ("is_nullable", "default_value", "is_primary_key",
                                                            "is_unique", "is_indexed", "has_auto_increment",
                                                            "foreign_key_table", "foreign_key_column")),
            schema.get("max_length") if f["type"] == "string" else None)
    relations = {(r["collection"], r["field"]): (r["related_collection"], r["meta"],
                                                 *((r.get("schema") or {}).get(k) for k in
                                                   ("on_delete", "on_update", "foreign_key_table",
                                                    "foreign_key_column")))
                 for r in model["relations"]}
    return collections, fields, relations


def _assert_model_intact(admin: DirectusClient) -> None:
    current = admin.get("/schema/snapshot")
    assert current["vendor"] == "postgres"
    wanted = _meaning(with_preview_urls(snapshot.read(), ENGINE_URL))
    for part, have, want in zip(("collections", "fields", "relations"), _meaning(current), wanted):
        assert have.keys() == want.keys(), part
        assert [k for k in want if have[k] != want[k]] == [], f"{part} differ from the committed snapshot"


def test_provisioning_again_changes_nothing_and_the_model_is_intact(on_postgres):
    assert "data model: applied the snapshot" in " ".join(on_postgres.first_run)
    assert any("cabinet: imported" in line for line in on_postgres.first_run)
    admin = on_postgres.admin()
    try:
        screens = len(admin.get("/items/cabinet_screens", {"fields": "id", "limit": -1}))
        assert screens > 10
        for _ in range(2):
            lines: list[str] = []
            result = on_postgres.provision(lines)
            assert result.changed == [], lines
            assert "data model: up to date" in lines and "cabinet: has screens already, nothing imported" in lines
        _assert_model_intact(admin)
        assert len(admin.get("/items/cabinet_screens", {"fields": "id", "limit": -1})) == screens
    finally:
        admin.close()


def test_a_real_change_of_the_model_is_still_applied_on_postgresql(on_postgres):
    """What PostgreSQL merely spells differently is no change; a type, a length, a note or a
    relation's action that differs from the snapshot is, and provisioning puts it back."""
    admin = on_postgres.admin()
    try:
        admin.patch("/fields/cabinet_branding/font", {"schema": {"max_length": 128}, "meta": {"note": "drifted"}})
        # a type change that PostgreSQL words only in keys it spells differently (bigint, precision 64)
        admin.patch("/fields/cabinet_branding/radius", {"type": "bigInteger", "schema": {}})
        admin.patch("/relations/cabinet_news/image", {"schema": {"on_delete": "CASCADE"}})
        assert admin.get("/fields/cabinet_branding/radius")["schema"]["data_type"] == "bigint"
        lines: list[str] = []
        assert on_postgres.provision(lines).changed == ["data model"], lines
        font = admin.get("/fields/cabinet_branding/font")
        assert font["schema"]["max_length"] == 255 and font["meta"]["note"] != "drifted"
        radius = admin.get("/fields/cabinet_branding/radius")
        assert radius["type"] == "integer" and radius["schema"]["data_type"] == "integer"
        assert admin.get("/relations/cabinet_news/image")["schema"]["on_delete"] == "SET NULL"
        _assert_model_intact(admin)
        again: list[str] = []
        assert on_postgres.provision(again).changed == [] and "data model: up to date" in again, again
    finally:
        admin.close()


def test_the_extension_check_reports_the_extension_once_directus_has_loaded_it(on_postgres):
    # copied in by the first run, not loaded until Directus restarts
    lines: list[str] = []
    on_postgres.provision(lines, extensions=False)
    assert any(line.startswith("extension: not loaded by Directus yet") for line in lines), lines
    local.stop(on_postgres.directus)
    try:
        local.start(on_postgres.directus, on_postgres.installation)
    except local.LocalDirectusError as exc:
        pytest.fail(f"Directus on PostgreSQL did not start again: {exc}")
    for extensions in (False, True):
        lines = []
        assert on_postgres.provision(lines, extensions=extensions).changed == [], lines
        assert "extension: loaded by Directus" in lines, lines
        assert not any("not loaded" in line for line in lines), lines
