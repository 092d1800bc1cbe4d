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
