"""`cabinet serve` as `make demo` runs it: a real waitress process serving the demo cabinet."""
from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from engine.cli import main
from engine.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    port = free_port()
    env = {**os.environ, "CABINET_INSTANCE_DIR": str(tmp_path), "CABINET_COOKIE_SECURE": "false"}
    process = subprocess.Popen([sys.executable, "-m", "engine.cli", "serve", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(base + "/healthz", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"cabinet serve did not start:\n{process.stdout.read()}")
            time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(timeout=10)


def test_demo_serves_and_demo1_signs_in(served):
    session = requests.Session()
    login = session.get(served + "/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text).group(1)
    offer = session.post(served + "/login", data={"username": "demo1", "password": "demo1", "csrf_token": token},
                         timeout=10)
    assert offer.status_code == 200 and "/quick-code/setup" in offer.url      # the quick-login code is offered
    home = session.get(served + "/", timeout=10)
    assert home.status_code == 200
    assert "3\u00a0146,10\u00a0₽" in home.text and "108843" in home.text
    assert session.get(served + "/healthz", timeout=10).json()["status"] == "ok"


def test_bad_settings_are_all_reported_at_once(tmp_path):
    env = {"CABINET_INSTANCE_DIR": str(tmp_path), "CABINET_BILLING_TIMEOUT": "soon", "CABINET_BINDING_OPTIONS": "[1]",
           "CABINET_SCHEMAS": "/nowhere", "CABINET_SECRET_KEY": "short", "CABINET_COLOUR": "blue"}
    with pytest.raises(ConfigError) as caught:
        load_settings(env)
    text = str(caught.value)
    for name in ("BILLING_TIMEOUT", "BINDING_OPTIONS", "SCHEMAS", "SECRET_KEY", "COLOUR"):
        assert f"CABINET_{name}" in text
    assert "at least 32 characters" in text and "no such file or folder: /nowhere" in text


def test_serve_exits_2_with_the_configuration_problem(tmp_path, monkeypatch):
    monkeypatch.setenv("CABINET_INSTANCE_DIR", str(tmp_path))
    monkeypatch.setenv("CABINET_BINDING", "nosuchbilling")
    result = CliRunner().invoke(main, ["serve", "--port", "1"])
    assert result.exit_code == 2
    assert "CABINET_BINDING: no billing binding 'nosuchbilling'; installed: demo" in result.output


def test_secrets_are_masked_in_settings_repr(tmp_path):
    settings = load_settings({"CABINET_INSTANCE_DIR": str(tmp_path), "CABINET_SECRET_KEY": "s" * 40})
    assert "s" * 40 not in repr(settings) and "***" in repr(settings)


def test_edited_schema_is_reloaded_and_a_broken_one_never_replaces_it(make_app, tmp_path):
    import shutil

    from tests.conftest import DEMO_SCHEMAS, page_text, sign_in

    schemas = tmp_path / "schemas"
    shutil.copytree(DEMO_SCHEMAS, schemas)
    app = make_app(schemas=schemas, reload_seconds=0.1)
    client = app.test_client()
    sign_in(client)
    home = schemas / "screens" / "home.yaml"
    original = home.read_text(encoding="utf-8")

    home.write_text(original.replace("Мои услуги", "Подключённые услуги"), encoding="utf-8")
    assert _eventually(lambda: "Подключённые услуги" in page_text(client.get("/")))
    version = client.get("/healthz").get_json()["cabinet_version"]

    home.write_text(original.replace("type: list", "type: lisst"), encoding="utf-8")
    assert _eventually(lambda: client.get("/healthz").get_json()["schema_update_refused"])
    assert "Подключённые услуги" in page_text(client.get("/"))          # the last good cabinet serves
    assert client.get("/healthz").get_json()["cabinet_version"] == version


def _eventually(check, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_folder_being_edited_is_taken_only_once_it_holds_still(make_app, tmp_path):
    import shutil

    from tests.conftest import DEMO_SCHEMAS, page_text, sign_in

    schemas = tmp_path / "schemas"
    shutil.copytree(DEMO_SCHEMAS, schemas)
    app = make_app(schemas=schemas)                      # no watcher thread: the test drives the looks
    rt = app.extensions["cabinet"]
    client = app.test_client()
    sign_in(client)
    home = schemas / "screens" / "home.yaml"
    original = home.read_text(encoding="utf-8")
    # an editor's first write: valid YAML, but only half of what is being written
    home.write_text(original.replace("Мои услуги", "Мои усл"), encoding="utf-8")
    assert rt.reload(settle=True) is False                # seen once: not taken yet
    home.write_text(original.replace("Мои услуги", "Мои подключённые услуги"), encoding="utf-8")
    assert rt.reload(settle=True) is False                # changed since: looked at again later
    assert "Мои усл " not in page_text(client.get("/")) and "Мои услуги" in page_text(client.get("/"))
    assert rt.reload(settle=True) is True                 # the same twice in a row: taken
    assert "Мои подключённые услуги" in page_text(client.get("/"))


def test_a_refusal_is_reported_until_a_good_version_is_back(make_app, tmp_path):
    import shutil

    from tests.conftest import DEMO_SCHEMAS

    schemas = tmp_path / "schemas"
    shutil.copytree(DEMO_SCHEMAS, schemas)
    app = make_app(schemas=schemas)
    rt, client = app.extensions["cabinet"], app.test_client()
    home = schemas / "screens" / "home.yaml"
    original = home.read_text(encoding="utf-8")
    version = client.get("/healthz").get_json()["cabinet_version"]
    home.write_text(original.replace("type: list", "type: lisst"), encoding="utf-8")
    assert rt.reload() is False and client.get("/healthz").get_json()["schema_update_refused"]
    home.write_text(original, encoding="utf-8")                                    # the edit undone
    rt.reload()
    health = client.get("/healthz").get_json()
    assert health["schema_update_refused"] is False and health["cabinet_version"] == version


def test_what_is_compiled_is_what_was_fingerprinted(tmp_path):
    import shutil

    from engine.kinds import field_kind_registry, section_kind_registry
    from engine.schema import YamlSource, load_cabinet
    from engine.web.handlers import handler_operations, handler_registry
    from tests.conftest import DEMO_SCHEMAS

    schemas = tmp_path / "schemas"
    shutil.copytree(DEMO_SCHEMAS, schemas)
    source = YamlSource(schemas)
    fingerprint = source.fingerprint()
    home = schemas / "screens" / "home.yaml"
    home.write_text(home.read_text(encoding="utf-8").replace("type: list", "type: lisst"), encoding="utf-8")
    # a write between the fingerprint and the compile is not mixed in: the next fingerprint sees it
    cabinet = load_cabinet(source, field_kind_registry(), section_kind_registry(),
                           handlers=handler_operations(handler_registry()), version=fingerprint)
    assert cabinet.version == fingerprint and cabinet.screens["home"].sections[1].kind.name == "list"


def test_serving_freezes_what_lives_from_the_start_out_of_the_collectors_sight(monkeypatch):
    import gc

    import waitress

    from engine.web import serving

    served: dict = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **options: served.update(
        app=app, options=options, frozen=gc.get_freeze_count()))
    marker = object()
    try:
        serving.serve(marker, host="127.0.0.1", port=1, threads=2)
    finally:
        gc.unfreeze()         # this test process goes on collecting as before
    assert served["app"] is marker and served["options"] == {"host": "127.0.0.1", "port": 1, "threads": 2}
    assert served["frozen"] > 0
