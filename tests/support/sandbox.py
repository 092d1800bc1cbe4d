"""The sandbox acquirer as its own process, for tests."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def sandbox_process(folder: Path, secret: str):
    """Start ``python -m engine.payments.sandbox`` on a free 127.0.0.1 port; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = folder / "sandbox.log"
    env = {**os.environ, "SANDBOX_SECRET": secret}     # not on the command line, where ps shows it
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "engine.payments.sandbox", "--port", str(port),
             "--database", str(folder / "sandbox.sqlite"), "--public-url", base],
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
            pytest.fail(f"the sandbox acquirer did not start on {base}; its output:\n{log_path.read_text()}")
        time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    assert secret not in log_path.read_text(), "the sandbox logged its secret"
