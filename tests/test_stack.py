"""`cabinet stack` (make stack): the whole product on one machine without Docker. It prints every
address, a subscriber signs in through its Keycloak and sees the cabinet Directus holds, and a stop
ends Keycloak and Directus with the engine."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import requests

from tests.conftest import ROOT, csrf_token, html_text, new_postgres_database
from tests.support.keycloak import Browser, form_action
from tests.support.processes import free_port


def _wait_for_line(log_path, pattern: str, process, seconds: float = 600) -> str:
    """The log once it has a line matching ``pattern`` (the first start installs Keycloak and Directus)."""
    deadline = time.monotonic() + seconds
    while True:
        text = log_path.read_text(errors="replace")
        if re.search(pattern, text):
            return text
        assert process.poll() is None, f"cabinet stack stopped:\n{text[-4000:]}"
        assert time.monotonic() < deadline, f"cabinet stack did not get to {pattern!r}:\n{text[-4000:]}"
        time.sleep(0.2)


def test_the_stack_runs_everything_and_stops_everything(tmp_path):
    with new_postgres_database("cabinet_stack") as url:                # the stack finds it there and uses it
        _run_the_stack(tmp_path, url.rsplit("/", 1)[1])


def _run_the_stack(tmp_path, database: str) -> None:
    ports = {name: free_port() for name in ("engine", "directus", "keycloak", "management")}
    log_path = tmp_path / "stack.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "stack", "--port", str(ports["engine"]),
             "--directus-port", str(ports["directus"]), "--keycloak-port", str(ports["keycloak"]),
             "--keycloak-management-port", str(ports["management"]), "--database", database],
            cwd=ROOT, env={**os.environ, "CABINET_INSTANCE_DIR": str(tmp_path)}, stdout=log,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        text = _wait_for_line(log_path, r"Serving on http://127\.0\.0\.1:\d+", process)
        base = f"http://127.0.0.1:{ports['engine']}"
        for address in (base, f"http://127.0.0.1:{ports['directus']}/admin", f"http://127.0.0.1:{ports['keycloak']}",
                        f"127.0.0.1:5432/{database}", "127.0.0.1:6379"):
            assert address in text, f"{address} is not among the printed addresses:\n{text[-2000:]}"

        browser = Browser()
        page = browser.get(f"{base}/login", timeout=30)
        assert page.url.startswith(f"http://127.0.0.1:{ports['keycloak']}/realms/cabinet/")   # Keycloak's page
        offer = browser.post(form_action(page, "kc-form-login"), data={"username": "demo1", "password": "demo1"},
                             timeout=30)
        home = browser.post(f"{base}/quick-code/skip", data={"csrf_token": csrf_token(offer.text), "next": "/"},
                            timeout=30)
        assert home.url == f"{base}/" and "-412,50" in html_text(home.text)
        status = requests.get(f"http://127.0.0.1:{ports['directus']}/server/ping", timeout=10)
        assert status.text.strip() == "pong"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    for port in (ports["engine"], ports["directus"], ports["keycloak"]):
        try:
            requests.get(f"http://127.0.0.1:{port}/", timeout=2)
        except requests.ConnectionError:
            continue
        raise AssertionError(f"something still answers on {port} after the stack stopped")

