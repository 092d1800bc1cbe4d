"""The billing simulator as its own process, for tests."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.support.sandbox import free_port

ROOT = Path(__file__).resolve().parent.parent.parent


@contextmanager
def simulator_process(folder: Path, api_key: str, *extra_args: str):
    """Start ``python -m engine.billing.simulator`` on a free 127.0.0.1 port with its state in
    ``folder``; yields its base URL. ``extra_args`` go to its command line (``--today``, ...)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = folder / "simulator.log"
    env = {**os.environ, "SIMULATOR_API_KEY": api_key}   # not on the command line, where ps shows it
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.billing.simulator", "--port", str(port),
             "--database", f"sqlite:///{(folder / 'simulator.sqlite').resolve()}", *extra_args],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(base + "/healthz", timeout=1).json() == {"status": "ok"}:
                break
        except (requests.RequestException, ValueError):
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait(timeout=10)
            pytest.fail(f"the billing simulator did not start on {base}; its output:\n{log_path.read_text()}")
        time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
    assert api_key not in log_path.read_text(), "the billing simulator logged its API key"
